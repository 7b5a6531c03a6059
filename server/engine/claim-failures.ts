import type { Logger } from '../../connectors/kit/define-connector.ts';

/** While claims keep failing, how often the worker says so again (real ms). */
export const CLAIM_FAILURE_REMINDER_MS = 60_000;

/**
 * What the worker loop logs of failed claims. It tries again every 500 ms: while the store is away
 * (PostgreSQL restarting, a network cut) a line per try would be ~7,000 an hour per replica (review 5,
 * finding 11). An outage is said once at error when it starts, then at warn every
 * CLAIM_FAILURE_REMINDER_MS with how many tries failed so far, and at info when a claim works again.
 */
export class ClaimFailures {
  #failures = 0;
  #since = 0;
  #lastSaidAt = 0;

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {}

  failed(error: unknown): void {
    const message = (error as Error).message;
    const now = this.now();
    this.#failures += 1;
    if (this.#failures === 1) {
      this.#since = this.#lastSaidAt = now;
      this.log.error({ error: message }, 'claiming due runs failed; will try again');
    } else if (now - this.#lastSaidAt >= CLAIM_FAILURE_REMINDER_MS) {
      this.#lastSaidAt = now;
      this.log.warn({ error: message, failures: this.#failures, forMs: Math.round(now - this.#since) }, 'claiming due runs still fails; trying again');
    }
  }

  succeeded(): void {
    if (this.#failures === 0) return;
    this.log.info({ failures: this.#failures, forMs: Math.round(this.now() - this.#since) }, 'store reachable again: claiming due runs works again');
    this.#failures = 0;
  }
}
