import type { RetryRefusal } from '../store/store.ts';
import type { RunId } from './ids.ts';

/**
 * Why a failed run is not retried on the version of its recipe served now, beyond what the store
 * refuses (RetryRefusal): the engine knows the recipes served, the store does not.
 */
export type CurrentVersionRefusal =
  /** Its recipe is no longer served: there is no current version. */
  | { refused: 'recipe-not-served'; recipe: string }
  /** The current version lacks steps the run went through (the steps after them read their outputs by id). */
  | { refused: 'steps-missing'; recipe: string; version: number; runVersion: number; steps: string[] };

/** An operator's retry of a run: done, or refused with the reason. */
export type OperatorRetryOutcome = { retried: true } | { retried: false; refusal: RetryRefusal | CurrentVersionRefusal };

const ONLY_A_FAILED_RUN = 'only a run that failed at a step can be retried';

/**
 * A refused retry in the words an operator reads, each saying only what applies to the run (a running
 * run is not told about runs its recipe stopped), the same from `POST /runs/:id/retry` (its 409 or
 * 404 body) and from the console's retry button (its refusal page).
 */
export function retryRefusalWords(runId: RunId, refusal: RetryRefusal | CurrentVersionRefusal): string {
  switch (refusal.refused) {
    case 'no-run':
      return `no run ${runId}`;
    case 'not-failed':
      return `run ${runId} is ${refusal.status}: ${ONLY_A_FAILED_RUN}`;
    case 'canceled':
      // A canceled run says why: the event or person that canceled it (D12), so ops see what stopped it.
      return `run ${runId} ${refusal.reason ? `was canceled (${refusal.reason})` : 'is canceled'}: a canceled run cannot be retried`;
    case 'stopped-by-recipe':
      return `run ${runId} is failed because its recipe stopped it (a stop step), not at a failed step: a retry would stop there again`;
    case 'trigger-failed':
      return `run ${runId} ran no step: its recipe's trigger failed on its event, so it has no keys to go on with; with the recipe fixed, have the event delivered again`;
    case 'held-by-live-run':
      return `run ${runId} failed, and run ${refusal.runId} of the same key ${refusal.concurrencyKey} (its recipe's concurrency_key) has not finished: retry it once that run has finished, or cancel that run first`;
    case 'recipe-not-served':
      return `recipe ${refusal.recipe} is no longer served, so there is no current version to retry run ${runId} on`;
    case 'steps-missing':
      return `version ${refusal.version} of ${refusal.recipe} has no step ${refusal.steps.join(', ')}, which run ${runId} went through on version ${refusal.runVersion}: retry it on version ${refusal.runVersion}, or cancel it and start the work again`;
  }
}
