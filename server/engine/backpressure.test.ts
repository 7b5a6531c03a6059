import { describe, expect, it } from 'vitest';
import { backpressure, retryAfterSeconds } from './backpressure.ts';
import { DueBacklog } from './due-backlog.ts';
import { ExecutionRate } from './execution-rate.ts';
import { VirtualClock } from './clock.ts';

const limits = { maxDue: 100, maxAgeMs: 5000 };

describe('backpressure: refuse webhooks the runtime cannot start soon', () => {
  it('admits while the backlog is below MAX_DUE_BACKLOG and its oldest run is at most MAX_DUE_AGE_MS late', () => {
    expect(backpressure({ count: 99, oldestAgeMs: 5000 }, limits, 50)).toBeNull();
  });

  it('refuses at MAX_DUE_BACKLOG due runs, naming the variable', () => {
    expect(backpressure({ count: 100, oldestAgeMs: 10 }, limits, 50)).toEqual({
      reason: 'backlog',
      retryAfterSeconds: 2,
      message: 'the runtime is behind: 100 runs are due and not started (MAX_DUE_BACKLOG is 100); nothing was stored, deliver again later',
    });
  });

  it('refuses when the oldest due run is later than MAX_DUE_AGE_MS, even with a short backlog (slow runs)', () => {
    expect(backpressure({ count: 3, oldestAgeMs: 5001 }, limits, 0.5)).toMatchObject({ reason: 'age', retryAfterSeconds: 6, message: expect.stringContaining('(MAX_DUE_AGE_MS is 5000)') });
  });

  it('asks the sender to come back when the due runs will have started, from 1 to 60 seconds', () => {
    expect(retryAfterSeconds(5000, 2000)).toBe(3);
    expect(retryAfterSeconds(10, 2000)).toBe(1);
    expect(retryAfterSeconds(100_000, 100)).toBe(60);
    // A worker that started nothing recently (stalled, or not running here): the longest wait.
    expect(retryAfterSeconds(5, 0)).toBe(60);
  });
});

describe('ExecutionRate', () => {
  it('is the runs started per second over the last five seconds', () => {
    const clock = { now: 10_000 };
    const rate = new ExecutionRate({ now: () => clock.now });
    expect(rate.perSecond()).toBe(0);
    rate.started(100);
    clock.now += 2000;
    rate.started(400);
    expect(rate.perSecond()).toBe(100);
    // Five seconds after the first claim it has left the window; after the second, nothing is left.
    clock.now += 3000;
    expect(rate.perSecond()).toBe(80);
    clock.now += 2000;
    expect(rate.perSecond()).toBe(0);
  });
});

describe('DueBacklog: a cheap, fresh view of the due backlog', () => {
  function view() {
    const clock = new VirtualClock('2026-03-02T09:00:00Z');
    const real = { now: 0 };
    const store = { due: { count: 0, oldestWakeAt: null as number | null, parked: 0 }, queries: 0 };
    const backlog = new DueBacklog({
      query: async () => {
        store.queries += 1;
        return { ...store.due };
      },
      clock,
      refreshMs: 200,
      realNow: () => real.now,
    });
    return { backlog, clock, real, store };
  }

  it('counts in the store at most every 200 ms, in the background, however many webhooks read it', async () => {
    const { backlog, real, store } = view();
    store.due = { count: 7, oldestWakeAt: null, parked: 0 };
    // Never counted: it reads as empty and starts one count for all readers.
    expect(Array.from({ length: 50 }, () => backlog.current().count)).toEqual(Array(50).fill(0));
    await backlog.refresh();
    expect(store.queries).toBe(1);
    expect(backlog.current().count).toBe(7);
    store.due = { count: 9, oldestWakeAt: null, parked: 0 };
    real.now += 199;
    expect(backlog.current().count).toBe(7);
    expect(store.queries).toBe(1);
    // Older than 200 ms: answered from the last count while a new one runs.
    real.now += 1;
    expect(backlog.current().count).toBe(7);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.queries).toBe(2);
    expect(backlog.current().count).toBe(9);
  });

  it('reads as empty after a quiet second without a count, instead of refusing on old news', async () => {
    const { backlog, real, store } = view();
    store.due = { count: 7, oldestWakeAt: null, parked: 0 };
    await backlog.refresh();
    real.now += 1001;
    store.due = { count: 0, oldestWakeAt: null, parked: 0 };
    expect(backlog.current().count).toBe(0);
  });

  it('ages the oldest due run between counts, on the engine clock', async () => {
    const { backlog, clock, store } = view();
    store.due = { count: 1, oldestWakeAt: clock.now() - 1000, parked: 0 };
    await backlog.refresh();
    expect(backlog.current()).toEqual({ count: 1, oldestAgeMs: 1000, parked: 0 });
    clock.advance(4000);
    expect(backlog.current()).toEqual({ count: 1, oldestAgeMs: 5000, parked: 0 });
    expect(store.queries).toBe(1);
  });
});
