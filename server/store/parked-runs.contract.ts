import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asRunId, type RunId } from '../engine/ids.ts';
import type { NewRun, Store } from './store.ts';

/**
 * Runs parked because the system their next call goes to already has half the worker's turns waiting
 * on it (worker-slots.ts, SystemParks): part of the store contract (`describeStoreContract` calls it),
 * so SQLite and PostgreSQL keep the same rules. A parked run is not due until its park ends, yet it
 * counts in the due backlog, as late as when it first became due: intake is pushed back against a
 * system that does not answer (DESIGN principle 6) as it was when those runs waited for a slot.
 */
export function describeParkedRunsContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}: runs parked on a busy system`, () => {
    let store: Store;
    const T0 = Date.parse('2026-12-03T23:00:00Z');
    let seq = 0;

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    async function dueRun(wakeAt: number): Promise<RunId> {
      seq += 1;
      const run: NewRun = {
        id: asRunId(`run_park_${String(seq).padStart(4, '0')}`),
        recipe: 'test-recipe',
        recipeVersion: 1,
        recipeHash: 'hash-1',
        trigger: { type: 'webhook', receivedAt: wakeAt, data: {} },
        dedupKey: `park-${seq}`,
        correlationKey: null,
        cancelOnEvent: null,
        wakeAt,
        createdAt: wakeAt,
      };
      await store.createRun(run);
      return run.id;
    }

    async function claim(id: RunId, now: number): Promise<void> {
      expect(await store.claimRun({ id, now, owner: 'w1~a', leaseMs: 60_000 })).toBeDefined();
    }

    it('counts a parked run in the due backlog as late as when it first became due, across parks, until a turn of it ends unparked', async () => {
      const parked = await dueRun(T0 - 3000);
      const other = await dueRun(T0 - 1000);
      await claim(parked, T0);
      expect(await store.finishTurn(parked, 'w1~a', { status: 'waiting', wakeAt: T0 + 2000, now: T0, parked: { system: 'prm', since: T0 - 3000 } })).toBe(true);
      expect(await store.getRun(parked)).toMatchObject({ status: 'waiting', wakeAt: T0 + 2000, parkedOn: 'prm', parkedSince: T0 - 3000 });
      // Not due (a claim does not take it), but in the backlog, and the oldest in it.
      expect((await store.claimDueRuns({ now: T0 + 1000, owner: 'w2~b', leaseMs: 60_000, limit: 5 })).map((r) => r.id)).toEqual([other]);
      expect(await store.dueBacklog({ now: T0 + 1000, cap: 10 })).toEqual({ count: 1, oldestWakeAt: T0 - 3000, parked: 1 });

      // Parked again when due again: it keeps the time it first became due.
      await claim(parked, T0 + 2000);
      expect(await store.finishTurn(parked, 'w1~a', { status: 'waiting', wakeAt: T0 + 6000, now: T0 + 2000, parked: { system: 'prm', since: T0 + 2000 } })).toBe(true);
      expect(await store.getRun(parked)).toMatchObject({ parkedOn: 'prm', parkedSince: T0 - 3000, wakeAt: T0 + 6000 });
      expect(await store.dueBacklog({ now: T0 + 3000, cap: 10 })).toEqual({ count: 1, oldestWakeAt: T0 - 3000, parked: 1 });

      // Its turn ends without a park (it waits on a timer now): out of the backlog.
      await claim(parked, T0 + 6000);
      expect(await store.finishTurn(parked, 'w1~a', { status: 'waiting', wakeAt: T0 + 60_000, now: T0 + 6000, parked: null })).toBe(true);
      expect(await store.getRun(parked)).toMatchObject({ parkedOn: null, parkedSince: null, wakeAt: T0 + 60_000 });
      expect(await store.dueBacklog({ now: T0 + 7000, cap: 10 })).toEqual({ count: 0, oldestWakeAt: null, parked: 0 });
    });

    it('makes the runs parked on a system due at once when it answers again, not those parked on another, nor a finished one', async () => {
      const onPrm = await dueRun(T0);
      const onMarketo = await dueRun(T0);
      const canceled = await dueRun(T0);
      for (const [id, system] of [[onPrm, 'prm'], [onMarketo, 'marketo'], [canceled, 'prm']] as const) {
        await claim(id, T0);
        await store.finishTurn(id, 'w1~a', { status: 'waiting', wakeAt: T0 + 30_000, now: T0, parked: { system, since: T0 } });
      }
      expect(await store.cancelRun(canceled, T0 + 500, 'canceled by the test')).toBe(true);
      expect(await store.wakeParkedRuns('prm', T0 + 1000, 10)).toBe(1);
      expect((await store.claimDueRuns({ now: T0 + 1000, owner: 'w1~a', leaseMs: 60_000, limit: 5 })).map((r) => r.id)).toEqual([onPrm]);
      expect(await store.getRun(onMarketo)).toMatchObject({ wakeAt: T0 + 30_000, parkedOn: 'marketo' });
      // Its turn completes: finished, no longer parked, out of the backlog.
      expect(await store.finishTurn(onPrm, 'w1~a', { status: 'completed', wakeAt: null, now: T0 + 1100, parked: null })).toBe(true);
      expect(await store.getRun(onPrm)).toMatchObject({ status: 'completed', parkedOn: null, parkedSince: null });
      expect(await store.dueBacklog({ now: T0 + 1200, cap: 10 })).toEqual({ count: 1, oldestWakeAt: T0, parked: 1 });
      expect(await store.wakeParkedRuns('prm', T0 + 1300, 10)).toBe(0);
    });

    it('wakes at most as many runs parked on a system as asked, those parked longest first, and says how many', async () => {
      const ids: RunId[] = [];
      for (const since of [T0 - 1000, T0 - 5000, T0 - 3000, T0 - 2000]) {
        const id = await dueRun(since);
        await claim(id, T0);
        await store.finishTurn(id, 'w1~a', { status: 'waiting', wakeAt: T0 + 20_000, now: T0, parked: { system: 'prm', since } });
        ids.push(id);
      }
      expect(await store.wakeParkedRuns('prm', T0 + 1000, 2)).toBe(2);
      // The two parked since T0 - 5000 and T0 - 3000, not the others.
      expect((await store.claimDueRuns({ now: T0 + 1000, owner: 'w1~a', leaseMs: 60_000, limit: 10 })).map((r) => r.id).sort()).toEqual([ids[1], ids[2]].sort());
      expect(await store.getRun(ids[0]!)).toMatchObject({ wakeAt: T0 + 20_000, parkedOn: 'prm' });
      expect(await store.wakeParkedRuns('prm', T0 + 1100, 5)).toBe(2);
      expect(await store.wakeParkedRuns('prm', T0 + 1200, 5)).toBe(0);
    });

    it('a run parked, then finished into a long wait by a replica of the previous version (which leaves the park marker), is not parked: not in the backlog, not woken', async () => {
      const stale = await dueRun(T0 - 3000);
      await claim(stale, T0);
      await store.finishTurn(stale, 'w1~a', { status: 'waiting', wakeAt: T0 + 2000, now: T0, parked: { system: 'prm', since: T0 - 3000 } });
      // An old-style turn's end: no `parked` field, so parked_on stays; the run now waits 10 days (an approval).
      await claim(stale, T0 + 2000);
      expect(await store.finishTurn(stale, 'w1~a', { status: 'waiting', wakeAt: T0 + 10 * 86_400_000, now: T0 + 2500 })).toBe(true);
      // Another, waiting for a decision without a timer.
      const noTimer = await dueRun(T0 - 4000);
      await claim(noTimer, T0);
      await store.finishTurn(noTimer, 'w1~a', { status: 'waiting', wakeAt: T0 + 2000, now: T0, parked: { system: 'prm', since: T0 - 4000 } });
      await claim(noTimer, T0 + 2000);
      expect(await store.finishTurn(noTimer, 'w1~a', { status: 'waiting', wakeAt: null, now: T0 + 2500 })).toBe(true);
      expect(await store.dueBacklog({ now: T0 + 3600_000, cap: 10 })).toEqual({ count: 0, oldestWakeAt: null, parked: 0 });
      expect(await store.wakeParkedRuns('prm', T0 + 3600_000, 10)).toBe(0);
      expect(await store.getRun(stale)).toMatchObject({ status: 'waiting', wakeAt: T0 + 10 * 86_400_000 });
      expect(await store.getRun(noTimer)).toMatchObject({ status: 'waiting', wakeAt: null });
    });
  });
}
