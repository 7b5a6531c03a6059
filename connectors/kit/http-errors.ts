/**
 * The errors every HTTP connector throws, one class per kind of failure, mapped from the status code.
 * The engine reads two fields and nothing else: `retryable` (is another attempt worth it) and
 * `retryAfterMs` (the least time to wait first, from the server's Retry-After).
 */
import { redactBody } from './redact-body.ts';
import { isSecretQueryParam } from './secret-names.ts';

/** Longest error body kept on an error (characters of its JSON): enough to debug, small enough to journal. */
const BODY_LIMIT = 2_000;

export interface HttpErrorDetails {
  /** Which system answered (`prm`, `salesforce`), named in the message. */
  system: string;
  /** The HTTP status, or null when no response arrived (timeout, network failure). */
  status: number | null;
  method: string;
  /** The request URL; secret-looking query values are redacted here. */
  url: string;
  /** The parsed response body; kept truncated, secret-looking values redacted. */
  body?: unknown;
  /** The system's own error message, quoted in ours. */
  systemMessage?: string | undefined;
  /** The system's own error code (`INVALID_SESSION_ID`, `NotFound`, `601`). */
  code?: string | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
  /**
   * What to do about it, appended to the generated message after `; ` (`check SALESFORCE_CLIENT_ID and
   * SALESFORCE_CLIENT_SECRET`): names settings, never their values.
   */
  hint?: string | undefined;
  /** A whole message replacing the generated one, for failures found in a successful answer ("no MDF request numbered X"). */
  message?: string | undefined;
  /**
   * The system refused the call before doing any of it (Marketo's 606 and 615: over the rate or the
   * concurrency limit), so repeating it is safe whatever the method.
   */
  notApplied?: boolean | undefined;
}

/** A failed call to an external system. Subclasses say which kind; `retryable` says whether to try again. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly system: string;
  readonly status: number | null;
  readonly method: string;
  readonly url: string;
  readonly body: unknown;
  readonly code: string | undefined;
  readonly systemMessage: string | undefined;
  /** Read by the engine: whether another attempt may succeed. */
  readonly retryable: boolean;
  /** Read by the engine: the least wait before another attempt, when the server asked for one. */
  readonly retryAfterMs: number | undefined;
  /** The system did none of the call (it was refused at the door): repeating it is safe for any method. */
  readonly notApplied: boolean;

  constructor(details: HttpErrorDetails, retryable = false) {
    super(details.message ?? describeFailure(details), details.cause === undefined ? undefined : { cause: details.cause });
    this.system = details.system;
    this.status = details.status;
    this.method = details.method.toUpperCase();
    this.url = redactUrl(details.url);
    // Redacted first: truncation turns a large body into cut-off text, where keys are harder to find.
    this.body = truncateBody(redactBody(details.body));
    this.code = details.code;
    this.systemMessage = details.systemMessage;
    this.retryable = retryable;
    this.retryAfterMs = details.retryAfterMs;
    this.notApplied = details.notApplied ?? false;
  }
}

/**
 * A call given up before its first attempt because the process is stopping (SIGTERM) while it waited
 * for the system's rate budget: nothing was sent, so nothing needs repeating or checking. Or before the
 * repeat of an attempt the system answered 401 for an expired session (`refusedStatus`): that attempt
 * was sent but changed nothing, and the repeat with a new token was not sent. Not an
 * HttpError (no system answered, and no rule for a failed call applies): the engine reads
 * `stoppedBeforeAttempt` and leaves the step as it was before this attempt, the run due at once for the
 * next start or another replica, with no failure journaled (engine/errors.ts, isStoppedBeforeAttempt).
 */
export class StoppedBeforeAttemptError extends Error {
  override name = 'StoppedBeforeAttemptError';
  /** Read by the engine: the call was never sent. */
  readonly stoppedBeforeAttempt = true;
  /** Should anything other than the engine see it: trying again is right. */
  readonly retryable = true;
  readonly system: string;
  readonly method: string;
  readonly url: string;

  /** The status of the attempt sent before, refused at the door (401, session expired); absent when none was sent. */
  readonly refusedStatus: number | undefined;

  constructor(details: { system: string; method: string; url: string; refusedStatus?: number }) {
    const method = details.method.toUpperCase();
    const call = `${details.system} ${method} ${pathOf(details.url)}`;
    const stopped = `the runtime was stopping while the call waited for ${details.system} rate budget`;
    super(
      details.refusedStatus === undefined
        ? `${call} not sent: ${stopped}`
        : `${call}: its first attempt was answered ${details.refusedStatus} (session expired) and changed nothing; the retry with a new token was not sent: ${stopped}`,
    );
    this.refusedStatus = details.refusedStatus;
    this.system = details.system;
    this.method = method;
    this.url = redactUrl(details.url);
  }
}

/**
 * 401 or 403: the credentials are wrong, expired or lack a permission. Not retryable as such; a client
 * with a token refreshes it once when `sessionExpired` is true and tries again.
 */
export class AuthError extends HttpError {
  override name = 'AuthError';
  /** True when a fresh token may fix it (401, Marketo 601/602): the client refreshes and retries once. */
  readonly sessionExpired: boolean;
  constructor(details: HttpErrorDetails, options: { sessionExpired?: boolean } = {}) {
    super(details, false);
    this.sessionExpired = options.sessionExpired ?? details.status === 401;
  }
}

/** 404: the record or endpoint does not exist. */
export class NotFoundError extends HttpError {
  override name = 'NotFoundError';
  constructor(details: HttpErrorDetails) {
    super(details, false);
  }
}

/** 400, 409, 422 (and Salesforce's 300 on an ambiguous upsert): the request itself is wrong; repeating it will not help. */
export class ValidationError extends HttpError {
  override name = 'ValidationError';
  constructor(details: HttpErrorDetails) {
    super(details, false);
  }
}

/** 429 (or a rate-limit code in the body): retryable, after `retryAfterMs` when the server said. */
export class RateLimitError extends HttpError {
  override name = 'RateLimitError';
  constructor(details: HttpErrorDetails, retryable = true) {
    super(details, retryable);
  }
}

/** 5xx: 500, 502, 503 and 504 are usually transient and retryable; others (501, 505...) are not. */
export class ServerError extends HttpError {
  override name = 'ServerError';
  constructor(details: HttpErrorDetails) {
    super(details, details.status !== null && [500, 502, 503, 504].includes(details.status));
  }
}

/** No answer within the client's timeout. Retryable; the call may or may not have taken effect. */
export class TimeoutError extends HttpError {
  override name = 'TimeoutError';
  constructor(details: Omit<HttpErrorDetails, 'status'> & { timeoutMs: number }) {
    super({ ...details, status: null, systemMessage: details.systemMessage ?? `no answer within ${details.timeoutMs} ms` }, true);
  }
}

/** The connection failed (DNS, refused, reset). Retryable; the call may or may not have reached the system. */
export class NetworkError extends HttpError {
  override name = 'NetworkError';
  constructor(details: Omit<HttpErrorDetails, 'status'>) {
    super({ ...details, status: null, systemMessage: details.systemMessage ?? networkReason(details.cause) }, true);
  }
}

/** A successful response whose body is not what the connector expects: a changed API or a misconfigured object. */
export class ResponseShapeError extends HttpError {
  override name = 'ResponseShapeError';
  constructor(details: HttpErrorDetails) {
    super(details, false);
  }
}

/** Maps a non-2xx response to its error class. */
export function httpErrorFromStatus(details: HttpErrorDetails & { status: number }): HttpError {
  const { status } = details;
  if (status === 401 || status === 403) return new AuthError(details);
  if (status === 404) return new NotFoundError(details);
  if (status === 400 || status === 409 || status === 422) return new ValidationError(details);
  if (status === 429) return new RateLimitError(details);
  if (status >= 500) return new ServerError(details);
  return new HttpError(details, false);
}

/**
 * Parses a Retry-After header: delay seconds (`120`) or an HTTP-date. Returns milliseconds from `now`,
 * or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Finds the system's own message in an error body of a common shape: `{ message }`, `{ Message }`,
 * `{ error_description }`, `{ error: "..." }`, `{ errors: [{ message }] }` or `[{ message }]`.
 */
export function findErrorMessage(body: unknown): { message?: string; code?: string } {
  if (typeof body === 'string') return body.trim() ? { message: body.trim().slice(0, 300) } : {};
  if (Array.isArray(body)) return body.length > 0 ? findErrorMessage(body[0]) : {};
  if (!body || typeof body !== 'object') return {};
  const b = body as Record<string, unknown>;
  if (Array.isArray(b.errors) && b.errors.length > 0) return findErrorMessage(b.errors[0]);
  const message = [b.message, b.Message, b.error_description, b.error].find((v) => typeof v === 'string') as string | undefined;
  const code = [b.errorCode, b.code, b.ErrorCode, b.error].find((v) => typeof v === 'string' || typeof v === 'number');
  return { ...(message ? { message } : {}), ...(code !== undefined ? { code: String(code) } : {}) };
}

/** The URL with secret-looking query values replaced, safe to keep on an error and to log. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\?.*$/, '?[redacted]');
  }
  for (const key of [...parsed.searchParams.keys()]) {
    if (isSecretQueryParam(key)) parsed.searchParams.set(key, '[redacted]');
  }
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

function describeFailure(d: HttpErrorDetails): string {
  const path = pathOf(d.url);
  const outcome = d.status === null ? 'failed' : `answered ${d.status}`;
  const detail = d.systemMessage ? `: ${d.code && !d.systemMessage.includes(d.code) ? `${d.code}: ` : ''}${d.systemMessage}` : d.code ? `: ${d.code}` : '';
  return `${d.system} ${d.method.toUpperCase()} ${path} ${outcome}${detail}${d.hint ? `; ${d.hint}` : ''}`;
}

/** Just the path: messages end up in journals and emails, where hosts and query strings do not belong. */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.replace(/\?.*$/, '');
  }
}

function truncateBody(body: unknown): unknown {
  if (body === undefined || body === null) return body;
  if (typeof body === 'string') return body.length > BODY_LIMIT ? `${body.slice(0, BODY_LIMIT)}… (truncated)` : body;
  const json = JSON.stringify(body);
  if (json === undefined || json.length <= BODY_LIMIT) return body;
  return `${json.slice(0, BODY_LIMIT)}… (truncated)`;
}

function networkReason(cause: unknown): string {
  // undici hides the real reason (ECONNREFUSED, ENOTFOUND) one level down in `cause`.
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause;
  if (inner instanceof Error) {
    const code = (inner as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} ${inner.message}` : inner.message;
  }
  return 'the connection failed';
}
