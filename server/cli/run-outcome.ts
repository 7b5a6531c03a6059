import type { JournalEntry, Run } from '../store/store.ts';

/** `partnerflow run`'s exit codes: a run left waiting is not a success, nor a failure. */
export const RUN_EXIT = { completed: 0, failed: 1, usage: 2, waiting: 3 } as const;

const iso = (ms: number) => new Date(ms).toISOString();

/** What a waiting run waits for, in words: its signal (and whom the approval link went to), event or time. */
export function describeWait(journal: readonly JournalEntry[]): string {
  const waiting = [...journal].reverse().find((e) => e.status === 'waiting' && e.wait);
  const wait = waiting?.wait;
  if (!waiting || !wait) return 'waiting for its next attempt or turn';
  if (wait.kind === 'time') return `waiting at step ${waiting.stepKey} until ${iso(wait.until)}`;
  const until = wait.deadline === null ? '' : ` until ${iso(wait.deadline)} (then the step's timeout applies)`;
  if (wait.kind === 'event') return `waiting at step ${waiting.stepKey} for event ${wait.event} of ${wait.key}${until}`;
  // The action that asked for this signal names who was asked (approval.request: the approver).
  const asker = journal.find((e) => e.status === 'completed' && (e.input as { signal?: unknown } | null)?.signal === wait.signal);
  const approver = (asker?.output as { approver?: unknown } | null)?.approver;
  const asked = typeof approver === 'string' ? ` (approval link emailed to ${approver})` : '';
  return `waiting at step ${waiting.stepKey} for the signal "${wait.signal}"${asked}${until}`;
}

/**
 * The lines `run` prints on stderr after the run and its journal: how the run ended and, when it
 * waits, for what, until when, and what happens after this command (nothing, in mock mode).
 */
export function describeOutcome(run: Run, journal: readonly JournalEntry[], where: { mock: boolean; dbPath: string }): { lines: string[]; exitCode: number } {
  // A run started by hand has no business key of its own (its key is its id).
  const named = `run ${run.id} (${run.recipe}${run.dedupKey === run.id ? '' : `, ${run.dedupKey}`})`;
  switch (run.status) {
    case 'completed':
      return { lines: [`${named} completed`], exitCode: RUN_EXIT.completed };
    case 'waiting': {
      const next = where.mock
        ? 'In mock mode nothing else will happen after this command exits: the simulated systems end with it (and the in-memory store, without --db). To follow a run to its decision, use `npm start` and the README walkthrough.'
        : `It stays waiting in ${where.dbPath}: a \`partnerflow serve\` on that store resumes it when the signal or event arrives or its time comes.`;
      return { lines: [`${named} is left waiting: ${describeWait(journal)}.`, next, `Exit code ${RUN_EXIT.waiting}: left waiting.`], exitCode: RUN_EXIT.waiting };
    }
    default: {
      const at = run.error?.stepKey ? ` at step ${run.error.stepKey}` : '';
      return { lines: [`${named} ${run.status}${at}${run.error ? `: ${run.error.message}` : ''}`], exitCode: RUN_EXIT.failed };
    }
  }
}
