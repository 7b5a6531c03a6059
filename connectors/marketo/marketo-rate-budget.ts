import type { Clock } from '../../server/engine/clock.ts';
import { RateLimiter, type Limiter, type RunOptions } from '../kit/rate-limiter.ts';
import type { DailyQuotaGate } from './marketo-daily-quota.ts';
import { MarketoQuotaError } from './marketo-errors.ts';

/** The numbers of a Marketo rate budget (MARKETO_MAX_CALLS_PER_WINDOW, MARKETO_WINDOW_SECONDS, MARKETO_MAX_CONCURRENT). */
export interface MarketoBudgetSettings {
  maxCallsPerWindow: number;
  windowSeconds: number;
  maxConcurrent: number;
}

/**
 * The rate budget of one Marketo connection: at most `maxCallsPerWindow` calls started in any sliding
 * window of `windowSeconds` and `maxConcurrent` in flight (Marketo: 100 per 20 s, 10 at once), shared
 * by every run and recipe of the process because the connection is built once per runtime. A call
 * that waited for budget says so in its step's journal (the HTTP client notes it).
 *
 * It sits behind the kit's `Limiter` interface (`run(fn, { onWait, signal })`) and nothing else: the
 * Marketo client takes any `Limiter`. Marketo's limits are per instance, so several replicas share one
 * budget; a later store-backed limiter (the window's start times and the calls in flight kept in the
 * store, taken by compare-and-set) implements the same interface and replaces `RateLimiter` here
 * without touching the client or the actions.
 *
 * Before a call takes budget, and again when its turn comes, the daily-quota gate is asked: after a 607,
 * calls fail at once with `MarketoQuotaError` until the reset, without reaching Marketo.
 */
export class MarketoRateBudget implements Limiter {
  readonly #limiter: Limiter;
  readonly #quota: DailyQuotaGate;
  readonly #clock: Clock;

  constructor(options: { settings: MarketoBudgetSettings; quota: DailyQuotaGate; clock: Clock; limiter?: Limiter }) {
    const { settings, clock } = options;
    this.#limiter =
      options.limiter ??
      new RateLimiter({ maxCalls: settings.maxCallsPerWindow, perMs: settings.windowSeconds * 1000, maxConcurrent: settings.maxConcurrent, clock });
    this.#quota = options.quota;
    this.#clock = clock;
  }

  run<T>(fn: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    this.#checkQuota();
    return this.#limiter.run(() => {
      // Calls queued before the 607 arrived must not go out after it.
      this.#checkQuota();
      return fn();
    }, options);
  }

  #checkQuota(): void {
    const resumesAt = this.#quota.blockedUntil();
    if (resumesAt === null) return;
    throw new MarketoQuotaError(
      { system: 'marketo', status: null, method: 'ANY', url: 'marketo:' },
      { resumesAt, now: this.#clock.now(), zone: this.#quota.zone },
    );
  }
}
