import type { RunId } from '../engine/ids.ts';
import { STOPPED_BY_RECIPE, TRIGGER_EXPRESSION_ERROR, type Run, type RunStatus } from './store.ts';

/**
 * Why a run cannot be retried, as data: the store decides it (`Store.retryRun`), the engine adds its
 * own reasons for a retry on the current recipe version, and the API and the console put the same
 * refusal into the same words (engine/retry-refusals.ts).
 */
export type RetryRefusal =
  /** No run has this id. */
  | { refused: 'no-run' }
  /** It has not failed: it is still going, or it completed. */
  | { refused: 'not-failed'; status: RunStatus }
  /** An operator or an event canceled it (D12); `reason` is what the cancel said, null when it said nothing. */
  | { refused: 'canceled'; reason: string | null }
  /** Its recipe ended it as failed (`stop`): it would only stop again. */
  | { refused: 'stopped-by-recipe' }
  /** Its recipe's trigger failed on its event: no step ran, and it has no keys to go on with. */
  | { refused: 'trigger-failed' }
  /** Another run of its recipe holds its concurrency key and has not finished (a resubmission, D7). */
  | { refused: 'held-by-live-run'; runId: RunId; concurrencyKey: string };

/** A retry done, or refused with the reason. */
export type RetryOutcome = { retried: true } | { retried: false; refusal: RetryRefusal };

/**
 * The refusal a canceled run gives to a retry and to a cancel alike: what its cancel said (an operator,
 * an event: D12), null when it said nothing.
 */
export function canceledRefusal(run: Pick<Run, 'error'>): { refused: 'canceled'; reason: string | null } {
  return { refused: 'canceled', reason: run.error?.message || null };
}

/**
 * The refusal the run itself gives, read from its status and error alone: everything but another run
 * holding its concurrency key, which only the store can tell. Undefined for a run that failed at a
 * step. The store decides with it inside its transaction; the console with it whether to offer a retry.
 */
export function retryRefusalOf(run: Pick<Run, 'status' | 'error'>): RetryRefusal | undefined {
  if (run.status === 'canceled') return canceledRefusal(run);
  if (run.status !== 'failed') return { refused: 'not-failed', status: run.status };
  // The recipe itself ended the run as failed: replaying it would end there again.
  if (run.error?.name === STOPPED_BY_RECIPE) return { refused: 'stopped-by-recipe' };
  // Nor a run whose trigger failed on its event: it ran no step and has no keys to go on with.
  if (run.error?.name === TRIGGER_EXPRESSION_ERROR) return { refused: 'trigger-failed' };
  return undefined;
}
