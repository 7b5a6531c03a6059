import type { Run } from './store.ts';

/**
 * Why an operator's cancel of a run was not done, as data: the engine tells it (`Engine.cancel`) from
 * the run as the store has it, and the API and the console put the same refusal into the same words
 * (engine/cancel-refusals.ts), as for a retry (retry-refusal.ts).
 */
export type CancelRefusal =
  /** No run has this id. */
  | { refused: 'no-run' }
  /** It was canceled before (by an operator, or an event: D12); `reason` is what that cancel said, null when it said nothing. */
  | { refused: 'canceled'; reason: string | null }
  /** It completed, or it failed: a failed run does nothing more unless an operator retries it. */
  | { refused: 'finished'; status: 'completed' | 'failed' };

/** An operator's cancel: done, or refused with the reason. */
export type CancelOutcome = { canceled: true } | { canceled: false; refusal: CancelRefusal };

/**
 * The refusal the run gives to a cancel, read from its status alone: a finished run (completed, failed
 * or canceled) is not canceled by an operator. Undefined for a run that has not finished. The console
 * reads it to say so before it offers the button; the engine once the store canceled nothing.
 */
export function cancelRefusalOf(run: Pick<Run, 'status' | 'error'>): CancelRefusal | undefined {
  if (run.status === 'canceled') return { refused: 'canceled', reason: run.error?.message || null };
  if (run.status === 'completed' || run.status === 'failed') return { refused: 'finished', status: run.status };
  return undefined;
}
