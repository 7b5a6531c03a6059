import { asStepKey, type RunId } from '../../server/engine/ids.ts';
import type { JournalEntry } from '../../server/store/store.ts';

/**
 * A `wait_for` step's journal entry as the engine writes it while the run waits for a signal (an
 * approval's `decision`), started at `at`, with an optional deadline.
 */
export function signalWaitEntry(runId: RunId, stepId: string, at: number, deadline: number | null = null, signal = 'decision'): JournalEntry {
  return {
    runId,
    stepKey: asStepKey(stepId),
    stepId,
    stepType: 'wait_for',
    status: 'waiting',
    input: null,
    output: null,
    error: null,
    attempts: 1,
    startedAt: at,
    finishedAt: null,
    nextAttemptAt: null,
    wait: { kind: 'signal', signal, deadline },
    notes: [],
  };
}
