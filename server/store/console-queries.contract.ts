import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signalWaitEntry } from '../../test/support/signal-wait-entry.ts';
import { asRunId, type RunId } from '../engine/ids.ts';
import type { NewRun, Store } from './store.ts';

/**
 * The ops console's part of the store contract (console-queries.ts), for every Store implementation:
 * sessions kept by id hash and ended by logout or expiry, the runs listing by business key paged by
 * cursor, the waits and open approval links of a page of runs, and runs per status since a time.
 */
export function describeConsoleStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract, ops console: ${name}`, () => {
    let store: Store;
    const T0 = Date.parse('2026-03-02T09:00:00Z');
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    /** A run created at `at`, its id made as the engine makes them (creation time in base 36 first). */
    function newRun(n: number, at: number, over: Partial<NewRun> = {}): NewRun {
      return {
        id: asRunId(`run_${at.toString(36).padStart(10, '0')}${String(n).padStart(12, '0')}`),
        recipe: 'mdf-approval',
        recipeVersion: 1,
        recipeHash: 'hash-1',
        trigger: { type: 'webhook', event: 'prm.mdf_request.submitted', receivedAt: at, data: {} },
        dedupKey: `dedup-${n}`,
        correlationKey: `MDF-${n % 2}`,
        cancelOnEvent: null,
        wakeAt: at,
        createdAt: at,
        ...over,
      };
    }

    it('console sessions: found by id hash until logout or expiry', async () => {
      await store.createConsoleSession({ idHash: 'hash-a', csrfToken: 'csrf-a', createdAt: T0, expiresAt: T0 + 1000 });
      expect(await store.consoleSession('hash-a', T0 + 999)).toEqual({ idHash: 'hash-a', csrfToken: 'csrf-a', createdAt: T0, expiresAt: T0 + 1000 });
      expect(await store.consoleSession('hash-a', T0 + 1000)).toBeUndefined();
      expect(await store.consoleSession('hash-b', T0)).toBeUndefined();
      await store.deleteConsoleSession('hash-a');
      expect(await store.consoleSession('hash-a', T0)).toBeUndefined();
    });

    it('runs by business key, newest first, paged by cursor; counts per status since a time', async () => {
      for (let n = 0; n < 6; n++) await store.createRun(newRun(n, T0 + n * 60_000));
      const ones = await store.listRuns({ correlationKey: 'MDF-1', limit: 2 });
      expect(ones.map((r) => r.dedupKey)).toEqual(['dedup-5', 'dedup-3']);
      expect((await store.listRuns({ correlationKey: 'MDF-1', limit: 2, before: ones[1]!.id })).map((r) => r.dedupKey)).toEqual(['dedup-1']);
      expect(await store.runCountsSince(T0 + 2 * 60_000)).toEqual([{ recipe: 'mdf-approval', status: 'queued', count: 4 }]);
    });

    it('a list of runs summarises each trigger: its data only when small, its size always, computed in the query; the run itself keeps the whole data', async () => {
      // A lead import's trigger holds every CSV row: a list of such runs was hundreds of MB.
      const rows = Array.from({ length: 2000 }, (_, i) => ({ email: `lead${i}@müller.example`, company: 'Müller GmbH' }));
      const big = newRun(1, T0, { recipe: 'lead-import', trigger: { type: 'manual', event: 'leads.import', receivedAt: T0, data: { rows } } });
      const small = newRun(2, T0 + 1000, { trigger: { type: 'webhook', event: 'prm.mdf_request.submitted', source: 'prm', deliveryId: 'd-2', receivedAt: T0 + 1000, data: { mdfNumber: 'MDF-1', amount: 1000 } } });
      const failed = newRun(3, T0 + 2000, { trigger: { type: 'webhook', event: 'prm.mdf_request.submitted', receivedAt: T0 + 2000, data: { mdfNumber: 'MDF-2' }, expressionError: 'the filter failed' } });
      // Between the data listed whole (4 KB) and a trigger the database summarises (64 KB): summarised by the runtime.
      const medium = newRun(4, T0 + 3000, { trigger: { type: 'poll', event: 'salesforce.list_changed_fund_records', receivedAt: T0 + 3000, data: { note: 'é'.repeat(5000) }, businessKey: 'MDF-3' } as never });
      for (const run of [big, small, failed, medium]) await store.createRun(run);
      const listed = await store.listRunSummaries({ limit: 10 });
      expect(listed.map((r) => r.id)).toEqual([medium.id, failed.id, small.id, big.id]);
      expect(listed.shift()!.trigger).toEqual({ type: 'poll', event: 'salesforce.list_changed_fund_records', receivedAt: T0 + 3000, businessKey: 'MDF-3', dataBytes: 10_011 });
      expect(listed[2]!.trigger).toEqual({ type: 'manual', event: 'leads.import', receivedAt: T0, dataBytes: Buffer.byteLength(JSON.stringify({ rows })) });
      expect(listed[2]!.trigger.dataBytes).toBeGreaterThan(100_000);
      expect(listed[1]!.trigger).toEqual({ ...small.trigger, dataBytes: Buffer.byteLength(JSON.stringify(small.trigger.data)) });
      expect(listed[0]!.trigger).toEqual({ ...failed.trigger, dataBytes: Buffer.byteLength(JSON.stringify(failed.trigger.data)) });
      // The rest of each run as listRuns reads it; the filters and the cursor the same.
      const { trigger: _t, ...rest } = (await store.listRuns({ limit: 10 }))[3]!;
      expect({ ...listed[2]!, trigger: undefined }).toEqual({ ...rest, trigger: undefined });
      expect((await store.listRunSummaries({ limit: 10, recipe: 'lead-import' })).map((r) => r.id)).toEqual([big.id]);
      expect((await store.listRunSummaries({ limit: 1, before: small.id })).map((r) => r.id)).toEqual([big.id]);
      expect((await store.listRunSummaries({ limit: 2, before: failed.id })).map((r) => r.id)).toEqual([small.id, big.id]);
      expect((await store.listRunSummaries({ limit: 10, correlationKey: 'MDF-1', status: 'queued' })).map((r) => r.id)).toEqual((await store.listRuns({ limit: 10, correlationKey: 'MDF-1', status: 'queued' })).map((r) => r.id));
      expect((await store.getRun(big.id))!.trigger.data).toEqual({ rows });
      // By id (the console's timers page lists the runs that wake next), newest first; none for no ids.
      expect((await store.listRunSummaries({ ids: [big.id, failed.id, asRunId('run_none')], limit: 10 })).map((r) => [r.id, r.trigger.dataBytes > 100_000])).toEqual([[failed.id, false], [big.id, true]]);
      expect(await store.listRunSummaries({ ids: [], limit: 10 })).toEqual([]);
      expect((await store.listRuns({ ids: [small.id], limit: 10 })).map((r) => r.trigger.data)).toEqual([small.trigger.data]);
    });

    it('the waiting steps and open approval links of a page of runs', async () => {
      const run = newRun(1, T0);
      await store.createRun(run);
      const [claimed] = await store.claimDueRuns({ now: T0, owner: 'w~1', leaseMs: 60_000, limit: 1 });
      const waiting = signalWaitEntry(claimed!.id, 'decision', T0, T0 + 86_400_000);
      expect(await store.writeJournal([waiting], 'w~1')).toBe(true);
      await store.enqueueOutbox(
        { key: `${run.id}:ask`, runId: run.id, message: { from: 'a@example.com', to: ['cmm@example.com'], subject: 's', text: 't', html: 'h' }, createdAt: T0 },
        { tokenHash: 'token-hash-1', runId: run.id, signal: 'decision', approverEmail: 'cmm@example.com', approverName: 'Casey', subject: 'MDF-1', expiresAt: null, createdAt: T0 },
      );
      const other: RunId = asRunId('run_other');
      expect((await store.waitingSteps([run.id, other])).map((e) => [e.stepKey, e.wait])).toEqual([['decision', { kind: 'signal', signal: 'decision', deadline: T0 + 86_400_000 }]]);
      expect(await store.retryingSteps([run.id])).toEqual([]);
      expect((await store.openApprovals([run.id])).map((a) => [a.approverEmail, a.signal])).toEqual([['cmm@example.com', 'decision']]);
      expect(await store.waitingSteps([])).toEqual([]);
    });
  });
}
