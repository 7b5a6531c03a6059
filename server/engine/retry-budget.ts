import { Duration } from 'luxon';
import type { RetryPolicy } from '../../schemas/recipe.ts';

/** Attempts in all when a policy names neither `max_attempts` nor `give_up_after`. */
export const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * When a step that just failed with a retryable error tries again, or null when it gives up. Two
 * limits, whichever comes first: `max_attempts` (attempts in all; unbounded when only
 * `give_up_after` is set, default 3 otherwise) and `give_up_after`, a time budget counted from the
 * step's first attempt (D1: a sync outlives a Salesforce outage of days). The last attempt of a budget
 * is made at its end rather than skipped, so a system that is back by then is still reached.
 */
export function nextAttemptWithin(input: {
  policy: Pick<RetryPolicy, 'max_attempts' | 'give_up_after'>;
  /** Attempts made so far, the one that just failed included. */
  attempts: number;
  firstAttemptAt: number;
  now: number;
  /** The backoff's wait before the next attempt. */
  delayMs: number;
}): number | null {
  const { policy, attempts, firstAttemptAt, now, delayMs } = input;
  const maxAttempts = policy.max_attempts ?? (policy.give_up_after !== undefined ? Infinity : DEFAULT_MAX_ATTEMPTS);
  if (attempts >= maxAttempts) return null;
  const next = now + delayMs;
  if (policy.give_up_after === undefined) return next;
  const budgetEnd = firstAttemptAt + Duration.fromISO(policy.give_up_after).toMillis();
  if (now >= budgetEnd) return null;
  return Math.min(next, budgetEnd);
}
