/** A token as its issuer handed it out, with the moment it stops being valid. */
export interface IssuedToken<T> {
  value: T;
  /** Epoch ms after which the token is no longer accepted; null when the issuer does not say. */
  expiresAt: number | null;
}

export interface TokenCacheOptions<T> {
  /**
   * Asks the issuer for a new token (an OAuth grant). It gets no caller's signal: the request is shared,
   * and one caller giving up must not fail the others (the HTTP client's timeout bounds it).
   */
  fetchToken(): Promise<IssuedToken<T>>;
  /** @default Date.now */
  now?: () => number;
  /**
   * A token this close to its expiry is replaced before use, so a call never starts with a token that
   * expires on the way.
   * @default 60_000
   */
  refreshMarginMs?: number;
}

/**
 * Holds one access token until it expires or is invalidated. Concurrent callers that find no valid
 * token share a single request for a new one: fifty parallel calls after an expiry cost one grant, not
 * fifty (issuers rate-limit their token endpoints, and Marketo hands out the same token anyway).
 */
export class TokenCache<T> {
  readonly #fetchToken: TokenCacheOptions<T>['fetchToken'];
  readonly #now: () => number;
  readonly #marginMs: number;
  #current: IssuedToken<T> | null = null;
  #pending: Promise<IssuedToken<T>> | null = null;

  constructor(options: TokenCacheOptions<T>) {
    this.#fetchToken = options.fetchToken;
    this.#now = options.now ?? Date.now;
    this.#marginMs = options.refreshMarginMs ?? 60_000;
  }

  /** A valid token: the cached one, or a new one (shared with every concurrent caller). */
  async get(): Promise<T> {
    const current = this.#current;
    if (current && (current.expiresAt === null || current.expiresAt - this.#marginMs > this.#now())) return current.value;
    return (await this.#refresh()).value;
  }

  /** The cached token without fetching one, or undefined. */
  peek(): T | undefined {
    return this.#current?.value;
  }

  /**
   * Forgets the token (the system refused it). With `stale`, only when it is still the cached one: of
   * several calls refused with the same expired token, the first invalidation counts and the others do
   * not throw away the fresh token the first one fetched.
   */
  invalidate(stale?: T): void {
    if (stale === undefined || (this.#current !== null && this.#current.value === stale)) this.#current = null;
  }

  #refresh(): Promise<IssuedToken<T>> {
    if (this.#pending) return this.#pending;
    const pending = this.#fetchToken().then(
      (token) => {
        this.#current = token;
        return token;
      },
    ).finally(() => {
      // A failed grant is not cached: the next caller tries again.
      if (this.#pending === pending) this.#pending = null;
    });
    this.#pending = pending;
    return pending;
  }
}
