import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.ts';

/** A clock that moves only when someone sleeps on it, like the runtime's VirtualClock. */
function virtualClock() {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

describe('RateLimiter', () => {
  it('lets the window fill, then makes the next call wait until the oldest slides out', async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter({ maxCalls: 3, perMs: 20_000, clock });
    const startedAt: number[] = [];
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      clock.t += 1000; // one call a second
      await limiter.run(async () => startedAt.push(clock.now()), { onWait: (ms) => waits.push(ms) });
    }
    // Calls 1-3 at 1 s, 2 s, 3 s; call 4 waits for the 1 s call to leave the window (21 s), call 5 for the 2 s one.
    expect(startedAt).toEqual([1000, 2000, 3000, 21_000, 22_000]);
    // Only call 4 waited (17 s); call 5 came after its slot had freed up by itself.
    expect(waits).toEqual([17_000]);
  });

  it('keeps at most maxConcurrent calls in flight and serves waiters in order', async () => {
    const limiter = new RateLimiter({ maxCalls: 100, perMs: 20_000, maxConcurrent: 2 });
    let inFlight = 0;
    let peak = 0;
    const started: number[] = [];
    const finish = new Map<number, () => void>();
    const work = (n: number) =>
      limiter.run(async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        started.push(n);
        await new Promise<void>((resolve) => finish.set(n, resolve));
        inFlight -= 1;
        return n;
      });
    // The limiter hands slots on through promises alone: once a macrotask comes round, whoever was
    // going to start has started.
    const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
    const all = Promise.all([1, 2, 3, 4, 5, 6].map(work));
    await settle();
    expect(started).toEqual([1, 2]);
    // Slots free up out of order; each goes to the waiter that has waited longest, one at a time.
    for (const [done, next] of [[2, 3], [1, 4], [4, 5], [3, 6]] as const) {
      finish.get(done)!();
      await settle();
      expect(started.at(-1), `the slot freed by ${done}`).toBe(next);
      expect(inFlight).toBe(2);
    }
    expect(started).toEqual([1, 2, 3, 4, 5, 6]);
    finish.get(5)!();
    finish.get(6)!();
    expect(await all).toEqual([1, 2, 3, 4, 5, 6]);
    expect(peak).toBe(2);
    expect(limiter.active).toBe(0);
  });

  it('frees the slot when the call fails', async () => {
    const limiter = new RateLimiter({ maxCalls: 10, perMs: 1000, maxConcurrent: 1 });
    await expect(limiter.run(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await limiter.run(async () => 'next')).toBe('next');
    expect(limiter.active).toBe(0);
  });

  it('stops waiting when the caller aborts', async () => {
    const limiter = new RateLimiter({ maxCalls: 10, perMs: 1000, maxConcurrent: 1 });
    let release!: () => void;
    const blocker = limiter.run(() => new Promise<void>((r) => { release = r; }));
    const controller = new AbortController();
    const waiting = limiter.run(async () => 'never', { signal: controller.signal });
    controller.abort(new Error('canceled'));
    await expect(waiting).rejects.toThrow('canceled');
    release();
    await blocker;
    expect(await limiter.run(async () => 'after')).toBe('after');
  });

  it('lets a caller behind others in the queue give up at once, not when its turn comes, and keeps no slot for it', async () => {
    const limiter = new RateLimiter({ maxCalls: 10, perMs: 1000, maxConcurrent: 1 });
    let release!: () => void;
    const blocker = limiter.run(() => new Promise<void>((r) => { release = r; }));
    const second = limiter.run(async () => 'second');
    const controller = new AbortController();
    let called = false;
    const third = limiter.run(async () => { called = true; }, { signal: controller.signal });
    controller.abort(new Error('run canceled'));
    // Rejected while the blocker still holds the only slot and `second` is ahead of it.
    await expect(third).rejects.toThrow('run canceled');
    release();
    await blocker;
    expect(await second).toBe('second');
    expect(called).toBe(false);
    expect(limiter.active).toBe(0);
    expect(await limiter.run(async () => 'after')).toBe('after');
  });
});
