import type { Logger } from '../../connectors/kit/define-connector.ts';

/** While an outage lasts, how often it is said again (real ms). */
export const OUTAGE_REMINDER_MS = 60_000;

/** What is said when an outage starts (error), while it lasts (warn) and when it is over (info, after `failures` failures). */
export interface OutageMessages {
  started: string;
  still: string;
  over: (failures: number) => string;
}

/**
 * What the log says of something that keeps failing while the store is away (PostgreSQL restarting, a
 * network cut): the claim loop tries every 500 ms, the wake-up connection reconnects, load balancers
 * probe /healthz, senders deliver again. A line per failure would be thousands an hour per replica
 * (review 5, finding 11; review 9, finding 4), burying the one line that says what happened. An
 * outage is said once at error when it starts, at warn at most every OUTAGE_REMINDER_MS with how many
 * failures so far and for how long, and at info when it is over.
 *
 * "Over" is the first success, unless `quietMs` is given: for what fails only now and then (a webhook
 * refused while most are stored: a flapping store), the outage is over only at a success that comes
 * quietMs after the last failure, so that it is not said as a start and an end per request. A
 * success within that time is kept: should nothing come for quietMs and then a failure, the outage
 * ended at that success and the failure starts another. `startLevel` warn: for a part whose single
 * failure is routine (a listening connection an idle timeout cut, back in 50 ms), whose outage the claim
 * loop says at error anyway if the store is really away.
 */
export class Outage {
  #failures = 0;
  /** Successes within the quiet time of a failure, while the outage lasts. */
  #workedMeanwhile = 0;
  #since = 0;
  #lastFailedAt = 0;
  #lastSaidAt = 0;
  /** The first success after the last failure, or null. */
  #workedAt: number | null = null;
  readonly #now: () => number;
  readonly #fields: Record<string, unknown>;
  readonly #quietMs: number;
  readonly #startLevel: 'error' | 'warn';

  /**
   * `fields` are put before each line's own (which part, e.g. the worker id); `now` is real time in ms
   * (performance.now() by default): an engine's clock may be virtual and stand still.
   */
  constructor(
    private readonly log: Logger,
    private readonly messages: OutageMessages,
    options: { now?: () => number; fields?: Record<string, unknown>; quietMs?: number; startLevel?: 'error' | 'warn' } = {},
  ) {
    this.#now = options.now ?? (() => performance.now());
    this.#fields = options.fields ?? {};
    this.#quietMs = options.quietMs ?? 0;
    this.#startLevel = options.startLevel ?? 'error';
  }

  /** How many failures the outage has had so far (0 when there is none): a caller's backoff grows with it. */
  get failures(): number {
    return this.#failures;
  }

  /** One failure; `fields` add to its line, if it gets one (the request that failed). */
  failed(error: unknown, fields: Record<string, unknown> = {}): void {
    const message = error instanceof Error ? error.message : String(error);
    const now = this.#now();
    if (this.#workedAt !== null && now - this.#lastFailedAt >= this.#quietMs) this.#over(this.#workedAt);
    this.#workedAt = null;
    this.#lastFailedAt = now;
    this.#failures += 1;
    if (this.#failures === 1) {
      this.#since = this.#lastSaidAt = now;
      this.log[this.#startLevel]({ ...this.#fields, ...fields, error: message }, this.messages.started);
    } else if (now - this.#lastSaidAt >= OUTAGE_REMINDER_MS) {
      this.#lastSaidAt = now;
      this.log.warn({ ...this.#fields, ...fields, error: message, ...this.#counts(now) }, this.messages.still);
    }
  }

  succeeded(): void {
    if (this.#failures === 0) return;
    const now = this.#now();
    this.#workedAt ??= now;
    if (now - this.#lastFailedAt < this.#quietMs) {
      this.#workedMeanwhile += 1;
      return;
    }
    this.#over(this.#workedAt);
  }

  #over(workedAt: number): void {
    // With a quiet time, "over" is said at the next call after it, which may come much later (a sender
    // that delivers a few times an hour): the line says when it worked again, on the wall clock.
    const worked = this.#quietMs > 0 ? { workedAgainAt: new Date(Date.now() - (this.#now() - workedAt)).toISOString() } : {};
    this.log.info({ ...this.#fields, ...this.#counts(workedAt), ...worked }, this.messages.over(this.#failures));
    this.#failures = 0;
    this.#workedMeanwhile = 0;
    this.#workedAt = null;
  }

  /** How many failures, for how long (from the first failure to `at`), and how many successes between them. */
  #counts(at: number): Record<string, number> {
    return { failures: this.#failures, forMs: Math.round(at - this.#since), ...(this.#workedMeanwhile > 0 ? { workedMeanwhile: this.#workedMeanwhile } : {}) };
  }
}
