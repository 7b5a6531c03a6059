import { html } from 'hono/html';
import type { JournalEntry, Run } from '../store/store.ts';
import { time, type Html } from './console-layout.ts';

/** What a run waits for, from its waiting and retrying journal entries, for the runs, waiting and timers pages. */
export interface RunWaits {
  waiting: JournalEntry[];
  retrying: JournalEntry[];
}

/** Groups journal entries by run id. */
export function byRun(entries: readonly JournalEntry[]): Map<string, JournalEntry[]> {
  const map = new Map<string, JournalEntry[]>();
  for (const e of entries) map.set(e.runId, [...(map.get(e.runId) ?? []), e]);
  return map;
}

/** One waiting step in words: an approval (signal), an event, a time; with its deadline. */
export function waitWords(entry: JournalEntry): Html {
  const wait = entry.wait;
  if (!wait) return html`step ${entry.stepKey}`;
  switch (wait.kind) {
    case 'signal':
      return html`signal <code>${wait.signal}</code> at step ${entry.stepKey}${wait.deadline !== null ? html`, until ${time(wait.deadline)}` : ''}`;
    case 'event':
      return html`event <code>${wait.event}</code> for ${wait.key} at step ${entry.stepKey}${wait.deadline !== null ? html`, until ${time(wait.deadline)}` : ''}`;
    case 'time':
      return html`time: step ${entry.stepKey} waits until ${time(wait.until)}`;
  }
}

/** What a run waits for, in words; an empty string when it waits for nothing. */
export function runWaitWords(run: Omit<Run, 'trigger'>, waits: RunWaits, now: number): Html | string {
  // Parked: its next call goes to a system that had half the worker's turns waiting on it (worker-slots.ts).
  if (run.parkedOn !== null && run.finishedAt === null) {
    const system = run.parkedOn;
    const again = run.wakeAt !== null && run.wakeAt > now ? html`: tried again at ${time(run.wakeAt)} or when ${system} answers` : html`: due again now`;
    return html`its call to ${system}, parked (half the worker's turns wait on ${system})${again}${run.parkedSince !== null ? html`, due since ${time(run.parkedSince)}` : ''}`;
  }
  if (waits.waiting.length > 0) return html`${waits.waiting.map((e, i) => html`${i > 0 ? '; ' : ''}${waitWords(e)}`)}`;
  if (waits.retrying.length > 0) {
    return html`${waits.retrying.map((e, i) => html`${i > 0 ? '; ' : ''}a retry of step ${e.stepKey} (attempt ${e.attempts + 1}) at ${time(e.nextAttemptAt)}`)}`;
  }
  if (run.status === 'queued' && run.wakeAt !== null && run.wakeAt > now) return html`its start at ${time(run.wakeAt)}`;
  // Held back behind the unfinished run of its concurrency key (a resubmission while the last one is under way).
  if (run.heldBack && run.concurrencyKey) return html`the run of ${run.concurrencyKey} before it to finish (one at a time per concurrency_key)`;
  if (run.status === 'queued' || (run.status === 'running' && run.leaseOwner === null)) return 'a worker';
  return '';
}
