import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import type { Store } from '../../server/store/store.ts';
import { StoppedWaitingError } from './rate-limiter.ts';
import { SharedRateLimiter } from './shared-rate-limiter.ts';

/** A clock that moves only when someone sleeps on it, like the runtime's VirtualClock. */
function virtualClock() {
  const clock = {
    t: Date.parse('2026-03-02T09:00:00Z'),
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

let store: Store;
beforeEach(async () => {
  store = await openSqliteStore({ path: ':memory:' });
});
afterEach(async () => {
  await store.close();
});

describe('SharedRateLimiter (the rate budget in the store)', () => {
  it('lets the window fill, then sleeps on the runtime clock until the oldest call leaves it, and says how long it waited', async () => {
    const clock = virtualClock();
    const t0 = clock.t;
    const limiter = new SharedRateLimiter({ store, budget: 'acme', maxCalls: 3, perMs: 20_000, maxConcurrent: 10, clock });
    const startedAt: number[] = [];
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      clock.t += 1000; // one call a second
      await limiter.run(async () => startedAt.push(clock.now() - t0), { onWait: (ms) => waits.push(ms) });
    }
    // As the in-process RateLimiter: calls 4 and 5 wait for the 1 s and 2 s calls to leave the window.
    expect(startedAt).toEqual([1000, 2000, 3000, 21_000, 22_000]);
    expect(waits).toEqual([17_000]);
    expect(limiter.active).toBe(0);
  });

  it('a window full of calls still in flight is waited out from when they end, not from their lease end', async () => {
    const clock = virtualClock();
    const t0 = clock.t;
    // More may be in flight than start per window (an unusual setting, but a valid one).
    const limiter = new SharedRateLimiter({ store, budget: 'acme', maxCalls: 2, perMs: 20_000, maxConcurrent: 5, clock, pollMs: 1 });
    const ends: Array<() => void> = [];
    const long = [1, 2].map(() => limiter.run(() => new Promise<void>((resolve) => ends.push(resolve))));
    let startedAt: number | null = null;
    const third = limiter.run(async () => {
      startedAt = clock.now() - t0;
    });
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    while (ends.length < 2) await turn();
    // The third has been refused by now (the window holds the two until their lease end, 80 s).
    for (let t = 0; t < 5; t++) await turn();
    expect(startedAt).toBeNull();
    clock.t += 5_000;
    for (const end of ends) end();
    await Promise.all([...long, third]);
    // The two calls ended at 5 s: the third starts when they leave the window, at 25 s (their lease would say 80 s).
    expect(startedAt).toBe(25_000);
  });

  it('two limiters on one store (two replicas) keep at most maxConcurrent in flight together, and every call runs', async () => {
    const clock = virtualClock();
    const replicas = [1, 2].map(() => new SharedRateLimiter({ store, budget: 'acme', maxCalls: 1000, perMs: 20_000, maxConcurrent: 3, clock, pollMs: 1 }));
    let inFlight = 0;
    let peak = 0;
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const done = await Promise.all(
      replicas.flatMap((limiter) =>
        Array.from({ length: 10 }, (_, i) =>
          limiter.run(async () => {
            peak = Math.max(peak, ++inFlight);
            for (let t = 0; t < 3; t++) await turn();
            inFlight--;
            return i;
          }),
        ),
      ),
    );
    expect(done).toHaveLength(20);
    expect(peak).toBe(3);
  });

  it('frees the slot when the call fails', async () => {
    const limiter = new SharedRateLimiter({ store, budget: 'acme', maxCalls: 10, perMs: 1000, maxConcurrent: 1, clock: virtualClock() });
    await expect(limiter.run(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await limiter.run(async () => 'next')).toBe('next');
    expect(limiter.active).toBe(0);
  });

  it('stops waiting when the caller aborts, and the next caller gets the slot', async () => {
    const limiter = new SharedRateLimiter({ store, budget: 'acme', maxCalls: 10, perMs: 1000, maxConcurrent: 1, clock: virtualClock() });
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const blocker = limiter.run(() => new Promise<void>((r) => { started(); release = r; }));
    await running;
    const controller = new AbortController();
    const waiting = limiter.run(async () => 'never', { signal: controller.signal });
    controller.abort(new Error('run canceled'));
    await expect(waiting).rejects.toThrow('run canceled');
    release();
    await blocker;
    expect(await limiter.run(async () => 'after')).toBe('after');
  });

  // SIGTERM: a call still waiting for a slot (here: every slot in flight, held by another replica's
  // long call) kept waiting, up to the window's 20 s; nothing was sent yet, so it gives up at once.
  it('a call waiting for a slot gives up when the process begins stopping, and its slot is never taken', async () => {
    const clock = virtualClock();
    const otherReplica = new SharedRateLimiter({ store, budget: 'acme', maxCalls: 10, perMs: 20_000, maxConcurrent: 1, clock });
    const here = new SharedRateLimiter({ store, budget: 'acme', maxCalls: 10, perMs: 20_000, maxConcurrent: 1, clock, pollMs: 5 });
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const long = otherReplica.run(() => new Promise<void>((r) => { started(); release = r; }));
    await running;
    const stopping = new AbortController();
    let ran = 0;
    const waiting = [1, 2].map(() => here.run(async () => void ran++, { stopping: stopping.signal }).catch((error: unknown) => error));
    await new Promise((r) => setTimeout(r, 50));
    const stoppedAt = performance.now();
    stopping.abort();
    for (const failed of await Promise.all(waiting)) expect(failed).toBeInstanceOf(StoppedWaitingError);
    expect(performance.now() - stoppedAt).toBeLessThan(200);
    expect(ran).toBe(0);
    expect(here.active).toBe(0);
    release();
    await long;
    // The store's budget is whole again: the other replica's next call goes at once.
    const t = clock.t;
    expect(await otherReplica.run(async () => 'next')).toBe('next');
    expect(clock.t).toBe(t);
  });

  it('a call queued behind a caller that does not stop gives up at its own stop, before that caller gets its slot', async () => {
    const clock = virtualClock();
    const otherReplica = new SharedRateLimiter({ store, budget: 'acme', maxCalls: 10, perMs: 20_000, maxConcurrent: 1, clock });
    const here = new SharedRateLimiter({ store, budget: 'acme', maxCalls: 10, perMs: 20_000, maxConcurrent: 1, clock, pollMs: 5 });
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const long = otherReplica.run(() => new Promise<void>((r) => { started(); release = r; }));
    await running;
    // The head of this replica's queue has no stop: only the queued calls' own stop can end their wait.
    const head = here.run(async () => 'head');
    const stopping = new AbortController();
    let ran = 0;
    const waiting = [1, 2].map(() => here.run(async () => void ran++, { stopping: stopping.signal }).catch((error: unknown) => error));
    await new Promise((r) => setTimeout(r, 50));
    const stoppedAt = performance.now();
    stopping.abort();
    for (const failed of await Promise.all(waiting)) expect(failed).toBeInstanceOf(StoppedWaitingError);
    expect(performance.now() - stoppedAt).toBeLessThan(200);
    expect(here.active).toBe(0);
    release();
    await long;
    expect(await head).toBe('head');
    expect(ran).toBe(0);
    expect(here.active).toBe(0);
  });

  it('a store that fails now and then costs a retry, not the call; one that keeps failing fails the call with its error', async () => {
    let failures = 1;
    const flaky = {
      takeRateBudget: (input: Parameters<Store['takeRateBudget']>[0]) => (failures-- > 0 ? Promise.reject(new Error('SQLITE_BUSY: database is locked')) : store.takeRateBudget(input)),
      releaseRateBudget: (call: Parameters<Store['releaseRateBudget']>[0]) => store.releaseRateBudget(call),
      renewRateBudget: (input: Parameters<Store['renewRateBudget']>[0]) => store.renewRateBudget(input),
    };
    const limiter = new SharedRateLimiter({ store: flaky, budget: 'acme', maxCalls: 10, perMs: 1000, maxConcurrent: 1, clock: virtualClock(), pollMs: 1 });
    expect(await limiter.run(async () => 'went')).toBe('went');
    failures = 100;
    await expect(limiter.run(async () => 'never')).rejects.toThrow('SQLITE_BUSY: database is locked');
  });
});
