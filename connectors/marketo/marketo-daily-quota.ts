import { DateTime } from 'luxon';
import type { Clock } from '../../server/engine/clock.ts';

/**
 * Remembers that Marketo's daily quota is spent (a 607 answer) and until when: every Marketo call of
 * the process checks it first, so after one 607 no further call is sent (each would cost a refused
 * call and tell us nothing new) until midnight in the reset zone, when Marketo resets the quota
 * (US Central time, `America/Chicago`). Per process, unlike the rate budget (kept in the store): after
 * a 607 each other replica spends one refused call before it stops too; a store-backed gate could share
 * it the way the budget is shared (marketo-rate-budget.ts).
 */
export class DailyQuotaGate {
  readonly zone: string;
  readonly #clock: Clock;
  #resumesAt: number | null = null;

  constructor(options: { clock: Clock; zone: string }) {
    this.#clock = options.clock;
    this.zone = options.zone;
  }

  /** Records a 607 now; answers when calls resume (the next midnight in the zone). */
  spent(): { resumesAt: number; now: number; zone: string } {
    const now = this.#clock.now();
    const resumesAt = nextMidnight(now, this.zone);
    this.#resumesAt = Math.max(this.#resumesAt ?? 0, resumesAt);
    return { resumesAt: this.#resumesAt, now, zone: this.zone };
  }

  /** When calls resume, while the quota is spent; null when calls may go out. */
  blockedUntil(): number | null {
    if (this.#resumesAt !== null && this.#clock.now() >= this.#resumesAt) this.#resumesAt = null;
    return this.#resumesAt;
  }
}

/** The next midnight after `now` in `zone` (a DST change moves it with the zone). */
export function nextMidnight(now: number, zone: string): number {
  return DateTime.fromMillis(now, { zone }).plus({ days: 1 }).startOf('day').toMillis();
}
