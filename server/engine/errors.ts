/**
 * Errors the engine raises itself. Each says what to do about it; `retryable: false` tells the
 * interpreter not to spend retries on a failure that will not change (bad input, a missing row).
 */
export class StepInputError extends Error {
  override name = 'StepInputError';
  readonly retryable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class LookupMissError extends Error {
  override name = 'LookupMissError';
  readonly retryable = false;
}

/**
 * A `lookup` by column values (mode first) matched two rows or more: it reads one row per key and does
 * not pick one (README "One row per key in every lookup table"). The start refuses such a table, so
 * this is a table that changed under a running process, or a run of an older recipe version reading
 * it by other columns. Not retried: the rows stay as they are until ops keep one and the run is retried.
 */
export class LookupRowsRepeatedError extends Error {
  override name = 'LookupRowsRepeatedError';
  readonly retryable = false;
}

/** This worker's lease on a run was taken over (it stalled) or the run was canceled: stop touching it. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

/** A recipe refers to something the runtime does not have (unknown action, table, trigger kind). */
export class RecipeError extends Error {
  override name = 'RecipeError';
  readonly retryable = false;
}

/**
 * Whether a failed step is worth another attempt. Errors declare it (`retryable`, as the connector kit's
 * do); expression and schema errors never are; anything else is, as in Temporal and Inngest, because a
 * transient fault is the common cause and retries are bounded by the step's policy.
 */
export function isRetryable(error: unknown): boolean {
  if (error && typeof error === 'object' && 'retryable' in error) return Boolean((error as { retryable: unknown }).retryable);
  const name = error instanceof Error ? error.name : '';
  return !['ZodError', 'ExpressionError', 'StepInputError', 'TypeError', 'RangeError', 'SyntaxError'].includes(name);
}

/**
 * Whether a failed call may still have taken effect: no answer at all (a timeout, a lost connection,
 * HTTP errors carry `status: null`), a 5xx (a gateway may answer so after the system acted), or an
 * answer that arrived but could not be read. A 4xx is a refusal: nothing happened.
 */
export function isOutcomeUnknown(error: unknown): boolean {
  if (!error || typeof error !== 'object' || !('status' in error)) return false;
  const { status, name } = error as { status: unknown; name?: unknown };
  if (name === 'ResponseShapeError') return true;
  return status === null || (typeof status === 'number' && status >= 500);
}

/** The server's requested wait before another attempt (Retry-After), when an error carries one. */
export function retryAfterOf(error: unknown): number | undefined {
  const value = error && typeof error === 'object' ? (error as { retryAfterMs?: unknown }).retryAfterMs : undefined;
  return typeof value === 'number' && value >= 0 ? value : undefined;
}

/**
 * Whether a failure is a wait rather than a failed attempt: the step could not try yet (another attempt
 * is still sending its message, OutboxBusyError). It is tried again after `retryAfterMs` without
 * spending one of the step's attempts, so a crash mid-send never uses up the retry budget. Such errors
 * end on their own (the send they wait for ends), so the wait is bounded.
 */
export function isWaitNotAttempt(error: unknown): boolean {
  return !!error && typeof error === 'object' && (error as { spendsNoAttempt?: unknown }).spendsNoAttempt === true;
}

/**
 * Whether a failed step never reached its system because the process is stopping (the HTTP client's
 * StoppedBeforeAttemptError: its call gave up waiting for rate budget at SIGTERM). Not a failure: the
 * turn is not done, the step stays as it was before this attempt, and the run is due at once for the
 * next start or another replica, as when a shutdown comes before an action starts.
 */
export function isStoppedBeforeAttempt(error: unknown): boolean {
  return !!error && typeof error === 'object' && (error as { stoppedBeforeAttempt?: unknown }).stoppedBeforeAttempt === true;
}
