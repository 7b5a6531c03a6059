import type { DueBacklogView } from './due-backlog.ts';

/** The bounds of the due backlog beyond which webhooks are refused (MAX_DUE_BACKLOG, MAX_DUE_AGE_MS). */
export interface BacklogLimits {
  /** Refuse while this many runs (or more) are due and not started. */
  maxDue: number;
  /** Refuse while the oldest due run is later than this. */
  maxAgeMs: number;
}

/** Why a webhook is refused, and when its sender should try again. */
export interface Refusal {
  reason: 'backlog' | 'age';
  /** Seconds for the `Retry-After` header, 1..60. */
  retryAfterSeconds: number;
  message: string;
}

/** `Retry-After` never asks for less than this, nor more than the maximum: senders differ in how long they keep a delivery. */
export const RETRY_AFTER_MIN_SECONDS = 1;
export const RETRY_AFTER_MAX_SECONDS = 60;

/**
 * Whether a webhook must be refused because the runtime cannot start its work soon: the due backlog
 * has reached `maxDue` runs, or its oldest run is more than `maxAgeMs` late. A 202 promises the work
 * will be done; past these bounds it would only be queued behind work that already waits, and under
 * load that never stops the queue (and every email's delay) would grow without end. Refused, the
 * sender keeps the delivery and sends it again after `Retry-After`.
 */
export function backpressure(backlog: Pick<DueBacklogView, 'count' | 'oldestAgeMs'>, limits: BacklogLimits, runsStartedPerSecond: number): Refusal | null {
  if (backlog.count >= limits.maxDue) {
    return {
      reason: 'backlog',
      retryAfterSeconds: retryAfterSeconds(backlog.count, runsStartedPerSecond),
      message: `the runtime is behind: ${backlog.count} runs are due and not started (MAX_DUE_BACKLOG is ${limits.maxDue}); nothing was stored, deliver again later`,
    };
  }
  if (backlog.oldestAgeMs > limits.maxAgeMs) {
    return {
      reason: 'age',
      retryAfterSeconds: retryAfterSeconds(backlog.count, runsStartedPerSecond),
      message: `the runtime is behind: the oldest due run waits for ${backlog.oldestAgeMs} ms (MAX_DUE_AGE_MS is ${limits.maxAgeMs}); nothing was stored, deliver again later`,
    };
  }
  return null;
}

/**
 * About when the runs due now will have started, at the rate the worker started runs recently; from
 * 1 to 60 s. A worker that started nothing recently (stalled, or not running) gets the maximum.
 */
export function retryAfterSeconds(due: number, runsStartedPerSecond: number): number {
  if (!(runsStartedPerSecond > 0)) return RETRY_AFTER_MAX_SECONDS;
  return Math.min(RETRY_AFTER_MAX_SECONDS, Math.max(RETRY_AFTER_MIN_SECONDS, Math.ceil(due / runsStartedPerSecond)));
}
