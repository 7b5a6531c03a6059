import { randomBytes } from 'node:crypto';
import type { MockClock } from '../clock.ts';

/**
 * The access tokens of the simulated identity service. One token at a time, as Marketo does: asked
 * again before it expires, the service answers the same token with the seconds it has left; after
 * the expiry, a new one. An API call with an expired token answers 602, with a token never issued 601.
 */
export class MarketoIdentity {
  readonly #clock: MockClock;
  readonly #lifetimeSeconds: () => number;
  #current: { token: string; expiresAt: number } | null = null;
  #issued = new Set<string>();

  constructor(clock: MockClock, lifetimeSeconds: () => number) {
    this.#clock = clock;
    this.#lifetimeSeconds = lifetimeSeconds;
  }

  /** The current token and its seconds left, or a new one when there is none or it expired. */
  issue(): { token: string; expiresIn: number } {
    const now = this.#clock.now();
    if (!this.#current || this.#current.expiresAt <= now) {
      const token = `${randomBytes(16).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-')}:ab`;
      this.#current = { token, expiresAt: now + this.#lifetimeSeconds() * 1000 };
      this.#issued.add(token);
    }
    return { token: this.#current.token, expiresIn: Math.max(0, Math.floor((this.#current.expiresAt - now) / 1000)) };
  }

  /** null when the token may be used; else Marketo's code: 600 missing, 601 invalid, 602 expired. */
  check(token: string | null): '600' | '601' | '602' | null {
    if (!token) return '600';
    if (!this.#issued.has(token)) return '601';
    if (this.#current?.token !== token || this.#current.expiresAt <= this.#clock.now()) return '602';
    return null;
  }

  /** The current token expires now (the `expired_token` fault): the next call answers 602, the next token request brings a new one. */
  expire(): void {
    if (this.#current) this.#current.expiresAt = this.#clock.now();
  }

  clear(): void {
    this.#current = null;
    this.#issued.clear();
  }
}
