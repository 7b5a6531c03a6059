/**
 * The store cannot serve right now: it cannot be reached (PostgreSQL restarting, a network cut, a
 * failover), or it refused for a reason that passes (a statement timeout behind a lock, too many
 * connections, a deadlock or serialization failure; isRetryLater): nothing of
 * the operation can be relied on as stored, and trying again later may well succeed. Callers that
 * answer a sender (`POST /webhooks/:source`) say 503 with Retry-After, never 202; the worker loop
 * retries its claims, and a turn cut off this way is taken up again by its replica once the store
 * answers (or by any replica once its lease runs out).
 * An operation whose COMMIT was cut off may have been stored after all: everything the store does is
 * idempotent on a retry (a delivery id, a dedup key, a journal key), so the retry finds it.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`the store is unavailable: ${reason}`, options);
  }
}

/**
 * A COMMIT that was sent and not answered (the connection went with it): it may have been applied.
 * A write of it is not run again by the store; its caller retries idempotently, and the runs such a
 * commit may have leased to this replica are taken up by it as soon as the store answers.
 */
export class CommitOutcomeUnknownError extends StoreUnavailableError {
  override name = 'CommitOutcomeUnknownError';
  constructor(error: unknown) {
    super(`the outcome of a commit is unknown: ${error instanceof Error ? error.message.replace(/^the store is unavailable: /, '') : String(error)}`, { cause: error });
  }
}

/**
 * The statement met a connection whose prepared statements PostgreSQL no longer has as the store
 * prepared them (postgres-pool.ts): another replica's migration changed a table one of them returns
 * whole, or a pooler dropped them. Nothing of the transaction was applied, and the connection is
 * closed, so running it again at once, on another connection, prepares afresh and passes.
 */
export class PreparedStatementsLostError extends StoreUnavailableError {
  override name = 'PreparedStatementsLostError';
}

/**
 * Whether the store could not be reached (or a commit's outcome is unknown), as opposed to a refusal
 * that passes (a deadlock, a statement timeout): only then is a turn cut off taken up again as soon as
 * the store answers. A turn that met a refusal waits for its lease to run out, so one that meets the
 * same refusal each time is not repeated in a loop.
 */
export function isStoreUnreachable(error: unknown): boolean {
  if (error instanceof CommitOutcomeUnknownError || error instanceof PreparedStatementsLostError) return true;
  return (error instanceof StoreUnavailableError && (error.cause === undefined || isConnectionFailure(error.cause)));
}

/**
 * Whether the database rolled the transaction back because of another one (a deadlock, a
 * serialization failure, a lock not available at once), or a connection's prepared statements were
 * lost: nothing of it was applied, and running the same writes again may pass at once.
 */
export function isTransactionConflict(error: unknown): boolean {
  if (error instanceof PreparedStatementsLostError) return true;
  const cause = error instanceof StoreUnavailableError ? error.cause : error;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return code === '40001' || code === '40P01' || code === '55P03';
}

/** How long a refused sender should wait before it delivers again while the store is unavailable. */
export const STORE_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * Whether a PostgreSQL driver error means the server could not be reached or went away, not that the
 * statement was wrong: socket errors, a connection the server closed, SQLSTATE class 08 (connection
 * exception), 57P01..57P03 (shut down by the administrator, crash, the server starting or stopping),
 * no answer within the client's read timeout (a partition; postgres-store.ts sets it).
 */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND'].includes(code)) return true;
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  }
  if (error instanceof AggregateError) return error.errors.some(isConnectionFailure);
  return /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable|Query read timeout/i.test(error.message);
}

/**
 * SQLSTATEs that say "not now" rather than "this statement is wrong": 57014 query canceled (the
 * statement timeout, e.g. behind a lock someone holds), 55P03 lock not available, class 53 insufficient
 * resources (53300 too many connections, 53400 configuration limit, out of memory, disk full), 40001
 * serialization failure and 40P01 deadlock (the transaction was rolled back: running it again may pass).
 */
const RETRY_LATER_CODES = new Set(['57014', '55P03', '40001', '40P01']);

/**
 * Whether the store may well serve the same operation later: a connection failure, or an error of a
 * class that passes (RETRY_LATER_CODES). A request that meets one is answered 503 with Retry-After,
 * never 500; a bug (a constraint violated, bad data) stays a 500.
 */
export function isRetryLater(error: unknown): boolean {
  if (isConnectionFailure(error)) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (RETRY_LATER_CODES.has(code) || code.startsWith('53'));
}
