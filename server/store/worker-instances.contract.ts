import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asRunId } from '../engine/ids.ts';
import type { NewRun, Store } from './store.ts';

/**
 * Which process holds each worker id (worker-instances.ts): part of the store contract
 * (`describeStoreContract` calls it), so SQLite and PostgreSQL keep the same rules. A start takes an id
 * from no one, or from a holder that has not beaten since it was read, and only then frees the id's
 * leases; a live holder's leases stay its own.
 */
export function describeWorkerInstancesContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}: worker ids held by live processes`, () => {
    let store: Store;
    const T0 = Date.parse('2026-12-03T15:00:00Z');
    let seq = 0;

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    /** A run leased to `owner` (a turn under way). */
    async function leasedTo(owner: string) {
      seq += 1;
      const run: NewRun = {
        id: asRunId(`run_wid_${String(seq).padStart(4, '0')}`),
        recipe: 'test-recipe',
        recipeVersion: 1,
        recipeHash: 'hash-1',
        trigger: { type: 'webhook', receivedAt: T0, data: {} },
        dedupKey: `wid-${seq}`,
        correlationKey: null,
        cancelOnEvent: null,
        wakeAt: T0,
        createdAt: T0,
      };
      await store.createRun(run);
      expect(await store.claimRun({ id: run.id, now: T0, owner, leaseMs: 60_000 })).toBeDefined();
      return run.id;
    }

    it('an id no one holds is taken, with its heartbeat; a second start reading no holder does not take it too', async () => {
      expect(await store.workerInstance('partnerflow-1')).toBeUndefined();
      const takes = await Promise.all([
        store.takeWorkerId({ workerId: 'partnerflow-1', instanceId: 'i-a', now: T0, from: null }),
        store.takeWorkerId({ workerId: 'partnerflow-1', instanceId: 'i-b', now: T0, from: null }),
      ]);
      expect(takes.filter((t) => t.taken)).toHaveLength(1);
      const holder = await store.workerInstance('partnerflow-1');
      expect(holder).toMatchObject({ workerId: 'partnerflow-1', beatAt: T0 });
      expect(['i-a', 'i-b']).toContain(holder!.instanceId);
      // Another worker id is its own.
      expect(await store.workerInstance('partnerflow-2')).toBeUndefined();
    });

    it('a heartbeat moves the holder\'s time; a start that read the heartbeat before does not take the id from the live holder, and its leases stay', async () => {
      await store.takeWorkerId({ workerId: 'partnerflow-1', instanceId: 'i-a', now: T0, from: null });
      const run = await leasedTo('partnerflow-1~n1');
      const read = await store.workerInstance('partnerflow-1');
      expect(await store.beatWorkerId({ workerId: 'partnerflow-1', instanceId: 'i-a', now: T0 + 2000 })).toBe(true);
      expect(await store.takeWorkerId({ workerId: 'partnerflow-1', instanceId: 'i-b', now: T0 + 6000, from: { instanceId: read!.instanceId, beatAt: read!.beatAt } })).toEqual({ taken: false });
      expect(await store.workerInstance('partnerflow-1')).toEqual({ workerId: 'partnerflow-1', instanceId: 'i-a', beatAt: T0 + 2000 });
      expect((await store.getRun(run))?.leaseOwner).toBe('partnerflow-1~n1');
    });

    it('a holder that stopped beating is replaced, and the leases of its id (only those) are freed in the same step', async () => {
      await store.takeWorkerId({ workerId: 'partnerflow-1', instanceId: 'i-a', now: T0, from: null });
      const mine = [await leasedTo('partnerflow-1~n1'), await leasedTo('partnerflow-1')];
      const others = [await leasedTo('partnerflow-10~n1'), await leasedTo('partnerflow-2~n1')];
      const read = await store.workerInstance('partnerflow-1');
      expect(await store.takeWorkerId({ workerId: 'partnerflow-1', instanceId: 'i-b', now: T0 + 6000, from: { instanceId: read!.instanceId, beatAt: read!.beatAt } })).toEqual({ taken: true, freedLeases: 2 });
      expect(await store.workerInstance('partnerflow-1')).toEqual({ workerId: 'partnerflow-1', instanceId: 'i-b', beatAt: T0 + 6000 });
      for (const id of mine) expect((await store.getRun(id))?.leaseOwner).toBeNull();
      expect((await store.getRun(others[0]!))?.leaseOwner).toBe('partnerflow-10~n1');
      expect((await store.getRun(others[1]!))?.leaseOwner).toBe('partnerflow-2~n1');
      // The replaced process's next heartbeat finds the id gone from it.
      expect(await store.beatWorkerId({ workerId: 'partnerflow-1', instanceId: 'i-a', now: T0 + 6500 })).toBe(false);
      expect((await store.workerInstance('partnerflow-1'))?.instanceId).toBe('i-b');
    });

    it('a clean stop gives the id up (its own row only): the next start takes it at once', async () => {
      await store.takeWorkerId({ workerId: 'partnerflow-1', instanceId: 'i-a', now: T0, from: null });
      await store.leaveWorkerId({ workerId: 'partnerflow-1', instanceId: 'i-other' });
      expect((await store.workerInstance('partnerflow-1'))?.instanceId).toBe('i-a');
      await store.leaveWorkerId({ workerId: 'partnerflow-1', instanceId: 'i-a' });
      expect(await store.workerInstance('partnerflow-1')).toBeUndefined();
      expect(await store.takeWorkerId({ workerId: 'partnerflow-1', instanceId: 'i-b', now: T0 + 1, from: null })).toEqual({ taken: true, freedLeases: 0 });
    });
  });
}
