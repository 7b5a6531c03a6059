import type { z } from 'zod';
import { redact } from '../engine/redact.ts';
import type { BusinessTimer, JournalEntry, Run, RunSummary, TriggerRecord, UpcomingWake, WaitSpec } from '../store/store.ts';
import type { UpcomingPoll, UpcomingSchedule } from '../engine/upcoming-triggers.ts';
import type { BusinessTimerView, JournalEntryView, PollView, RunSummaryView, RunView, ScheduleView, TimerView, WaitView } from './api-schemas.ts';

/**
 * Store records as the API shows them: epoch milliseconds become ISO 8601 times, lease and dedup
 * internals that only the engine needs stay out, and payloads pass through `redact` once more (the
 * journal is redacted when written; trigger data comes straight from the sender).
 */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

export function runView(run: Run): z.infer<typeof RunView> {
  return { ...runFields(run), trigger: { ...triggerFields(run.trigger), data: redact(run.trigger.data) } };
}

/** A run as a list shows it (`GET /runs`): the trigger's data only when the store listed it (small), and its size. */
export function runSummaryView(run: RunSummary): z.infer<typeof RunSummaryView> {
  const data = 'data' in run.trigger ? { data: redact(run.trigger.data) } : {};
  return { ...runFields(run), trigger: { ...triggerFields(run.trigger), ...data, dataBytes: run.trigger.dataBytes } };
}

function triggerFields(trigger: Omit<TriggerRecord, 'data'>) {
  return {
    type: trigger.type,
    ...(trigger.event !== undefined && { event: trigger.event }),
    ...(trigger.source !== undefined && { source: trigger.source }),
    ...(trigger.deliveryId !== undefined && { deliveryId: trigger.deliveryId }),
    receivedAt: iso(trigger.receivedAt),
  };
}

function runFields(run: Omit<Run, 'trigger'>) {
  return {
    id: run.id,
    recipe: run.recipe,
    recipeVersion: run.recipeVersion,
    recipeHash: run.recipeHash,
    status: run.status,
    dedupKey: run.dedupKey,
    correlationKey: run.correlationKey,
    wakeAt: isoOrNull(run.wakeAt),
    leaseOwner: run.leaseOwner,
    leaseUntil: isoOrNull(run.leaseUntil),
    error: run.error,
    createdAt: iso(run.createdAt),
    updatedAt: iso(run.updatedAt),
    finishedAt: isoOrNull(run.finishedAt),
  };
}

function waitView(wait: WaitSpec): z.infer<typeof WaitView> {
  switch (wait.kind) {
    case 'time':
      return { kind: 'time', until: iso(wait.until) };
    case 'signal':
      return { kind: 'signal', signal: wait.signal, deadline: isoOrNull(wait.deadline) };
    case 'event':
      return { kind: 'event', event: wait.event, key: wait.key, deadline: isoOrNull(wait.deadline) };
  }
}

export function journalEntryView(entry: JournalEntry): z.infer<typeof JournalEntryView> {
  return {
    stepKey: entry.stepKey,
    stepId: entry.stepId,
    stepType: entry.stepType,
    status: entry.status,
    input: redact(entry.input),
    output: redact(entry.output),
    error: entry.error,
    attempts: entry.attempts,
    startedAt: iso(entry.startedAt),
    finishedAt: isoOrNull(entry.finishedAt),
    nextAttemptAt: isoOrNull(entry.nextAttemptAt),
    wait: entry.wait ? waitView(entry.wait) : null,
    notes: entry.notes,
  };
}

export function timerView(wake: UpcomingWake): z.infer<typeof TimerView> {
  return { runId: wake.runId, recipe: wake.recipe, status: wake.status, wakeAt: iso(wake.wakeAt), stepKey: wake.stepKey };
}

/** A pending business timer as `GET /timers` shows it. */
export function businessTimerView(timer: BusinessTimer): z.infer<typeof BusinessTimerView> {
  return { recipe: timer.recipe, key: timer.key, offset: /^\d+$/.test(timer.offset) ? Number(timer.offset) : timer.offset, fires_at: iso(timer.fireAt), date: timer.date };
}

/** A served schedule as `GET /timers` shows it. */
export function scheduleView(schedule: UpcomingSchedule): z.infer<typeof ScheduleView> {
  const trigger = schedule.recipe.trigger as { cron: string; timezone: string };
  return { recipe: schedule.recipe.name, cron: trigger.cron, timezone: trigger.timezone, fires_at: isoOrNull(schedule.firesAt) };
}

/** A served poll as `GET /timers` shows it. */
export function pollView(poll: UpcomingPoll): z.infer<typeof PollView> {
  const trigger = poll.recipe.trigger as { action: string; every: string };
  return { recipe: poll.recipe.name, action: trigger.action, every: trigger.every, fires_at: iso(poll.firesAt), failures: poll.failures, last_error: poll.lastError };
}
