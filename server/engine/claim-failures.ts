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
  readonly #messages: ClaimFailureMessages;
  readonly #fields: Record<string, unknown>;

  /**
   * `messages` and `fields` (put before each line's own) word another outage the same way (the start
   * taking its worker id, worker-id-claim.ts); by default, the claim loop's.
   */
  constructor(
    private readonly log: Logger,
    private readonly now: () => number = () => performance.now(),
    options: { messages?: ClaimFailureMessages; fields?: Record<string, unknown> } = {},
  ) {
    this.#messages = options.messages ?? CLAIM_LOOP_MESSAGES;
    this.#fields = options.fields ?? {};
  }

  /** How many tries failed in a row (0 when the last one worked): a caller's backoff grows with it. */
  get failures(): number {
    return this.#failures;
  }

  failed(error: unknown): void {
    const message = (error as Error).message;
    const now = this.now();
    this.#failures += 1;
    if (this.#failures === 1) {
      this.#since = this.#lastSaidAt = now;
      this.log.error({ ...this.#fields, error: message }, this.#messages.started);
    } else if (now - this.#lastSaidAt >= CLAIM_FAILURE_REMINDER_MS) {
      this.#lastSaidAt = now;
      this.log.warn({ ...this.#fields, error: message, failures: this.#failures, forMs: Math.round(now - this.#since) }, this.#messages.still);
    }
  }

  succeeded(): void {
    if (this.#failures === 0) return;
    this.log.info({ ...this.#fields, failures: this.#failures, forMs: Math.round(this.now() - this.#since) }, this.#messages.over(this.#failures));
    this.#failures = 0;
  }
}

/** What is said when an outage starts (error), while it lasts (warn) and when it is over (info, after `failures` failed tries). */
export interface ClaimFailureMessages {
  started: string;
  still: string;
  over: (failures: number) => string;
}

const CLAIM_LOOP_MESSAGES: ClaimFailureMessages = {
  started: 'claiming due runs failed; will try again',
  still: 'claiming due runs still fails; trying again',
  over: () => 'store reachable again: claiming due runs works again',
};
