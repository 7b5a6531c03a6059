import { describe, expect, it } from 'vitest';
import { WorkerSlots } from './worker-slots.ts';

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
});
