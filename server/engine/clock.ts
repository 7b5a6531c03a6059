/**
 * Time as the engine sees it. Production uses the system clock; the harness uses a VirtualClock so that
 * thirty days of timers run in milliseconds.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` of this clock's time. A virtual clock advances itself instead of waiting. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const aborted = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      // A sleep that ends by itself leaves no listener on a signal that may outlive many sleeps.
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', aborted);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', aborted, { once: true });
    }),
};

/** A clock that only moves when told to (tests, harness, `serve --mock`). */
export class VirtualClock implements Clock {
  #now: number;
  constructor(start: number | string | Date = Date.UTC(2026, 0, 5, 9, 0, 0)) {
    this.#now = new Date(start).getTime();
  }
  now(): number {
    return this.#now;
  }
  /** Sleeping on a virtual clock moves it forward: a backoff of 30 s costs no real time. */
  async sleep(ms: number): Promise<void> {
    this.#now += Math.max(0, ms);
  }
  set(at: number | string | Date): void {
    const t = new Date(at).getTime();
    if (Number.isNaN(t)) throw new RangeError(`not a time: ${String(at)}`);
    this.#now = t;
  }
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock does not go backwards');
    this.#now += ms;
  }
}

/**
 * Real time plus an offset that only grows: `serve --mock` runs on it so that a user can jump the
 * simulated systems ahead by days (`POST /_mock/clock/advance`) while time still flows.
 */
export class OffsetClock implements Clock {
  #offset: number;
  /** `offsetMs`: how far ahead of real time it starts (a replica restarted in the replica test). */
  constructor(offsetMs = 0) {
    this.#offset = offsetMs;
  }
  /** How far ahead of real time it is now. */
  get offsetMs(): number {
    return this.#offset;
  }
  now(): number {
    return Date.now() + this.#offset;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms, signal);
  }
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock does not go backwards');
    this.#offset += ms;
  }
}
