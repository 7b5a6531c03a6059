import { systemClock, type Clock } from '../../server/engine/clock.ts';

export interface RateLimiterOptions {
  /** Calls allowed to start within any window of `perMs` (Marketo: 100). */
  maxCalls: number;
  /** The sliding window's length in ms (Marketo: 20,000). */
  perMs: number;
  /**
   * Calls allowed in flight at once (Marketo: 10).
   * @default Infinity
   */
  maxConcurrent?: number;
  /** The runtime's clock, or a virtual one in tests. @default systemClock */
  clock?: Clock;
}

export interface RunOptions {
  /** Told how long the call waited for budget, when it waited at all (an action notes it in its journal). */
  onWait?(ms: number): void;
  /** Gives up waiting (the call never starts) when aborted. */
  signal?: AbortSignal;
  /**
   * The process is stopping (SIGTERM). Once aborted, the call waits no longer for a slot: it takes one
   * that is free when it looks, or `run` throws StoppedWaitingError at once (`fn` never ran, nothing was
   * sent). A call queued or waiting when the stop comes gives up then.
   */
  stopping?: AbortSignal;
}

/**
 * A call given up while it waited for a slot because the process is stopping: `fn` never ran. The HTTP
 * client turns it into StoppedBeforeAttemptError (nothing sent) or, for a retry, the last attempt's error.
 */
export class StoppedWaitingError extends Error {
  override name = 'StoppedWaitingError';
  constructor() {
    super('the process is stopping: the call gave up waiting for its rate budget');
  }
}

/** What an HTTP client needs from a limiter; `RateLimiter` is the kit's implementation. */
export interface Limiter {
  run<T>(fn: () => Promise<T>, options?: RunOptions): Promise<T>;
}

/**
 * Keeps calls under a published rate: at most `maxCalls` starts in any sliding window of `perMs`, and at
 * most `maxConcurrent` in flight. Callers are served first come, first served, so a burst cannot starve
 * an early caller. Waiting here is cheaper than a 606/615 or 429 and the backoff that follows it.
 */
export class RateLimiter implements Limiter {
  readonly #maxCalls: number;
  readonly #perMs: number;
  readonly #maxConcurrent: number;
  readonly #clock: Clock;
  /** Start times of the calls inside the current window, oldest first. */
  readonly #starts: number[] = [];
  #active = 0;
  /** Callers queue on this chain: only its head looks for a slot, the rest wait their turn. */
  #queue: Promise<void> = Promise.resolve();
  #released: Array<() => void> = [];

  constructor(options: RateLimiterOptions) {
    if (!(options.maxCalls >= 1) || !(options.perMs > 0)) throw new RangeError('a rate limiter needs maxCalls >= 1 and perMs > 0');
    this.#maxCalls = options.maxCalls;
    this.#perMs = options.perMs;
    this.#maxConcurrent = options.maxConcurrent ?? Number.POSITIVE_INFINITY;
    this.#clock = options.clock ?? systemClock;
  }

  /** Calls in flight now. */
  get active(): number {
    return this.#active;
  }

  async run<T>(fn: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    const queuedAt = this.#clock.now();
    const turn = this.#queue.then(() => this.#acquire(options.signal, options.stopping));
    // The next caller waits for this one to get its slot, whether or not it got one.
    this.#queue = turn.catch(() => undefined);
    try {
      // A caller that gives up leaves at once, not when its turn comes: a canceled run does not wait on the PRM.
      await untilAborted(untilStopped(turn, options.stopping), options.signal);
    } catch (error) {
      // Its turn may still be granted a slot (it was being granted as it gave up): hand that slot back.
      turn.then(() => this.#release(), () => undefined);
      throw error;
    }
    const waited = this.#clock.now() - queuedAt;
    if (waited > 0) options.onWait?.(waited);
    try {
      return await fn();
    } finally {
      this.#release();
    }
  }

  #release(): void {
    this.#active -= 1;
    this.#released.shift()?.();
  }

  async #acquire(signal: AbortSignal | undefined, stopping: AbortSignal | undefined): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      if (this.#active >= this.#maxConcurrent) {
        await waitUnlessStopped((both) => this.#nextRelease(both), signal, stopping);
        continue;
      }
      const now = this.#clock.now();
      while (this.#starts.length > 0 && this.#starts[0]! <= now - this.#perMs) this.#starts.shift();
      if (this.#starts.length < this.#maxCalls) {
        this.#starts.push(now);
        this.#active += 1;
        return;
      }
      // The window is full: wait until its oldest call slides out of it.
      await waitUnlessStopped((both) => this.#clock.sleep(this.#starts[0]! + this.#perMs - now, both), signal, stopping);
    }
  }

  #nextRelease(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#released = this.#released.filter((r) => r !== release);
        reject(signal!.reason);
      };
      const release = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#released.push(release);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts (the shared limiter uses it too). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return raceSignal(promise, signal, () => signal.reason);
}

/**
 * Waits with `wait`, given a signal that ends it at the caller's cancellation (rejecting with its reason)
 * or at the stop (rejecting with StoppedWaitingError); at once with the latter when already stopping.
 * One signal for both, not AbortSignal.any: that would tie a listener per wait to the process-long signal.
 */
export async function waitUnlessStopped<T>(wait: (signal: AbortSignal | undefined) => Promise<T>, signal: AbortSignal | undefined, stopping: AbortSignal | undefined): Promise<T> {
  if (!stopping) return wait(signal);
  if (stopping.aborted) throw new StoppedWaitingError();
  const both = new AbortController();
  const onStop = () => both.abort(new StoppedWaitingError());
  const onCancel = () => both.abort(signal!.reason);
  stopping.addEventListener('abort', onStop, { once: true });
  signal?.addEventListener('abort', onCancel, { once: true });
  if (signal?.aborted) onCancel();
  try {
    return await wait(both.signal);
  } finally {
    stopping.removeEventListener('abort', onStop);
    signal?.removeEventListener('abort', onCancel);
  }
}

/**
 * `turn` (a caller's place in a limiter's queue), or StoppedWaitingError as soon as the process begins
 * stopping while it is still waiting. A caller that came after the stop began waits for its turn (the
 * callers ahead of it give up at once), which then takes a slot only if one is free.
 */
export function untilStopped<T>(turn: Promise<T>, stopping: AbortSignal | undefined): Promise<T> {
  if (!stopping || stopping.aborted) return turn;
  return raceSignal(turn, stopping, () => new StoppedWaitingError());
}

/** `promise`, or a rejection with `reason()` as soon as `signal` aborts; the listener goes when `promise` settles. */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal, reason: () => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
