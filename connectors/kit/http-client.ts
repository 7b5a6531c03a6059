import { Agent, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { Logger } from './define-connector.ts';
import {
  AuthError,
  findErrorMessage,
  HttpError,
  httpErrorFromStatus,
  NetworkError,
  parseRetryAfter,
  redactUrl,
  ResponseShapeError,
  StoppedBeforeAttemptError,
  TimeoutError,
} from './http-errors.ts';
import { StoppedWaitingError, untilAborted, waitUnlessStopped, type Limiter } from './rate-limiter.ts';
import { systemClock, type Clock } from '../../server/engine/clock.ts';
import { formatIssues } from '../../schemas/format-issues.ts';
import { fullJitterDelay } from './full-jitter.ts';

/** How a client authenticates: headers for each call, and optionally a way to recover from an expired session. */
export interface HttpAuth {
  /** Headers carrying the credentials (a cached token, an API key). Called before every attempt. */
  headers(signal?: AbortSignal): Promise<Record<string, string>>;
  /**
   * Called once per request when the system says the session expired (an `AuthError` with
   * `sessionExpired`). Refresh the token and return true to retry the request once with new headers.
   */
  onUnauthorized?(context: { error: AuthError; sentHeaders: Readonly<Record<string, string>> }): Promise<boolean>;
}

/** The in-call retry policy: short waits for transient faults; longer outages are left to the engine. */
export interface RetryPolicy {
  /**
   * Attempts in all, the first one included.
   * @default 3
   */
  attempts?: number;
  /**
   * Backoff before the second attempt; doubled for each further one, with full jitter.
   * @default 500
   */
  baseDelayMs?: number;
  /** @default 20_000 */
  maxDelayMs?: number;
  /**
   * A Retry-After longer than this is not waited out inside the call: the error goes up with its
   * `retryAfterMs` and the engine schedules the retry (a step should not hold a worker for minutes).
   * @default 60_000
   */
  maxRetryAfterMs?: number;
}

/** What a response check sees besides the body. */
export interface ResponseContext {
  system: string;
  method: string;
  url: string;
  status: number;
  headers: Headers;
}

export interface HttpClientOptions {
  /** The system's name in errors and logs (`prm`, `salesforce`). */
  system: string;
  /** Prepended to relative paths; a function when it is only known later (Salesforce's instance URL). */
  baseUrl?: string | (() => string | Promise<string>);
  /** Sent with every request. */
  headers?: Record<string, string>;
  auth?: HttpAuth;
  /**
   * Per attempt, from sending the request to reading the whole body.
   * @default 30_000
   */
  timeoutMs?: number;
  /** `false` disables in-call retries. */
  retry?: RetryPolicy | false;
  /**
   * Backoff waits and the "now" that Retry-After HTTP-dates are measured from. Inject the runtime's
   * clock so a virtual one drives retries in tests and the harness. @default systemClock
   */
  clock?: Clock;
  /** For backoff jitter. @default Math.random */
  random?: () => number;
  /** Keeps calls under the system's published rate. */
  limiter?: Limiter;
  /** Connection pool. @default the kit's shared keep-alive Agent */
  dispatcher?: Dispatcher;
  /**
   * Looks at every response before the status does: return an error for a failure hidden in a 200 body
   * (Marketo's `success: false`), or a more precise one than the status gives. Return nothing to carry on.
   */
  responseCheck?(response: ResponseContext, body: unknown): HttpError | undefined;
  /** Finds the system's own message and code in an error body. @default findErrorMessage */
  errorMessage?(body: unknown): { message?: string | undefined; code?: string | undefined };
  /** Requests at debug level, retries at warn; never headers or bodies. */
  log?: Logger;
  /**
   * Aborted when the process stops (SIGTERM): an attempt under way goes on to its answer or its timeout,
   * but no further attempt and no backoff or Retry-After wait starts; a wait under way ends. The request
   * throws the error of its last attempt, as when its attempts are used up, so every caller's rules for
   * a failed call hold unchanged (a step's retry policy, the outbox's look-up before a resend).
   * A request still waiting for the limiter's rate budget before its first attempt gives up at once and
   * throws StoppedBeforeAttemptError: nothing was sent, and the engine leaves its step as it was (the
   * turn is not done; the run goes on at the next start or on another replica). Once stopping, a request
   * takes a slot of the budget only when one is free: it waits for none.
   */
  stopping?: AbortSignal;
}

/**
 * What a connector's client lets its caller set: the transport. The rest (system, base URL, auth,
 * headers, how errors are read) is the client's own business.
 */
export type HttpTransportOptions = Omit<HttpClientOptions, 'system' | 'baseUrl' | 'auth' | 'headers' | 'responseCheck' | 'errorMessage'>;

type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];

export interface HttpRequest<T = unknown> {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  /** Relative to `baseUrl`, or an absolute URL. */
  path: string;
  /** Appended to the URL; null and undefined values are left out, arrays are joined with commas. */
  query?: Record<string, QueryValue>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as application/x-www-form-urlencoded (OAuth token requests). */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** The caller's cancellation (the step's signal): aborts without retrying. */
  signal?: AbortSignal;
  /**
   * Whether repeating the request is harmless, which allows in-call retries after a failure that may
   * have taken effect. GET, HEAD, OPTIONS, PUT and DELETE are by default; PATCH and POST only when set.
   */
  idempotent?: boolean;
  /** The body's expected shape; a 2xx body that does not match throws ResponseShapeError naming the field. */
  expect?: z.ZodType<T>;
  /** Overrides the client's timeout for this request. */
  timeoutMs?: number;
  /** Lines for the step's journal: retries and time spent waiting for rate budget. */
  note?(line: string): void;
}

/** What a connector's methods take per call: the step's cancellation and its journal. */
export type CallOptions = Pick<HttpRequest, 'signal' | 'note'>;

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** A base URL and a relative path, with exactly one slash between them. */
function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

let sharedAgent: Agent | undefined;

/**
 * The keep-alive connection pool every client shares unless given its own. It is handed to the GLOBAL
 * fetch as `dispatcher`: MSW intercepts the global fetch, not undici's own `fetch`/`request`.
 */
function sharedDispatcher(): Agent {
  sharedAgent ??= new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 32 });
  return sharedAgent;
}

/**
 * A small JSON-over-HTTP client for one external system: credentials, timeouts, typed errors mapped
 * from status codes, bounded retries with backoff for idempotent requests, one token refresh on an
 * expired session, and an optional rate limiter.
 */
export class HttpClient {
  readonly system: string;
  readonly #options: HttpClientOptions;
  readonly #retry: Required<RetryPolicy>;
  readonly #clock: Clock;

  constructor(options: HttpClientOptions) {
    this.system = options.system;
    this.#options = options;
    const retry = options.retry === false ? { attempts: 1 } : (options.retry ?? {});
    this.#retry = {
      attempts: Math.max(1, retry.attempts ?? 3),
      baseDelayMs: retry.baseDelayMs ?? 500,
      maxDelayMs: retry.maxDelayMs ?? 20_000,
      maxRetryAfterMs: retry.maxRetryAfterMs ?? 60_000,
    };
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * The longest one request can take before it resolves or throws, from its first attempt: every
   * attempt timing out, with the longest wait between two attempts (a backoff is at most maxDelayMs; a
   * Retry-After is waited out up to maxRetryAfterMs). With the defaults: 3 x 30 s + 2 x 60 s = 210 s.
   * Not counted: waits for the limiter's rate budget and an expired session's one repeat. A body sent
   * again is the same body, so a date stamped into it before the call can reach the system this much
   * later (the lead-share digest's settle minutes, D23).
   */
  get longestCallMs(): number {
    const timeoutMs = this.#options.timeoutMs ?? 30_000;
    const { attempts, maxDelayMs, maxRetryAfterMs } = this.#retry;
    return attempts * timeoutMs + (attempts - 1) * Math.max(maxDelayMs, maxRetryAfterMs);
  }

  /** Sends a request; resolves with a 2xx response, or throws an HttpError subclass. */
  async request<T = unknown>(request: HttpRequest<T>): Promise<HttpResponse<T>> {
    const retryable = request.idempotent ?? IDEMPOTENT_METHODS.has(request.method);
    let attempt = 0;
    /** The attempt answered 401 for an expired session, repeated with a new token (once per request). */
    let refused: AuthError | undefined;
    /** The failed attempt before the retry under way, if any. */
    let previous: HttpError | undefined;
    for (;;) {
      attempt += 1;
      const sent: { headers: Record<string, string> } = { headers: {} };
      try {
        return await this.#limited(request, sent);
      } catch (error) {
        if (error instanceof StoppedWaitingError) throw previous ? this.#notRetried(request, previous) : this.#notAttempted(request, refused);
        if (!(error instanceof HttpError)) throw error;
        const auth = this.#options.auth;
        if (error instanceof AuthError && error.sessionExpired && auth?.onUnauthorized && !refused) {
          refused = error;
          // A refused session means the request was not processed: repeating it is safe for any method.
          if (await auth.onUnauthorized({ error, sentHeaders: sent.headers })) {
            this.#options.log?.info({ system: this.system, method: request.method, url: error.url }, `${this.system}: session expired, retrying with a new token`);
            request.note?.(`${this.system} session expired; got a new token and repeated the call`);
            attempt -= 1;
            continue;
          }
        }
        // A call the system refused at the door (error.notApplied) did nothing: repeating it is safe for any method.
        if (!error.retryable || !(retryable || error.notApplied) || attempt >= this.#retry.attempts) throw error;
        const delay = this.#backoff(attempt, error.retryAfterMs);
        if (delay === undefined) throw error;
        if (this.#options.stopping?.aborted) throw this.#notRetried(request, error);
        this.#options.log?.warn({ system: this.system, method: request.method, url: error.url, status: error.status, attempt, delayMs: delay }, `${error.message}; retrying`);
        request.note?.(`${error.message}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${this.#retry.attempts})`);
        if (!(await this.#wait(delay, request.signal))) throw this.#notRetried(request, error);
        previous = error;
      }
    }
  }

  /**
   * The process began stopping while the request waited for rate budget before its first attempt:
   * nothing was sent; or before repeating with a new token an attempt `refused` for an expired session,
   * which changed nothing. (Before a retry, the attempt made is the last one here: #notRetried.)
   */
  #notAttempted(request: HttpRequest<unknown>, refused?: AuthError): StoppedBeforeAttemptError {
    const base = this.#options.baseUrl;
    // The path as the other errors give it; a base URL only known later (a login) is not asked for now.
    const url = /^https?:\/\//i.test(request.path) || typeof base !== 'string' ? request.path : joinUrl(base, request.path);
    const error = new StoppedBeforeAttemptError({ system: this.system, method: request.method, url, refusedStatus: refused?.status ?? undefined });
    this.#options.log?.info({ system: this.system, method: request.method, url: error.url }, error.message);
    request.note?.(error.message);
    return error;
  }

  /** The process stops: the failed attempt was the last one here (its caller retries later, as after the last attempt). */
  #notRetried(request: HttpRequest<unknown>, error: HttpError): HttpError {
    this.#options.log?.info({ system: this.system, method: request.method, url: error.url, status: error.status }, `${error.message}; not retried: this process is stopping`);
    request.note?.(`${error.message}; not retried in this call: the runtime was stopping`);
    return error;
  }

  /** Waits `ms` on the clock before a retry; false when the process began stopping meanwhile (the caller's own cancellation throws). */
  async #wait(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    // Never called once stopping (the retry is refused before): StoppedWaitingError means it began meanwhile.
    const stopping = this.#options.stopping;
    try {
      await waitUnlessStopped((both) => this.#clock.sleep(ms, both), signal, stopping);
      return !stopping?.aborted;
    } catch (reason) {
      if (reason instanceof StoppedWaitingError) return false;
      throw reason;
    }
  }

  /** Full-jitter exponential backoff, never shorter than the server's Retry-After; undefined when that is too long to wait here. */
  #backoff(attempt: number, retryAfterMs: number | undefined): number | undefined {
    if (retryAfterMs !== undefined && retryAfterMs > this.#retry.maxRetryAfterMs) return undefined;
    return fullJitterDelay({
      failedAttempts: attempt,
      initialMs: this.#retry.baseDelayMs,
      rate: 2,
      maxMs: this.#retry.maxDelayMs,
      retryAfterMs,
      random: this.#options.random ?? Math.random,
    });
  }

  #limited<T>(request: HttpRequest<T>, sent: { headers: Record<string, string> }): Promise<HttpResponse<T>> {
    const limiter = this.#options.limiter;
    if (!limiter) return this.#attempt(request, sent);
    return limiter.run(() => this.#attempt(request, sent), {
      ...(request.signal ? { signal: request.signal } : {}),
      ...(this.#options.stopping ? { stopping: this.#options.stopping } : {}),
      // A wait under 50 ms is a queue turn, not throttling: the journal keeps what an operator would want to know.
      onWait: (ms) => (ms >= 50 ? request.note?.(`waited ${(ms / 1000).toFixed(1)} s for ${this.system} rate budget`) : undefined),
    });
  }

  async #attempt<T>(request: HttpRequest<T>, sent: { headers: Record<string, string> }): Promise<HttpResponse<T>> {
    const url = await this.#url(request);
    const method = request.method;
    // A token fetch is shared and goes on (its own client's timeout bounds it); this call stops waiting for it once canceled.
    const authHeaders = this.#options.auth ? await untilAborted(this.#options.auth.headers(request.signal), request.signal) : {};
    const headers: Record<string, string> = { accept: 'application/json', ...this.#options.headers, ...authHeaders, ...request.headers };
    let body: string | undefined;
    if (request.form) {
      body = new URLSearchParams(request.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }
    sent.headers = headers;

    const timeoutMs = request.timeoutMs ?? this.#options.timeoutMs ?? 30_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    const started = Date.now();
    let response: Response;
    let parsed: unknown;
    try {
      const init = { method, headers, body, signal, dispatcher: this.#options.dispatcher ?? sharedDispatcher() };
      // undici's Agent type differs from the one @types/node bundles for the global fetch; at run time they interoperate.
      response = await fetch(url, init as unknown as RequestInit);
      parsed = parseBody(await response.text(), response.headers.get('content-type'));
    } catch (cause) {
      // The caller's own cancellation is not a failure of the system: pass it through, never retry it.
      if (request.signal?.aborted) throw request.signal.reason;
      if (timeout.aborted) throw new TimeoutError({ system: this.system, method, url, timeoutMs, cause });
      throw new NetworkError({ system: this.system, method, url, cause });
    }
    const log = this.#options.log;
    // redactUrl parses the URL again; with debug off (the usual case) the line is dropped, so skip the work.
    if (log && (log.isLevelEnabled?.('debug') ?? true)) {
      log.debug({ system: this.system, method, url: redactUrl(url), status: response.status, ms: Date.now() - started }, `${this.system} ${method} ${response.status}`);
    }

    const context: ResponseContext = { system: this.system, method, url, status: response.status, headers: response.headers };
    const custom = this.#options.responseCheck?.(context, parsed);
    if (custom) throw custom;
    if (response.status < 200 || response.status >= 300) {
      const found = (this.#options.errorMessage ?? findErrorMessage)(parsed);
      throw httpErrorFromStatus({
        system: this.system,
        status: response.status,
        method,
        url,
        body: parsed,
        systemMessage: found.message ?? response.statusText,
        code: found.code,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), this.#clock.now()),
      });
    }
    if (!request.expect) return { status: response.status, headers: response.headers, body: parsed as T };
    const checked = request.expect.safeParse(parsed);
    if (!checked.success) {
      throw new ResponseShapeError({
        system: this.system,
        status: response.status,
        method,
        url,
        body: parsed,
        systemMessage: `unexpected response: ${describeIssues(checked.error)}`,
      });
    }
    return { status: response.status, headers: response.headers, body: checked.data };
  }

  async #url(request: HttpRequest<unknown>): Promise<string> {
    let url: URL;
    if (/^https?:\/\//i.test(request.path)) url = new URL(request.path);
    else {
      const base = this.#options.baseUrl;
      const resolved = typeof base === 'function' ? await base() : base;
      if (!resolved) throw new Error(`${this.system}: a relative path (${request.path}) needs a baseUrl`);
      url = new URL(joinUrl(resolved, request.path));
    }
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value === null || value === undefined) continue;
      url.searchParams.append(key, Array.isArray(value) ? value.join(',') : String(value));
    }
    return url.toString();
  }
}

/** JSON when it parses as JSON, the text otherwise, undefined when empty (204). */
function parseBody(text: string, contentType: string | null): unknown {
  if (text === '') return undefined;
  const looksJson = contentType?.includes('json') || /^\s*[[{"]/.test(text);
  if (!looksJson) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** `data.results[3].status: Invalid option: expected one of ...`, the first three issues. */
function describeIssues(error: z.ZodError): string {
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return formatIssues(error.issues.slice(0, 3)) + more;
}
