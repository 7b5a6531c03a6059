import { MARKETO_LIMITS } from '../../connectors/marketo/marketo-limits.ts';
import { nextMidnight } from '../../connectors/marketo/marketo-daily-quota.ts';
import type { MockClock } from '../clock.ts';

/** The limits the simulated Marketo enforces; a test may lower any of them (`systems.marketo.limits`). */
export interface MarketoMockLimits {
  /** Calls allowed in any window of `windowMs` (606 beyond). */
  callsPerWindow: number;
  windowMs: number;
  /** Calls allowed in flight at once (615 beyond). */
  maxConcurrent: number;
  /** Calls allowed per day (607 beyond), reset at midnight in `quotaResetZone`. */
  dailyQuota: number;
  quotaResetZone: string;
  /** A token's life on the mock clock. */
  tokenLifetimeSeconds: number;
}

export const DEFAULT_MOCK_LIMITS: MarketoMockLimits = {
  callsPerWindow: 100,
  windowMs: 20_000,
  maxConcurrent: 10,
  dailyQuota: MARKETO_LIMITS.dailyQuota,
  quotaResetZone: 'America/Chicago',
  tokenLifetimeSeconds: MARKETO_LIMITS.tokenLifetimeSeconds,
};

/** What the simulated instance counted: calls, the most in flight at once, and every refusal by code. */
export interface MarketoUsageReport {
  /** Calls answered (not refused) since the instance was reset: what a scenario counts between its expects. */
  calls: number;
  callsToday: number;
  peakInFlight: number;
  refused: { '606': number; '607': number; '615': number };
}

/**
 * Counts REST calls the way Marketo limits them: every call that arrives counts in the sliding window
 * (a refused one too: Marketo counts what it receives), the calls being answered count as in flight,
 * and the calls of the day count against the quota. The identity service is not counted. [guess]
 */
export class MarketoUsage {
  readonly limits: MarketoMockLimits = { ...DEFAULT_MOCK_LIMITS };
  readonly #clock: MockClock;
  #starts: number[] = [];
  #inFlight = 0;
  #peak = 0;
  #today = 0;
  #calls = 0;
  #resetAt: number | null = null;
  #refused = { '606': 0, '607': 0, '615': 0 };

  constructor(clock: MockClock) {
    this.#clock = clock;
  }

  reset(): void {
    Object.assign(this.limits, DEFAULT_MOCK_LIMITS);
    this.#starts = [];
    this.#inFlight = 0;
    this.#peak = 0;
    this.#today = 0;
    this.#calls = 0;
    this.#resetAt = null;
    this.#refused = { '606': 0, '607': 0, '615': 0 };
  }

  /**
   * A call arrives: answers the code it is refused with (607, 615, 606), or null and the call is in
   * flight until `done()`.
   */
  admit(): '606' | '607' | '615' | null {
    const now = this.#clock.now();
    this.#startDay(now);
    if (this.#today >= this.limits.dailyQuota) return this.#refuse('607');
    while (this.#starts.length > 0 && this.#starts[0]! <= now - this.limits.windowMs) this.#starts.shift();
    this.#starts.push(now);
    if (this.#inFlight >= this.limits.maxConcurrent) return this.#refuse('615');
    if (this.#starts.length > this.limits.callsPerWindow) return this.#refuse('606');
    this.#today += 1;
    this.#calls += 1;
    this.#inFlight += 1;
    this.#peak = Math.max(this.#peak, this.#inFlight);
    return null;
  }

  /** The rest of today's quota is used up (a scenario's `daily_quota` fault): every call answers 607 until the reset. */
  spendQuota(): void {
    this.#startDay(this.#clock.now());
    this.#today = Math.max(this.#today, this.limits.dailyQuota);
  }

  /** A new quota day begins at midnight in the reset zone. */
  #startDay(now: number): void {
    if (this.#resetAt === null || now >= this.#resetAt) {
      this.#today = 0;
      this.#resetAt = nextMidnight(now, this.limits.quotaResetZone);
    }
  }

  done(): void {
    this.#inFlight -= 1;
  }

  report(): MarketoUsageReport {
    return { calls: this.#calls, callsToday: this.#today, peakInFlight: this.#peak, refused: { ...this.#refused } };
  }

  #refuse(code: '606' | '607' | '615'): typeof code {
    this.#refused[code] += 1;
    return code;
  }
}
