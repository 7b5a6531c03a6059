import { z } from 'zod';
import type { ResponseContext } from '../kit/http-client.ts';
import { AuthError, HttpError, NotFoundError, RateLimitError, ServerError, ValidationError, type HttpErrorDetails } from '../kit/http-errors.ts';

/** Marketo's envelope, as far as errors go: `{ requestId, success, errors: [ { code, message } ] }`. */
export const MarketoEnvelope = z
  .object({
    requestId: z.string().optional(),
    success: z.boolean(),
    errors: z.array(z.object({ code: z.union([z.string(), z.number()]).transform(String), message: z.string().optional() }).loose()).optional(),
    warnings: z.array(z.unknown()).optional(),
  })
  .loose();

/** What the connector does with a Marketo error code. */
type Handling =
  /** Get a new token and repeat the call once. */
  | 'new-token'
  /** Wait (backoff with jitter) and repeat: the call was refused before Marketo did any of it. */
  | 'back-off'
  /** Make no Marketo call until the daily reset. */
  | 'quota'
  /** Transient on Marketo's side: repeat safe calls with backoff. */
  | 'transient'
  | 'not-found'
  | 'invalid'
  | 'denied';

/**
 * The error codes of Marketo's envelope (docs/systems.md, Marketo REST, Errors), what each means and
 * what the connector does with it. A code not listed fails the step, naming the code and Marketo's message.
 */
export const MARKETO_ERROR_CODES: Readonly<Record<string, { meaning: string; handling: Handling }>> = {
  '600': { meaning: 'access token missing', handling: 'new-token' },
  '601': { meaning: 'access token invalid', handling: 'new-token' },
  '602': { meaning: 'access token expired', handling: 'new-token' },
  '603': { meaning: 'access denied', handling: 'denied' },
  '604': { meaning: 'request timed out', handling: 'transient' },
  '606': { meaning: 'over the rate limit of calls per 20 s', handling: 'back-off' },
  '607': { meaning: 'daily quota reached', handling: 'quota' },
  '608': { meaning: 'API temporarily unavailable', handling: 'transient' },
  '609': { meaning: 'invalid JSON', handling: 'invalid' },
  '610': { meaning: 'requested resource not found', handling: 'not-found' },
  '611': { meaning: 'system error', handling: 'transient' },
  '612': { meaning: 'invalid content type', handling: 'invalid' },
  '614': { meaning: 'invalid subscription', handling: 'denied' },
  '615': { meaning: 'over the limit of concurrent calls', handling: 'back-off' },
  '1001': { meaning: 'invalid value', handling: 'invalid' },
  '1002': { meaning: 'missing value', handling: 'invalid' },
  '1003': { meaning: 'invalid data', handling: 'invalid' },
  '1004': { meaning: 'lead not found', handling: 'not-found' },
  '1005': { meaning: 'lead already exists', handling: 'invalid' },
  '1006': { meaning: 'unknown field', handling: 'invalid' },
  '1007': { meaning: 'several leads match the lookup', handling: 'invalid' },
  '1013': { meaning: 'object not found (list, campaign or program)', handling: 'not-found' },
};

/**
 * Marketo's daily call quota is spent (607). No Marketo call is made by this process until the
 * reset; the step is tried again then without spending one of its attempts (the engine reads
 * `spendsNoAttempt` and `retryAfterMs`).
 */
export class MarketoQuotaError extends RateLimitError {
  override name = 'MarketoQuotaError';
  /** Epoch ms of the reset, when calls resume. */
  readonly resumesAt: number;
  /** Read by the engine: waiting for the reset is not a failed attempt. */
  readonly spendsNoAttempt = true;
  constructor(details: Omit<HttpErrorDetails, 'message' | 'retryAfterMs'>, options: { resumesAt: number; now: number; zone: string }) {
    const at = new Date(options.resumesAt).toISOString();
    super({
      ...details,
      code: '607',
      notApplied: true,
      retryAfterMs: Math.max(0, options.resumesAt - options.now),
      message: `marketo: the daily API quota is spent (error 607); no Marketo call is made until ${at} (midnight ${options.zone}, when Marketo resets the quota: MARKETO_QUOTA_RESET_ZONE); the step is tried again then`,
    });
    this.resumesAt = options.resumesAt;
  }
}

/** `marketo POST /rest/v1/leads.json failed: Marketo error 1006 (unknown field): Field 'x' not found`. */
function describe(response: Pick<ResponseContext, 'method' | 'url'>, code: string, message: string | undefined): string {
  let path = response.url;
  try {
    path = new URL(response.url).pathname;
  } catch {
    // keep the URL as it is
  }
  const meaning = MARKETO_ERROR_CODES[code]?.meaning;
  return `marketo ${response.method.toUpperCase()} ${path} failed: Marketo error ${code}${meaning ? ` (${meaning})` : ''}${message ? `: ${message}` : ''}`;
}

/**
 * Turns a Marketo answer into the connector's error, or nothing when it succeeded. Business errors
 * come back with HTTP 200 and `success: false`; 413 and 414 are real statuses with no envelope.
 * `onQuotaSpent` is told of a 607 and answers when calls resume.
 */
export function checkMarketoResponse(
  response: ResponseContext,
  body: unknown,
  onQuotaSpent: () => { resumesAt: number; now: number; zone: string },
): HttpError | undefined {
  const base = { system: 'marketo', status: response.status, method: response.method, url: response.url, body };
  if (response.status === 413) {
    return new ValidationError({ ...base, message: `marketo ${response.method} ${pathOf(response.url)} answered 413: the request body is over Marketo's 1 MB limit; send fewer records a call` });
  }
  if (response.status === 414) {
    return new ValidationError({ ...base, message: `marketo ${response.method} ${pathOf(response.url)} answered 414: the URL is over Marketo's 8 KB limit; ask for fewer values a call` });
  }
  if (response.status < 200 || response.status >= 300) return undefined;
  const envelope = MarketoEnvelope.safeParse(body);
  if (!envelope.success || envelope.data.success) return undefined;
  const first = envelope.data.errors?.[0];
  const code = first?.code ?? 'unknown';
  const details = { ...base, code, systemMessage: first?.message, message: describe(response, code, first?.message) };
  switch (MARKETO_ERROR_CODES[code]?.handling) {
    case 'new-token':
      return new AuthError(details, { sessionExpired: true });
    case 'denied':
      return new AuthError(details, { sessionExpired: false });
    case 'back-off':
      return new RateLimitError({ ...details, notApplied: true });
    case 'quota':
      return new MarketoQuotaError(base, onQuotaSpent());
    case 'transient':
      // ServerError decides retryability by status: a 200 carrying a transient code is retryable as a 503 would be.
      return new ServerError({ ...details, status: 503, message: details.message });
    case 'not-found':
      return new NotFoundError(details);
    case 'invalid':
      return new ValidationError(details);
    default:
      return new HttpError(details, false);
  }
}

/**
 * The identity endpoint refuses bad credentials with 401 (`{ error: "unauthorized", error_description:
 * "Bad client credentials" }`): a new token will not fix that, so it is not a session to refresh.
 */
export function checkIdentityResponse(response: ResponseContext, body: unknown): HttpError | undefined {
  if (response.status !== 401 && response.status !== 400) return undefined;
  const parsed = z.object({ error: z.string(), error_description: z.string().optional() }).safeParse(body);
  const said = parsed.success ? (parsed.data.error_description ?? parsed.data.error) : 'refused';
  return new AuthError(
    { system: 'marketo', status: response.status, method: response.method, url: response.url, body, message: `marketo: the identity service refused the client credentials (${said}); check MARKETO_CLIENT_ID and MARKETO_CLIENT_SECRET` },
    { sessionExpired: false },
  );
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
