import { canceledRefusal } from '../store/retry-refusal.ts';
import type { Run } from '../store/store.ts';
import type { RunId } from './ids.ts';

/**
 * Why an operator's cancel of a run was not done, as data: the engine tells it (`Engine.cancel`) from
 * the run as the store has it, and the API and the console put the same refusal into the same words
 * (cancelRefusalWords), as for a retry (retry-refusals.ts).
 */
export type CancelRefusal =
  /** No run has this id. */
  | { refused: 'no-run' }
  /** It was canceled before (by an operator, or an event: D12); `reason` is what that cancel said, null when it said nothing. */
  | { refused: 'canceled'; reason: string | null }
  /** It completed, or it failed: a failed run does nothing more unless an operator retries it. */
  | { refused: 'finished'; status: 'completed' | 'failed' }
  /**
   * Finished at both of the cancel's tries, and retried again after each (another operator, another
   * replica): not canceled, `status` as it is now (unfinished). Asking again cancels it.
   */
  | { refused: 'retried-meanwhile'; status: Run['status'] };

/**
 * An operator's cancel: done, with the run as canceled; or refused with the reason, with the run as
 * read for it (none when no run has the id).
 */
export type CancelOutcome =
  | { canceled: true; run: Run }
  | { canceled: false; refusal: { refused: 'no-run' }; run?: undefined }
  | { canceled: false; refusal: Exclude<CancelRefusal, { refused: 'no-run' }>; run: Run };

/**
 * The refusal the run gives to a cancel, read from its status alone: a finished run (completed, failed
 * or canceled) is not canceled by an operator. Undefined for a run that has not finished. The console
 * reads it to say so before it offers the button; the engine once the store canceled nothing.
 */
export function cancelRefusalOf(run: Pick<Run, 'status' | 'error'>): CancelRefusal | undefined {
  if (run.status === 'canceled') return canceledRefusal(run);
  if (run.status === 'completed' || run.status === 'failed') return { refused: 'finished', status: run.status };
  return undefined;
}

const FINISHED = 'a finished run cannot be canceled';

/**
 * A refused cancel in the words an operator reads, the same from `POST /runs/:id/cancel` (its 409 or
 * 404 body) and from the console's cancel (its confirmation page and its refusal page).
 */
export function cancelRefusalWords(runId: RunId, refusal: CancelRefusal): string {
  switch (refusal.refused) {
    case 'no-run':
      return `no run ${runId}`;
    case 'canceled':
      // The cancel before says what stopped it (an operator, an event: D12).
      return `run ${runId} is canceled: ${FINISHED} (it was canceled before${refusal.reason ? `: ${refusal.reason}` : ''})`;
    case 'finished':
      // A failed run is left as it is: nothing of it runs again unless someone retries it.
      return refusal.status === 'failed' ? `run ${runId} is failed: ${FINISHED}; a failed run does nothing more unless it is retried` : `run ${runId} is ${refusal.status}: ${FINISHED}`;
    case 'retried-meanwhile':
      return `run ${runId} was retried while it was being canceled, twice: it is ${refusal.status} now and was not canceled; cancel it again`;
  }
}
