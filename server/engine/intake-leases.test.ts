import { describe, expect, it } from 'vitest';
import { asRunId } from './ids.ts';
import type { NewRun } from '../store/store.ts';
import { leaseAtIntake, storedLeasedRuns } from './intake-leases.ts';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const newRun = (id: string): NewRun => ({
  id: asRunId(id), recipe: 'r', recipeVersion: 1, recipeHash: 'h', trigger: { type: 'webhook', receivedAt: T0, data: {} },
  dedupKey: id, correlationKey: null, cancelOnEvent: null, wakeAt: T0, createdAt: T0,
});
const lease = { owner: 'replica-1~abc', until: T0 + 60_000 };

describe('runs leased at intake (a webhook\'s runs start on the replica that stored them)', () => {
  it('leases as many of the runs as there are free slots, the first ones', () => {
    const runs = [newRun('run_a'), newRun('run_b'), newRun('run_c')];
    expect(leaseAtIntake(runs, 2, lease)).toBe(2);
    expect(runs.map((r) => r.lease)).toEqual([lease, lease, undefined]);
    expect(leaseAtIntake([newRun('run_d')], 0, lease)).toBe(0);
  });

  it('starts the runs stored as leased, as running under that lease; none of a repeated delivery, nor one deduplicated onto an earlier run', () => {
    const runs = [newRun('run_a'), newRun('run_b')];
    leaseAtIntake(runs, 2, lease);
    const started = storedLeasedRuns(runs, { duplicate: false, runIds: [asRunId('run_a'), asRunId('run_earlier')] });
    expect(started).toEqual([expect.objectContaining({ id: 'run_a', status: 'running', leaseOwner: lease.owner, leaseUntil: lease.until, finishedAt: null })]);
    expect(started[0]).not.toHaveProperty('lease');
    expect(storedLeasedRuns(runs, { duplicate: true, runIds: [asRunId('run_a'), asRunId('run_b')] })).toEqual([]);
  });

  it('does not start a run stored held back behind the unfinished run of its concurrency key (it was stored without the lease); a started one keeps its concurrency key', () => {
    const runs = [{ ...newRun('run_a'), concurrencyKey: 'MDF-1' }, { ...newRun('run_b'), concurrencyKey: 'MDF-2' }];
    leaseAtIntake(runs, 2, lease);
    const started = storedLeasedRuns(runs, { duplicate: false, runIds: [asRunId('run_a'), asRunId('run_b')], heldBack: [{ runId: asRunId('run_b'), behind: asRunId('run_earlier') }] });
    expect(started).toEqual([expect.objectContaining({ id: 'run_a', concurrencyKey: 'MDF-1' })]);
  });
});
