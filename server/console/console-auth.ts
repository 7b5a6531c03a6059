import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Store } from '../store/store.ts';

/** The console's Hono environment: the CSRF token of the request's session (or of the open console). */
/** `requestId`: the id the app gave the request (the console is served as a request of its own). */
export type ConsoleEnv = { Variables: { csrf: string }; Bindings: { requestId?: string } };

/** The session cookie; its value is a random id whose sha256 is all the store keeps. */
export const SESSION_COOKIE = 'pf_console';
/** Before a login: a random value the login form repeats (double submit), so a login cannot be forged cross-site. */
export const LOGIN_COOKIE = 'pf_console_login';
/** How long a console login lasts: a working day; logging out ends it sooner. */
export const SESSION_HOURS = 12;

/** The Content-Security-Policy of every console response: nothing inline, nothing from elsewhere. */
export const CONSOLE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'";

export interface ConsoleAuthOptions {
  store: Store;
  /** PARTNERFLOW_API_TOKEN; null (mock mode on a laptop) leaves the console open, as it leaves the API. */
  apiToken: string | null;
  /** Whether cookies get `Secure`: PUBLIC_BASE_URL is https. */
  secureCookies: boolean;
  now: () => number;
}

/**
 * Logins, sessions and CSRF for the console. With a token configured, a login form takes the operator
 * token (compared as digests, in constant time) and sets an HttpOnly, SameSite=Strict session cookie;
 * the session (its id's hash, expiry and CSRF token) lives in the store, so it holds across replicas
 * and a logout ends it for every copy of the cookie. Without a token nobody logs in, but POSTs still
 * need the CSRF token of this process: another site's page cannot post to a console on localhost.
 */
export class ConsoleAuth {
  readonly #expected: Buffer | null;
  /** The CSRF token of the open console (no login): random per process, never sent to another origin. */
  readonly #openCsrf = randomToken();

  constructor(readonly options: ConsoleAuthOptions) {
    this.#expected = options.apiToken === null ? null : digest(options.apiToken);
  }

  get loginRequired(): boolean {
    return this.#expected !== null;
  }

  /** Whether `token` is the operator token; constant time, and no hint about its length. */
  tokenMatches(token: string): boolean {
    return this.#expected !== null && timingSafeEqual(digest(token), this.#expected);
  }

  /** Starts a session and sets its cookie. */
  async logIn(c: Context): Promise<void> {
    const id = randomToken();
    const now = this.options.now();
    await this.options.store.createConsoleSession({ idHash: hashId(id), csrfToken: randomToken(), createdAt: now, expiresAt: now + SESSION_HOURS * 3600_000 });
    setCookie(c, SESSION_COOKIE, id, { httpOnly: true, sameSite: 'Strict', path: '/', secure: this.options.secureCookies, maxAge: SESSION_HOURS * 3600 });
    deleteCookie(c, LOGIN_COOKIE, { path: '/console/login', secure: this.options.secureCookies });
  }

  /** Ends the request's session in the store (so a copy of the cookie is refused too) and clears the cookie. */
  async logOut(c: Context): Promise<void> {
    const id = getCookie(c, SESSION_COOKIE);
    if (id) await this.options.store.deleteConsoleSession(hashId(id));
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: this.options.secureCookies, httpOnly: true, sameSite: 'Strict' });
  }

  /** The login form's double-submit value: the cookie's, or a new one set now. */
  loginNonce(c: Context): string {
    const existing = getCookie(c, LOGIN_COOKIE);
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const nonce = randomToken();
    setCookie(c, LOGIN_COOKIE, nonce, { httpOnly: true, sameSite: 'Strict', path: '/console/login', secure: this.options.secureCookies });
    return nonce;
  }

  /** Whether a login POST repeats its cookie's value. */
  loginNonceMatches(c: Context, given: unknown): boolean {
    const cookie = getCookie(c, LOGIN_COOKIE);
    return typeof given === 'string' && cookie !== undefined && sameText(given, cookie);
  }

  /**
   * Guards the console's pages: without a live session, a GET goes to the login page (303) and
   * remembers where it was going; a POST too, after nothing was done. Sets `csrf` for the page.
   */
  requireSession(): MiddlewareHandler<ConsoleEnv> {
    return async (c, next) => {
      if (this.#expected === null) {
        c.set('csrf', this.#openCsrf);
        return next();
      }
      const id = getCookie(c, SESSION_COOKIE);
      const session = id ? await this.options.store.consoleSession(hashId(id), this.options.now()) : undefined;
      if (!session) {
        const next = c.req.method === 'GET' ? c.req.path + (new URL(c.req.url).search || '') : '/console/runs';
        return c.redirect(`/console/login?next=${encodeURIComponent(next)}`, 303);
      }
      c.set('csrf', session.csrfToken);
      return next();
    };
  }

  /** Whether a POST carries the CSRF token of its session (or of the open console). */
  csrfMatches(c: Context<ConsoleEnv>, given: unknown): boolean {
    return typeof given === 'string' && sameText(given, c.get('csrf'));
  }
}

/** A redirect target inside the console only (never another site): what the login goes back to. */
export function safeNext(next: string | undefined): string {
  return next && /^\/console(\/[A-Za-z0-9_\-./?=&%]*)?$/.test(next) && !next.startsWith('//') ? next : '/console/runs';
}

function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

function hashId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function sameText(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}
