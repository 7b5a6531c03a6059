import { randomBytes } from 'node:crypto';
import type { Clock } from '../../server/engine/clock.ts';
import type { RateBudgetCall, RateBudgetSlot, Store } from '../../server/store/store.ts';
import type { Logger } from './define-connector.ts';
import { StoppedWaitingError, untilAborted, untilStopped, waitUnlessStopped, type Limiter, type RunOptions } from './rate-limiter.ts';

export interface SharedRateLimiterOptions {
  /** Where the budget lives: the runtime's store, which every replica shares. */
  store: Pick<Store, 'takeRateBudget' | 'releaseRateBudget' | 'renewRateBudget'>;
  /** The budget's name, the same in every process calling the same remote instance (`marketo:<host>`). */
  budget: string;
  /** Calls allowed to start within any window of `perMs`, all processes together (Marketo: 100). */
  maxCalls: number;
  /** The sliding window's length in ms (Marketo: 20,000). */
  perMs: number;
  /** Calls allowed in flight at once, all processes together (Marketo: 10). */
  maxConcurrent: number;
  /** The runtime's clock (a virtual one in the harness): window waits sleep on it. */
  clock: Clock;
  /**
   * How long a call's slot is its own unless renewed, on `clock`. A running call renews it every third
   * of this; a replica that died holds its slots this long at most. @default 60000
   */
  leaseMs?: number;
  /**
   * While every slot is held by calls of other processes, how often to look again (real ms): their
   * end cannot be heard from here. A slot freed in this process wakes its waiter at once. @default 25
   */
  pollMs?: number;
  log?: Logger;
}

/** Store failures in a row a take tolerates (the file busy, a connection dropped) before the call fails with the error. */
const STORE_ATTEMPTS = 5;

/**
 * Keeps calls under a remote system's published rate across every replica: the same contract as the
 * in-memory `RateLimiter` (`run(fn, { onWait, signal })`, first come first served in the process),
 * with the window's starts and the slots in flight kept in the store (server/store/rate-budgets.ts).
 *
 * Per call: one take (a slot in flight, leased, and a start in the sliding window, by compare-and-set
 * in one transaction) before `fn`, one release after, and a lease renewal every `leaseMs / 3` while a
 * call runs longer than that. Callers of this process queue in order, and only the head asks the store,
 * so a burst of 1,000 calls does not become 1,000 takes refused. When the store says wait:
 * - the window is full: the head sleeps on the runtime's clock until its oldest start leaves it (the
 *   exact time, from the store), so the harness's virtual clock jumps there as with `RateLimiter`;
 * - every slot is in flight: the head waits for a slot freed in this process, or looks again after
 *   `pollMs` of real time (another replica's call ends in real time), or when a lease runs out.
 * A wait is reported through `onWait` (the HTTP client notes it in the step's journal).
 */
export class SharedRateLimiter implements Limiter {
  readonly #o: Required<Omit<SharedRateLimiterOptions, 'log'>> & { log?: Logger };
  /** Names this process's calls in the store: `<random>~<n>`, unique per limiter, so a restart never frees another's slot. */
  readonly #id = randomBytes(6).toString('base64url');
  #calls = 0;
  #queue: Promise<void> = Promise.resolve();
  /** Waiters for a slot freed in this process. */
  #released: Array<() => void> = [];
  #active = 0;
  /** Slots this process freed so far: a release during a take that found no slot is not missed. */
  #releases = 0;

  constructor(options: SharedRateLimiterOptions) {
    if (!(options.maxCalls >= 1) || !(options.perMs > 0) || !(options.maxConcurrent >= 1)) {
      throw new RangeError(`rate budget ${options.budget}: needs maxCalls >= 1, perMs > 0 and maxConcurrent >= 1`);
    }
    this.#o = { leaseMs: 60_000, pollMs: 25, ...options };
  }

  /** Calls of this process in flight now. */
  get active(): number {
    return this.#active;
  }

  async run<T>(fn: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    const { clock } = this.#o;
    const queuedAt = clock.now();
    const turn = this.#queue.then(() => this.#acquire(options.signal, options.stopping));
    // The next caller waits for this one to get its slot, whether or not it got one.
    this.#queue = turn.then(
      () => undefined,
      () => undefined,
    );
    let slot: RateBudgetCall;
    try {
      slot = await untilAborted(untilStopped(turn, options.stopping), options.signal);
    } catch (error) {
      // The slot may still be granted as the caller gives up: hand it back.
      turn.then((granted) => void this.#release(granted), () => undefined);
      throw error;
    }
    const waited = clock.now() - queuedAt;
    if (waited > 0) options.onWait?.(waited);
    const renew = setInterval(() => this.#renew(slot), Math.max(1_000, this.#o.leaseMs / 3));
    renew.unref?.();
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      // Awaited: the call is over once its slot is back in the store, so a process that stops after its
      // calls end (the engine's stop, then the store's close) leaves no slot taken until its lease ends.
      await this.#release(slot);
    }
  }

  async #acquire(signal: AbortSignal | undefined, stopping: AbortSignal | undefined): Promise<RateBudgetCall> {
    const { store, budget, clock } = this.#o;
    let failures = 0;
    // Every wait below ends at the caller's cancellation, and at the stop (StoppedWaitingError): a call
    // that is stopping takes a slot the store grants at its look, and waits for none.
    const waiting = (wait: (signal: AbortSignal | undefined) => Promise<void>) => waitUnlessStopped(wait, signal, stopping);
    for (;;) {
      signal?.throwIfAborted();
      const holder = `${this.#id}~${++this.#calls}`;
      const now = clock.now();
      const releasesBefore = this.#releases;
      let answer;
      try {
        answer = await store.takeRateBudget({ budget, maxCalls: this.#o.maxCalls, windowMs: this.#o.perMs, maxConcurrent: this.#o.maxConcurrent, holder, leaseMs: this.#o.leaseMs, now });
        failures = 0;
      } catch (error) {
        if (++failures >= STORE_ATTEMPTS) throw error;
        if (stopping?.aborted) throw new StoppedWaitingError();
        this.#o.log?.warn({ budget, error: (error as Error).message }, 'taking rate budget from the store failed; trying again');
        await waiting((both) => realDelay(this.#o.pollMs * failures, both));
        continue;
      }
      if (answer.granted) {
        this.#active += 1;
        return { budget, slot: answer.slot, holder, start: answer.start, leaseUntil: answer.leaseUntil };
      }
      // The window's oldest row is a call still in flight (it counts until its lease end, later than one
      // window away): it frees when that call ends, so wait for an end as for a slot, not the whole lease.
      const inFlightHoldsWindow = answer.waitFor === 'window' && answer.retryAt - now > this.#o.perMs;
      if (answer.waitFor === 'window' && answer.retryAt > now && !inFlightHoldsWindow) await waiting((both) => clock.sleep(answer.retryAt - now, both));
      else if (answer.waitFor === 'concurrency' || inFlightHoldsWindow) {
        // A call of this process ended while the take was in the store: its slot may be free now.
        if (this.#releases !== releasesBefore && !stopping?.aborted) continue;
        await waiting((both) => this.#slotFreed(both, answer.retryAt - now));
      }
      // Freed rows taken by other replicas meanwhile (retryAt is now): let the event loop turn, then look again.
      else await waiting((both) => realDelay(0, both));
    }
  }

  /** Gives a slot back; resolves when the store has it (never rejects: a slot not freed frees at its lease end). */
  #release(call: RateBudgetCall): Promise<void> {
    this.#active -= 1;
    this.#releases += 1;
    const released = this.#o.store.releaseRateBudget({ ...call, now: this.#o.clock.now() }).then(
      () => undefined,
      (error: unknown) => this.#o.log?.warn({ budget: call.budget, error: (error as Error).message }, 'freeing a rate budget slot failed; its lease frees it'),
    );
    // Queued after the release in the store's writes, so the waiter's take sees the slot free.
    this.#released.shift()?.();
    return released;
  }

  #renew(slot: RateBudgetSlot): void {
    const leaseUntil = this.#o.clock.now() + this.#o.leaseMs;
    this.#o.store.renewRateBudget({ budget: slot.budget, slot: slot.slot, holder: slot.holder, leaseUntil }).then(
      (held) => {
        if (!held) this.#o.log?.warn({ budget: slot.budget, slot: slot.slot }, 'a long call lost its rate budget slot (its lease ran out and another call took it)');
      },
      () => undefined,
    );
  }

  /** Resolves when this process frees a slot, after `pollMs` real ms, or when the soonest lease runs out, whichever is first. */
  #slotFreed(signal: AbortSignal | undefined, untilLeaseEndsMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.#released = this.#released.filter((r) => r !== done);
        signal?.removeEventListener('abort', onAbort);
      };
      const done = () => {
        cleanup();
        resolve();
      };
      const onAbort = () => {
        cleanup();
        reject(signal!.reason);
      };
      const timer = setTimeout(done, Math.max(0, Math.min(this.#o.pollMs, untilLeaseEndsMs)));
      this.#released.push(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Waits `ms` of real time (a store retry, another replica's call): not the runtime's clock, which may be virtual. */
function realDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
