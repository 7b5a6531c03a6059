/** Branded identifiers: a RunId cannot be passed where a StepKey is expected by accident. */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A run's id: `run_` followed by a sortable random id. */
export type RunId = Brand<string, 'RunId'>;
/**
 * Where a step sits in a run: its id, prefixed by the foreach iterations around it,
 * e.g. `notify_each[3].send`. Unique within a run; the journal is keyed by it.
 */
export type StepKey = Brand<string, 'StepKey'>;
/** What a connector receives to make an action safe to repeat: `<run id>:<step key>`. */
export type IdempotencyKey = Brand<string, 'IdempotencyKey'>;

export const asRunId = (s: string) => s as RunId;
export const asStepKey = (s: string) => s as StepKey;
export const idempotencyKeyFor = (runId: RunId, stepKey: StepKey) => `${runId}:${stepKey}` as IdempotencyKey;
