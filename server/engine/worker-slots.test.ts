import { describe, expect, it, vi } from 'vitest';
import { SLOW_CALL_MS, WorkerSlots } from './worker-slots.ts';

describe('WorkerSlots: execution keeps pace with intake', () => {
  it('uses its base slots when intake is quiet (draining a backlog)', () => {
    const slots = new WorkerSlots(8, 64);
    expect(slots.free(0)).toBe(8);
    expect(slots.free(5)).toBe(3);
    expect(slots.free(8)).toBe(0);
  });

  it('may start one more turn at once for each run intake stored, and each claim uses one up', () => {
    const slots = new WorkerSlots(8, 64);
    slots.stored(50);
    // The base slots are busy: the fifty runs stored meanwhile are still matched run for run.
    expect(slots.free(8)).toBe(50);
    slots.claimed(50);
    expect(slots.free(8)).toBe(0);
    expect(slots.free(0)).toBe(8);
  });

  it('in steady state claims as many runs per round as intake stored, plus the base slots for the backlog', () => {
    const slots = new WorkerSlots(8, 64);
    const claimedPerRound: number[] = [];
    for (let round = 0; round < 5; round++) {
      slots.stored(40);
      // The turns of the previous round have handed over their outcomes: no turn is busy.
      const claim = slots.free(0);
      slots.claimed(claim);
      claimedPerRound.push(claim);
    }
    expect(claimedPerRound).toEqual([48, 48, 48, 48, 48]);
  });

  it('never runs more than its maximum at once, however much intake stored', () => {
    const slots = new WorkerSlots(8, 64);
    slots.stored(1000);
    expect(slots.free(0)).toBe(64);
    expect(slots.free(60)).toBe(4);
    // The extra slots do not pile up: after the worker caught up once, it is back to its base.
    slots.claimed(64);
    expect(slots.free(0)).toBe(8);
  });

  it('with a maximum equal to its base (WORKER_MAX_CONCURRENCY = WORKER_CONCURRENCY) never goes beyond the base', () => {
    const slots = new WorkerSlots(2, 2);
    slots.stored(10);
    expect(slots.free(0)).toBe(2);
    expect(slots.free(2)).toBe(0);
  });

  it('refuses a concurrency below one, naming it', () => {
    expect(() => new WorkerSlots(0, 64)).toThrow(/worker concurrency must be a whole number of at least 1 \(got 0\)/);
  });

  it('lends the slot of a turn whose remote call goes unanswered for SLOW_CALL_MS, without more intake, up to its maximum', () => {
    const clock = { now: 0 };
    const slots = new WorkerSlots(2, 4);
    slots.watch({ now: () => clock.now, wake: () => {} });
    const answered = [slots.callStarted(), slots.callStarted()];
    expect(slots.free(2)).toBe(0);
    clock.now += SLOW_CALL_MS - 1;
    expect(slots.free(2)).toBe(0);
    // Both calls wait on a system that does not answer: the two base slots start two more turns.
    clock.now += 1;
    expect(slots.waitingOnSystems()).toBe(2);
    expect(slots.free(2)).toBe(2);
    slots.callStarted();
    slots.callStarted();
    clock.now += SLOW_CALL_MS;
    // Four turns wait: the maximum holds whatever they wait on.
    expect(slots.free(4)).toBe(0);
    // An answer gives the turn its slot back (until it ends).
    answered[0]!();
    expect(slots.waitingOnSystems()).toBe(3);
    expect(slots.free(4)).toBe(0);
  });

  it('wakes the worker when a call turns slow, so that it claims with the slot it got back', () => {
    vi.useFakeTimers();
    try {
      let wakes = 0;
      const slots = new WorkerSlots(1, 2);
      slots.watch({ now: () => Date.now(), wake: () => wakes++ });
      const answered = slots.callStarted();
      vi.advanceTimersByTime(SLOW_CALL_MS);
      expect(wakes).toBeGreaterThan(0);
      answered();
      vi.advanceTimersByTime(SLOW_CALL_MS);
      // No call under way: no timer left behind.
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
