import type { Logger } from '../../connectors/kit/define-connector.ts';
import type { Store } from '../store/store.ts';
import type { WakeSubscription } from '../store/wake-notifications.ts';
import type { Clock } from './clock.ts';

/**
 * Wakes the worker when a run falls due, without a fast poll: at once for a run made due now by any
 * replica (the store's wake notifications), and by a timer at the earliest later time it was told of
 * (a `wait`, a retry's backoff, a business timer, the next schedule slot). Each replica hears every
 * notification, its own included, so a `nextWakeAt` armed here also covers what another replica made
 * due later. Only for stores that notify (PostgreSQL); on SQLite the worker's in-process wake and its
 * short poll stay as they were.
 */
export class WakeTimer {
  #timer: NodeJS.Timeout | null = null;
  /** The time the timer is armed for (Infinity: none). */
  #armedAt = Infinity;
  #subscription: WakeSubscription | null = null;
  /**
   * The armed time may no longer be the earliest known: the timer fired (later times told meanwhile
   * were not kept), the connection came back (notifications missed), or the safety poll ran. The
   * worker then re-reads when anything is next due (`rearm`).
   */
  stale = true;
  /** When the next due time was last read (real ms, performance.now()). */
  #readAt = -Infinity;

  constructor(
    private readonly o: {
      clock: Clock;
      log: Logger;
      /** Wakes the worker loop (Engine.wake). */
      wake: () => void;
      /** Told of every notification: something may be due that this process did not write. */
      onNotified?: () => void;
      /**
       * Real ms after which the next due time is read again even when nothing made it stale. A lease
       * that another replica takes is announced to nobody (a claim is no news), yet its end is a wake
       * time should that replica die: read at least this often, shorter than a lease, the timer is
       * armed for that end before it comes. @default Infinity
       */
      rereadMs?: number;
    },
  ) {}

  /** Whether the store notifies (the worker's poll can then be slow: a safety net only). */
  static available(store: Store): boolean {
    return typeof store.listenForWakeups === 'function';
  }

  /** Starts listening on the store's dedicated connection; resolves once LISTEN is in place. */
  async listen(store: Store): Promise<void> {
    if (!store.listenForWakeups || this.#subscription) return;
    this.#subscription = store.listenForWakeups(
      (at) => {
        this.o.onNotified?.();
        // null: the connection came back and notifications may have been missed: look once.
        if (at === null) {
          this.stale = true;
          this.o.wake();
        } else this.at(at);
      },
      this.o.log,
    );
    await this.#subscription.ready;
  }

  /** Wakes the worker at `at` (at once when it is past), unless the timer is already armed earlier. */
  at(at: number | null): void {
    if (at === null) return;
    const delay = at - this.o.clock.now();
    if (delay <= 0) return this.o.wake();
    if (at >= this.#armedAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#armedAt = at;
    // setTimeout holds at most 2^31-1 ms (24.8 days); a later time is re-armed by the safety poll.
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#armedAt = Infinity;
      this.stale = true;
      this.o.wake();
    }, Math.min(delay, 2 ** 31 - 1));
    this.#timer.unref?.();
  }

  /** Whether this process listens (the worker then keeps the timer armed). */
  get listening(): boolean {
    return this.#subscription !== null;
  }

  /**
   * Arms the timer at the next time anything is due after now, when stale or last read `rereadMs` ago
   * (one read, not one per claim). Times not after now are left out: what is due now was just claimed,
   * or is held by a turn.
   */
  async rearm(nextAfter: (now: number) => Promise<number | null>, since?: number): Promise<void> {
    if (!this.listening) return;
    if (!this.stale && performance.now() - this.#readAt < (this.o.rereadMs ?? Infinity)) return;
    this.stale = false;
    this.#readAt = performance.now();
    // What is read replaces what was armed (an armed time may be stale: the clock jumped). Cleared
    // before the read, so a notification heard during it arms the timer as usual.
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedAt = Infinity;
    // From the claim's time when given: a lease that ended between the claim and now was not claimed.
    const now = since ?? this.o.clock.now();
    let next: number | null;
    try {
      next = await nextAfter(now);
    } catch (error) {
      this.stale = true; // read again after the next claim
      throw error;
    }
    if (next !== null && next > now) this.at(next);
  }

  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedAt = Infinity;
    const subscription = this.#subscription;
    this.#subscription = null;
    await subscription?.close();
  }
}
