import type { Clock } from '../../server/engine/clock.ts';
import type { Logger } from '../kit/define-connector.ts';
import { RateLimiter, type Limiter, type RunOptions } from '../kit/rate-limiter.ts';
import { SharedRateLimiter, type SharedRateLimiterOptions } from '../kit/shared-rate-limiter.ts';
import type { DailyQuotaGate } from './marketo-daily-quota.ts';
import { MarketoQuotaError } from './marketo-errors.ts';

/** The numbers of a Marketo rate budget (MARKETO_MAX_CALLS_PER_WINDOW, MARKETO_WINDOW_SECONDS, MARKETO_MAX_CONCURRENT). */
export interface MarketoBudgetSettings {
  maxCallsPerWindow: number;
  windowSeconds: number;
  maxConcurrent: number;
}

/**
 * The rate budget of one Marketo instance: at most `maxCallsPerWindow` calls started in any sliding
 * window of `windowSeconds` and `maxConcurrent` in flight (Marketo: 100 per 20 s, 10 at once). Marketo
 * counts per instance, not per process, so the budget is shared by every run, recipe AND replica: it
 * lives in the store (the kit's `SharedRateLimiter` over `Store.takeRateBudget`, named
 * `marketo:<host of MARKETO_BASE_URL>`), and three replicas on one PostgreSQL database together stay
 * under it. Design (server/store/rate-budgets.ts):
 * - per call, one take before it (a compare-and-set in one transaction: a slot in flight, leased, and
 *   a start in the window) and one release after; no read-then-write race on SQLite or PostgreSQL;
 * - a full window is waited out on the runtime's clock until its oldest start leaves it (the time
 *   comes from the store), so the harness's virtual clock jumps there; a full set of slots until a
 *   call of this process ends, or after a short real-time poll when other replicas hold them;
 * - a slot's lease (60 s, renewed while the call runs) frees the slots of a replica that died;
 * - the window survives a restart: a process restarted after 100 calls cannot send 100 more at once.
 * A single SQLite process uses the same store-backed budget (the same code path as replicas, tested by
 * every Marketo test): it costs about 0.1 ms of CPU per call on a file (README, Marketo), next to
 * Marketo's pace of at most 5 calls a second. A call that waited says so in its step's journal (the
 * HTTP client notes it).
 *
 * Without `shared` (a store), the budget is the process's own (`RateLimiter`), for a client built
 * outside a runtime. The Marketo client takes any `Limiter`.
 *
 * Before a call takes budget, and again when its turn comes, the daily-quota gate is asked: after a 607,
 * calls fail at once with `MarketoQuotaError` until the reset, without reaching Marketo.
 */
export class MarketoRateBudget implements Limiter {
  readonly #limiter: Limiter;
  readonly #quota: DailyQuotaGate;
  readonly #clock: Clock;

  constructor(options: {
    settings: MarketoBudgetSettings;
    quota: DailyQuotaGate;
    clock: Clock;
    /** The store every replica shares, and the instance's REST host (`MARKETO_BASE_URL`), which names the budget. */
    shared?: { store: SharedRateLimiterOptions['store']; instance: string; log?: Logger };
    limiter?: Limiter;
  }) {
    const { settings, clock, shared } = options;
    const limits = { maxCalls: settings.maxCallsPerWindow, perMs: settings.windowSeconds * 1000, maxConcurrent: settings.maxConcurrent, clock };
    this.#limiter =
      options.limiter ??
      (shared
        ? new SharedRateLimiter({ ...limits, store: shared.store, budget: marketoBudgetName(shared.instance), ...(shared.log ? { log: shared.log } : {}) })
        : new RateLimiter(limits));
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

/** The store's name for an instance's budget: `marketo:<host>`, the same in every replica that calls it. */
export function marketoBudgetName(baseUrl: string): string {
  return `marketo:${new URL(baseUrl).host.toLowerCase()}`;
}
