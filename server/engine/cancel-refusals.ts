import { canceledRefusal } from '../store/retry-refusal.ts';
import { STOPPED_BY_RECIPE, type Run } from '../store/store.ts';
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
  /** It completed, or its recipe stopped it as failed (a stop step: that is its outcome, and no retry resumes it). */
  | { refused: 'finished'; status: 'completed' | 'failed' };

/**
 * An operator's cancel: done, with the run as canceled; or refused with the reason, with the run as
 * read for it (none when no run has the id).
 */
export type CancelOutcome =
  | { canceled: true; run: Run }
  | { canceled: false; refusal: { refused: 'no-run' }; run?: undefined }
  | { canceled: false; refusal: Exclude<CancelRefusal, { refused: 'no-run' }>; run: Run };

/**
 * The refusal the run gives to a cancel, read from its status alone: a completed or canceled run, and one
 * its recipe stopped as failed, are not canceled by an operator. Undefined for a run that has not
 * finished, and for one that failed at a step (or on its trigger's event): canceling it is how ops close
 * out a failure they will not retry (it leaves the failed runs, and a retry later is refused). The
 * console reads it to say so before it offers the button; the engine once the store canceled nothing.
 */
export function cancelRefusalOf(run: Pick<Run, 'status' | 'error'>): Exclude<CancelRefusal, { refused: 'no-run' }> | undefined {
  if (run.status === 'canceled') return canceledRefusal(run);
  if (run.status === 'completed') return { refused: 'finished', status: run.status };
  if (run.status === 'failed' && run.error?.name === STOPPED_BY_RECIPE) return { refused: 'finished', status: run.status };
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
      // A run its recipe stopped as failed keeps that outcome: nothing of it runs again.
      return refusal.status === 'failed' ? `run ${runId} is failed because its recipe stopped it (a stop step): that is its outcome, and nothing of it runs again` : `run ${runId} is ${refusal.status}: ${FINISHED}`;
  }
}
