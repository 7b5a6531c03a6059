import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asRunId, asStepKey, type RunId } from '../engine/ids.ts';
import { describePollCursorContract } from './poll-cursors.contract.ts';
import { describeConsoleStoreContract } from './console-queries.contract.ts';
import { describeBusinessTimersContract } from './business-timers.contract.ts';
import { STOPPED_BY_RECIPE, TRIGGER_EXPRESSION_ERROR, type JournalEntry, type NewApproval, type NewRun, type Store } from './store.ts';
import { describeBudgetReservationContract } from './budget-reservations.contract.ts';
import { describeSyncBasesContract } from './sync-bases.contract.ts';
import { describeClaimTitleKeysContract } from './claim-title-keys.contract.ts';
import { describeRateBudgetContract } from './rate-budgets.contract.ts';
import { describeTellOnChangeContract } from './told-changes.contract.ts';
import { describeWorkerInstancesContract } from './worker-instances.contract.ts';
import { describeParkedRunsContract } from './parked-runs.contract.ts';

/**
 * The behaviour every Store implementation must have. The SQLite store runs it; a PostgreSQL store
 * runs the same suite by calling this with its own `open`.
 */
export function describeStoreContract(name: string, open: () => Promise<Store>): void {
  describeBudgetReservationContract(name, open);
  describeSyncBasesContract(name, open);
  describeClaimTitleKeysContract(name, open);
  describeBusinessTimersContract(name, open);
  describeConsoleStoreContract(name, open);
  describeRateBudgetContract(name, open);
  describeTellOnChangeContract(name, open);
  describeWorkerInstancesContract(name, open);
  describeParkedRunsContract(name, open);
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    const T0 = Date.parse('2026-03-02T09:00:00Z');
    let seq = 0;

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    function newRun(over: Partial<NewRun> = {}): NewRun {
      seq += 1;
      return {
        id: asRunId(`run_${String(seq).padStart(6, '0')}`),
        recipe: 'mdf-approval',
        recipeVersion: 1,
        recipeHash: 'hash-1',
        trigger: { type: 'webhook', event: 'prm.mdf_request.submitted', receivedAt: T0, data: { mdfNumber: 'MDF-1' } },
        dedupKey: `dedup-${seq}`,
        correlationKey: 'MDF-1',
        cancelOnEvent: 'prm.mdf_request.status_changed',
        wakeAt: T0,
        createdAt: T0,
        ...over,
      };
    }

    function entry(runId: RunId, stepKey: string, over: Partial<JournalEntry> = {}): JournalEntry {
      return {
        runId,
        stepKey: asStepKey(stepKey),
        stepId: stepKey,
        stepType: 'action',
        status: 'completed',
        input: { to: 'a@example.com' },
        output: { ok: true },
        error: null,
        attempts: 1,
        startedAt: T0,
        finishedAt: T0,
        nextAttemptAt: null,
        wait: null,
        notes: [],
        ...over,
      };
    }

    describePollCursorContract(() => store, T0);

    async function claimOne(owner = 'w1', now = T0): Promise<RunId> {
      const [run] = await store.claimDueRuns({ now, owner, leaseMs: 60_000, limit: 1 });
      if (!run) throw new Error('nothing was due');
      return run.id;
    }

    function approval(runId: RunId, tokenHash: string, over: Partial<NewApproval> = {}): NewApproval {
      return { tokenHash, runId, signal: 'decision', approverEmail: 'cmm@example.com', approverName: 'Ana', subject: 'MDF-1', expiresAt: T0 + 86_400_000, createdAt: T0, ...over };
    }

    async function runWaitingOnSignal(): Promise<RunId> {
      const run = newRun();
      await store.createRun(run);
      await claimOne();
      await store.writeJournal([entry(run.id, 'decide', { status: 'waiting', stepType: 'wait_for', output: null, finishedAt: null, wait: { kind: 'signal', signal: 'decision', deadline: T0 + 1000 } })], 'w1');
      await store.finishTurn(run.id, 'w1', { status: 'waiting', wakeAt: T0 + 1000, now: T0 });
      return run.id;
    }

    it('keeps recipe versions by hash, so runs stay on the version they started with', async () => {
      await store.saveRecipeVersion({ name: 'r', version: 1, hash: 'h1', definition: { steps: [1] }, createdAt: T0 });
      await store.saveRecipeVersion({ name: 'r', version: 1, hash: 'h1', definition: { steps: [2] }, createdAt: T0 });
      expect((await store.getRecipeVersion('h1'))?.definition).toEqual({ steps: [1] });
      expect(await store.getRecipeVersion('nope')).toBeUndefined();
    });

    it('ingests a delivery with its runs; the same delivery again returns the same run ids', async () => {
      const delivery = { source: 'prm', deliveryId: 'd-1', event: 'prm.mdf_request.submitted', receivedAt: T0, eventHash: 'h' };
      const first = await store.ingest(delivery, [newRun()]);
      const again = await store.ingest(delivery, [newRun()]);
      expect(first.duplicate).toBe(false);
      expect(again).toEqual({ duplicate: true, runIds: first.runIds });
      expect(await store.listRuns({ limit: 10 })).toHaveLength(1);
    });

    it('makes one run when the same delivery arrives concurrently', async () => {
      const delivery = { source: 'prm', deliveryId: 'd-2', event: 'e', receivedAt: T0, eventHash: 'h' };
      const results = await Promise.all(Array.from({ length: 10 }, () => store.ingest(delivery, [newRun()])));
      expect(new Set(results.map((r) => r.runIds[0]))).toHaveProperty('size', 1);
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(await store.listRuns({ limit: 50 })).toHaveLength(1);
    });

    it('the same delivery id with another event (another hash) stores nothing and says so, naming the first run ids', async () => {
      const delivery = (eventHash: string) => ({ source: 'prm', deliveryId: 'd-reused', event: 'prm.mdf_request.submitted', receivedAt: T0, eventHash });
      const first = await store.ingest(delivery('hash-a'), [newRun()]);
      const other = newRun();
      const reused = await store.ingest(delivery('hash-b'), [other]);
      expect(reused).toEqual({ duplicate: true, differentEvent: true, runIds: first.runIds });
      expect(await store.getRun(other.id)).toBeUndefined();
      // The id still names the first event: its retry is a plain duplicate.
      expect(await store.ingest(delivery('hash-a'), [newRun()])).toEqual({ duplicate: true, runIds: first.runIds });
      expect(await store.listRuns({ limit: 10 })).toHaveLength(1);
    });

    it('two events under one delivery id arriving concurrently: one is stored, every other answer is a duplicate of it or another event', async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => store.ingest({ source: 'prm', deliveryId: 'd-race', event: 'e', receivedAt: T0, eventHash: `hash-${i % 2}` }, [newRun()])),
      );
      const stored = results.findIndex((r) => !r.duplicate);
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      results.forEach((r, i) => {
        if (i === stored) return;
        expect(r).toEqual(i % 2 === stored % 2 ? { duplicate: true, runIds: results[stored]!.runIds } : { duplicate: true, differentEvent: true, runIds: results[stored]!.runIds });
      });
      expect(await store.listRuns({ limit: 50 })).toHaveLength(1);
    });

    it('an ingest that fails stores nothing of itself, and the ingests committed with it are kept', async () => {
      const taken = newRun();
      await store.createRun(taken);
      const delivery = (id: string) => ({ source: 'prm', deliveryId: id, event: 'e', receivedAt: T0, eventHash: 'h' });
      // Asked for together, so a store that commits in groups puts the three in one batch.
      const results = await Promise.allSettled([
        store.ingest(delivery('ok-1'), [newRun()]),
        store.ingest(delivery('broken'), [newRun({ id: taken.id })]),
        store.ingest(delivery('ok-2'), [newRun()]),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      for (const r of results) if (r.status === 'fulfilled') expect(await store.getRun(r.value.runIds[0]!)).toBeDefined();
      // The failed delivery was not recorded: its redelivery starts its run instead of answering "duplicate".
      const redelivered = await store.ingest(delivery('broken'), [newRun()]);
      expect(redelivered.duplicate).toBe(false);
      expect(await store.getRun(redelivered.runIds[0]!)).toBeDefined();
    });

    it('deduplicates runs of one recipe on the dedup key across deliveries', async () => {
      const a = await store.ingest({ source: 'prm', deliveryId: 'a', event: 'e', receivedAt: T0, eventHash: 'h' }, [newRun({ dedupKey: 'MDF-9' })]);
      const b = await store.ingest({ source: 'prm', deliveryId: 'b', event: 'e', receivedAt: T0, eventHash: 'h' }, [newRun({ dedupKey: 'MDF-9' })]);
      expect(b).toEqual({ duplicate: false, runIds: a.runIds });
      expect(await store.createRun(newRun({ dedupKey: 'MDF-9' }))).toEqual({ id: a.runIds[0], created: false });
    });

    it('D7, D10: one run at a time per concurrency key: a run of another dedup key is held back, not due, until the run holding the key finishes; then the oldest held run is due', async () => {
      const at = (id: string) => ({ source: 'prm', deliveryId: id, event: 'e', receivedAt: T0, eventHash: 'h' });
      const first = await store.ingest(at('s-1'), [newRun({ dedupKey: 'MDF-5@1', concurrencyKey: 'MDF-5' })]);
      const firstId = first.runIds[0]!;
      expect(first).toEqual({ duplicate: false, runIds: [firstId] });
      // Another submission while the first run lives is stored behind it; another key, or another recipe, is not.
      const second = await store.ingest(at('s-2'), [newRun({ dedupKey: 'MDF-5@2', concurrencyKey: 'MDF-5' })]);
      const secondId = second.runIds[0]!;
      expect(second).toEqual({ duplicate: false, runIds: [secondId], heldBack: [{ runId: secondId, behind: firstId }] });
      expect(await store.getRun(secondId)).toMatchObject({ status: 'queued', wakeAt: null, concurrencyKey: 'MDF-5', finishedAt: null });
      const third = newRun({ dedupKey: 'MDF-5@3', concurrencyKey: 'MDF-5', lease: { owner: 'w9', until: T0 + 60_000 } });
      // Held back even when it came leased (a webhook's run stored leased to its replica): not started.
      expect(await store.createRun(third)).toMatchObject({ id: third.id, created: true });
      expect(await store.getRun(third.id)).toMatchObject({ status: 'queued', wakeAt: null, leaseOwner: null });
      // A redelivery of a held submission answers the held run.
      expect(await store.ingest(at('s-2 again'), [newRun({ dedupKey: 'MDF-5@2', concurrencyKey: 'MDF-5' })])).toEqual({ duplicate: false, runIds: [secondId] });
      const other = newRun({ dedupKey: 'MDF-6@1', concurrencyKey: 'MDF-6' });
      expect(await store.createRun(other)).toEqual({ id: other.id, created: true });
      const elsewhere = newRun({ recipe: 'another-recipe', dedupKey: 'MDF-5@2', concurrencyKey: 'MDF-5' });
      expect(await store.createRun(elsewhere)).toEqual({ id: elsewhere.id, created: true });
      // Only the holders are due.
      const claimed = await store.claimDueRuns({ now: T0 + 10, owner: 'w1', leaseMs: 60_000, limit: 10 });
      expect(claimed.map((r) => r.id).sort()).toEqual([firstId, other.id, elsewhere.id].sort());

      // Asked for together (a group commit's batch on PostgreSQL): both are stored, one held behind the other.
      const together = await Promise.all([store.ingest(at('t-1'), [newRun({ dedupKey: 'MDF-7@1', concurrencyKey: 'MDF-7' })]), store.ingest(at('t-2'), [newRun({ dedupKey: 'MDF-7@2', concurrencyKey: 'MDF-7' })])]);
      expect(together[0]!.runIds).not.toEqual(together[1]!.runIds);
      expect(together.flatMap((r) => r.heldBack ?? [])).toHaveLength(1);

      // The first run completes: the oldest held one (the second submission) takes the key over, due now.
      expect(await store.finishTurn(firstId, 'w1', { status: 'completed', wakeAt: null, now: T0 + 20, concurrencyKey: { recipe: 'mdf-approval', key: 'MDF-5' } })).toBe(true);
      expect(await store.getRun(secondId)).toMatchObject({ status: 'queued', wakeAt: T0 + 20 });
      expect(await store.getRun(third.id)).toMatchObject({ wakeAt: null });
      const due = await store.claimDueRuns({ now: T0 + 20, owner: 'w1', leaseMs: 60_000, limit: 10 });
      expect(due.map((r) => r.id)).toContain(secondId);
      expect(due.map((r) => r.id)).not.toContain(third.id);
      // It fails: the third goes on, and the failed one is not retried beside it while it lives.
      await store.finishTurn(secondId, 'w1', { status: 'failed', wakeAt: null, error: { name: 'X', message: 'no', stepKey: 'ask' }, now: T0 + 30, concurrencyKey: { recipe: 'mdf-approval', key: 'MDF-5' } });
      expect(await store.getRun(third.id)).toMatchObject({ status: 'queued', wakeAt: T0 + 30 });
      expect(await store.retryRun(secondId, T0 + 31)).toEqual({ retried: false, refusal: { refused: 'held-by-live-run', runId: third.id, concurrencyKey: 'MDF-5' } });
      expect(await store.getRun(secondId)).toMatchObject({ status: 'failed' });
      // A redelivery of the first submission still answers the first run.
      expect(await store.ingest(at('s-1 again'), [newRun({ dedupKey: 'MDF-5@1', concurrencyKey: 'MDF-5' })])).toEqual({ duplicate: false, runIds: [firstId] });
      await store.cancelRun(third.id, T0 + 32, 'request canceled');
      expect(await store.retryRun(secondId, T0 + 33)).toEqual({ retried: true });
      // Retried, it holds the key again: a new submission is held behind it.
      const fourth = await store.ingest(at('s-4'), [newRun({ dedupKey: 'MDF-5@4', concurrencyKey: 'MDF-5' })]);
      expect(fourth.heldBack).toEqual([{ runId: fourth.runIds[0], behind: secondId }]);
    });

    it('says why it refuses a retry: the live run holding the concurrency key, a trigger that failed, a recipe that stopped the run, a cancellation, a status, no run', async () => {
      const fail = async (run: NewRun, error: { name: string; message: string; stepKey?: string }, now = T0 + 1) => {
        await store.createRun(run);
        await store.claimRun({ id: run.id, now, owner: 'w1', leaseMs: 60_000 });
        await store.finishTurn(run.id, 'w1', { status: 'failed', wakeAt: null, error, now, concurrencyKey: run.concurrencyKey ? { recipe: run.recipe, key: run.concurrencyKey } : undefined });
      };
      // D7: the failed run's key is held by a resubmission that is still going (a run held back behind
      // that one holds nothing): the refusal names the holder.
      const failed = newRun({ dedupKey: 'MDF-31@1', concurrencyKey: 'MDF-31' });
      await fail(failed, { name: 'X', message: 'no', stepKey: 'ask' });
      const holder = newRun({ dedupKey: 'MDF-31@2', concurrencyKey: 'MDF-31', createdAt: T0 + 2 });
      const held = newRun({ dedupKey: 'MDF-31@3', concurrencyKey: 'MDF-31', createdAt: T0 + 3 });
      await store.createRun(holder);
      expect(await store.createRun(held)).toMatchObject({ created: true, behind: holder.id });
      // Asked beforehand (the console's confirmation page), the same refusal, and nothing changes.
      expect(await store.retryRefusal(failed.id)).toEqual({ refused: 'held-by-live-run', runId: holder.id, concurrencyKey: 'MDF-31' });
      expect(await store.getRun(failed.id)).toMatchObject({ status: 'failed' });
      expect(await store.retryRun(failed.id, T0 + 4)).toEqual({ retried: false, refusal: { refused: 'held-by-live-run', runId: holder.id, concurrencyKey: 'MDF-31' } });
      // The holder canceled: the held run takes the key over, and the refusal names it.
      await store.cancelRun(holder.id, T0 + 5, 'ops');
      expect(await store.retryRun(failed.id, T0 + 6)).toEqual({ retried: false, refusal: { refused: 'held-by-live-run', runId: held.id, concurrencyKey: 'MDF-31' } });
      await store.cancelRun(held.id, T0 + 7, 'ops');
      expect(await store.retryRefusal(failed.id)).toBeUndefined();
      expect(await store.getRun(failed.id)).toMatchObject({ status: 'failed' });
      expect(await store.retryRun(failed.id, T0 + 8)).toEqual({ retried: true });
      expect(await store.getRun(failed.id)).toMatchObject({ status: 'queued', error: null });

      const triggerFailed = newRun();
      await fail(triggerFailed, { name: TRIGGER_EXPRESSION_ERROR, message: 'trigger.dedup_key computes nothing' });
      expect(await store.retryRun(triggerFailed.id, T0 + 10)).toEqual({ retried: false, refusal: { refused: 'trigger-failed' } });
      const stopped = newRun();
      await fail(stopped, { name: STOPPED_BY_RECIPE, message: 'No decision within 12 business days' });
      expect(await store.retryRun(stopped.id, T0 + 10)).toEqual({ retried: false, refusal: { refused: 'stopped-by-recipe' } });
      const canceled = newRun();
      await fail(canceled, { name: 'X', message: 'no', stepKey: 'ask' });
      await store.cancelRun(canceled.id, T0 + 9, 'The request was canceled in the PRM.', { failed: true });
      expect(await store.retryRun(canceled.id, T0 + 10)).toEqual({ retried: false, refusal: { refused: 'canceled', reason: 'The request was canceled in the PRM.' } });
      const queued = newRun();
      await store.createRun(queued);
      expect(await store.retryRun(queued.id, T0 + 10)).toEqual({ retried: false, refusal: { refused: 'not-failed', status: 'queued' } });
      expect(await store.retryRun(asRunId('run_nope'), T0 + 10)).toEqual({ retried: false, refusal: { refused: 'no-run' } });
      expect(await store.retryRefusal(triggerFailed.id)).toEqual({ refused: 'trigger-failed' });
      expect(await store.retryRefusal(canceled.id)).toEqual({ refused: 'canceled', reason: 'The request was canceled in the PRM.' });
      expect(await store.retryRefusal(queued.id)).toEqual({ refused: 'not-failed', status: 'queued' });
      expect(await store.retryRefusal(asRunId('run_nope'))).toEqual({ refused: 'no-run' });
      for (const run of [triggerFailed, stopped, canceled, queued]) expect((await store.getRun(run.id))!.status).toBe(run === canceled ? 'canceled' : run === queued ? 'queued' : 'failed');
    });

    it('D12: a canceled holder lets the oldest held run go; a held run canceled, or a failed holder canceled, lets none go', async () => {
      const key = { recipe: 'mdf-approval', key: 'MDF-8' };
      const run = (n: number) => newRun({ dedupKey: `MDF-8@${n}`, concurrencyKey: 'MDF-8', createdAt: T0 + n });
      const [holder, heldA, heldB, heldC] = [run(1), run(2), run(3), run(4)];
      for (const r of [holder, heldA, heldB, heldC]) await store.createRun(r);
      // The store says which runs are held back (the console says what they wait for; a cancel_on event ends them first).
      expect((await Promise.all([holder, heldA, heldB, heldC].map((r) => store.getRun(r.id)))).map((r) => r!.heldBack)).toEqual([false, true, true, true]);
      // A held run canceled (the request's cancel_on event ends every unfinished run of it) lets nothing go.
      expect(await store.cancelRun(heldA.id, T0 + 10, 'request canceled')).toBe(true);
      expect(await store.getRun(heldA.id)).toMatchObject({ status: 'canceled', heldBack: false });
      expect(await store.getRun(heldB.id)).toMatchObject({ wakeAt: null, heldBack: true });
      // The holder canceled: the oldest run still held (B, not the canceled A) is due now, C still held.
      expect(await store.cancelRun(holder.id, T0 + 11, 'request canceled')).toBe(true);
      expect(await store.getRun(heldB.id)).toMatchObject({ status: 'queued', wakeAt: T0 + 11, heldBack: false });
      expect(await store.getRun(heldC.id)).toMatchObject({ wakeAt: null, heldBack: true });
      // B fails (C goes on); B canceled afterwards (D12 also cancels a failed run) lets no second run go.
      await store.claimRun({ id: heldB.id, now: T0 + 12, owner: 'w1', leaseMs: 60_000 });
      await store.finishTurn(heldB.id, 'w1', { status: 'failed', wakeAt: null, error: { name: 'X', message: 'no' }, now: T0 + 13, concurrencyKey: key });
      expect(await store.getRun(heldC.id)).toMatchObject({ wakeAt: T0 + 13 });
      const heldD = run(5);
      await store.createRun(heldD);
      expect(await store.cancelRun(heldB.id, T0 + 14, 'request canceled', { failed: true })).toBe(true);
      expect(await store.getRun(heldD.id)).toMatchObject({ status: 'queued', wakeAt: null });
    });

    it('claims a due run once: a second worker gets nothing until the lease runs out', async () => {
      const run = newRun();
      await store.createRun(run);
      expect(await store.claimDueRuns({ now: T0 - 1, owner: 'w1', leaseMs: 1000, limit: 5 })).toEqual([]);
      const [claimed] = await store.claimDueRuns({ now: T0, owner: 'w1', leaseMs: 1000, limit: 5 });
      expect(claimed).toMatchObject({ id: run.id, status: 'running', leaseOwner: 'w1', takenOverFrom: null });
      expect(await store.claimDueRuns({ now: T0 + 500, owner: 'w2', leaseMs: 1000, limit: 5 })).toEqual([]);
      const [takenOver] = await store.claimDueRuns({ now: T0 + 1001, owner: 'w2', leaseMs: 1000, limit: 5 });
      // A takeover: the claim says whose lapsed lease it replaced (`/metrics` counts it).
      expect(takenOver).toMatchObject({ leaseOwner: 'w2', takenOverFrom: 'w1' });
      // The stalled worker can no longer write.
      expect(await store.writeJournal([entry(run.id, 's1')], 'w1')).toBe(false);
      expect(await store.finishTurn(run.id, 'w1', { status: 'completed', wakeAt: null, now: T0 + 1002 })).toBe(false);
      expect(await store.renewLease(run.id, 'w1', T0 + 5000)).toBe(false);
      expect(await store.renewLease(run.id, 'w2', T0 + 5000)).toBe(true);
    });

    it('a restarted worker frees the leases of its previous incarnation, and only those', async () => {
      for (let i = 0; i < 5; i++) await store.createRun(newRun());
      // Leases are taken per claim as `<worker id>~<nonce>` (a bare worker id is one too).
      const mine = [await claimOne('host-a~n1'), await claimOne('host-a')];
      for (const owner of ['host-b~n2', 'host-a2~n3', 'HOST-A~n4']) await claimOne(owner);
      expect(await store.releaseLeases('host-a', T0 + 1)).toBe(2);
      const reclaimed = await store.claimDueRuns({ now: T0 + 2, owner: 'host-a~n5', leaseMs: 60_000, limit: 5 });
      expect(reclaimed.map((r) => r.id).sort()).toEqual(mine.sort());
      // Freed by the restart, not taken over.
      expect(reclaimed.map((r) => r.takenOverFrom)).toEqual([null, null]);
    });

    it('does not claim the runs the caller says it is still running', async () => {
      const [busy, idle] = [newRun(), newRun()];
      await store.createRun(busy);
      await store.createRun(idle);
      const claimed = await store.claimDueRuns({ now: T0, owner: 'w1~a', leaseMs: 60_000, limit: 5, skip: new Set([busy.id]) });
      expect(claimed.map((r) => r.id)).toEqual([idle.id]);
    });

    it('concurrent claimers never share a run', async () => {
      for (let i = 0; i < 20; i++) await store.createRun(newRun());
      const batches = await Promise.all(['a', 'b', 'c', 'd'].map((owner) => store.claimDueRuns({ now: T0, owner, leaseMs: 60_000, limit: 10 })));
      const ids = batches.flat().map((r) => r.id);
      expect(ids).toHaveLength(20);
      expect(new Set(ids).size).toBe(20);
    });

    it('lists upcoming wake-ups a page at a time after the last one listed, runs that wake at the same time included (GET /timers)', async () => {
      // Created out of id order: the list is by wake time, then id.
      const runs = [newRun({ wakeAt: T0 + 2_000 }), newRun({ wakeAt: T0 + 1_000 }), newRun({ wakeAt: T0 + 1_000 }), newRun({ wakeAt: T0 + 1_000 }), newRun({ wakeAt: T0 + 3_000 })];
      for (const run of [...runs].reverse()) await store.createRun(run);
      const pages: RunId[][] = [];
      let after: { wakeAt: number; runId: RunId } | undefined;
      for (let i = 0; i < 4; i++) {
        const page = await store.listUpcoming({ limit: 2, after });
        pages.push(page.map((u) => u.runId));
        const last = page[page.length - 1];
        if (!last) break;
        after = { wakeAt: last.wakeAt, runId: last.runId };
      }
      expect(pages).toEqual([[runs[1]!.id, runs[2]!.id], [runs[3]!.id, runs[0]!.id], [runs[4]!.id], []]);
    });

    it('the next wake time after now includes the end of a running run\'s lease: a replica that dies mid-turn announces nothing', async () => {
      const held = newRun();
      const later = newRun({ wakeAt: T0 + 90_000 });
      await store.createRun(held);
      await store.createRun(later);
      await store.claimDueRuns({ now: T0, owner: 'replica-a~1', leaseMs: 60_000, limit: 1 });
      expect(await store.nextWakeAt(T0 + 10)).toBe(T0 + 60_001);
      // Renewed by a live turn: the time moves with the lease.
      expect(await store.renewLease(held.id, 'replica-a~1', T0 + 120_000)).toBe(true);
      expect(await store.nextWakeAt(T0 + 10)).toBe(T0 + 90_000);
      expect(await store.nextWakeAt(T0 + 100_000)).toBe(T0 + 120_001);
      // Without `after` (a virtual clock's next stop) it stays the earliest wake time.
      expect(await store.nextWakeAt()).toBe(T0);
      expect(await store.finishTurn(held.id, 'replica-a~1', { status: 'completed', wakeAt: null, now: T0 + 20 })).toBe(true);
      expect(await store.nextWakeAt(T0 + 100_000)).toBeNull();
    });

    it('finishes a turn: completed runs leave the queue; waiting runs come back at their wake time', async () => {
      const done = newRun();
      const parked = newRun();
      await store.createRun(done);
      await store.createRun(parked);
      await store.claimDueRuns({ now: T0, owner: 'w1', leaseMs: 60_000, limit: 5 });
      expect(await store.finishTurn(done.id, 'w1', { status: 'completed', wakeAt: null, now: T0 })).toBe(true);
      expect(await store.finishTurn(parked.id, 'w1', { status: 'waiting', wakeAt: T0 + 60_000, now: T0 })).toBe(true);
      expect(await store.getRun(done.id)).toMatchObject({ status: 'completed', finishedAt: T0, leaseOwner: null });
      expect(await store.nextWakeAt()).toBe(T0 + 60_000);
      expect((await store.listUpcoming({ limit: 5 })).map((u) => u.runId)).toEqual([parked.id]);
      expect(await store.claimDueRuns({ now: T0 + 59_999, owner: 'w1', leaseMs: 1, limit: 5 })).toEqual([]);
      // Its turn ended and cleared the lease: claiming it again is no takeover.
      expect((await store.claimDueRuns({ now: T0 + 60_000, owner: 'w1', leaseMs: 1, limit: 5 }))[0]).toMatchObject({ id: parked.id, takenOverFrom: null });
    });

    it('counts the due backlog as a claim sees it: due, not leased, up to the cap, with the oldest wake time', async () => {
      expect(await store.dueBacklog({ now: T0, cap: 10 })).toEqual({ count: 0, oldestWakeAt: null, parked: 0 });
      await store.createRun(newRun({ wakeAt: T0 - 3000 }));
      await store.createRun(newRun({ wakeAt: T0 - 1000 }));
      await store.createRun(newRun({ wakeAt: T0 - 2000 }));
      await store.createRun(newRun({ wakeAt: T0 + 60_000 }));
      expect(await store.dueBacklog({ now: T0, cap: 10 })).toEqual({ count: 3, oldestWakeAt: T0 - 3000, parked: 0 });
      expect(await store.dueBacklog({ now: T0, cap: 2 })).toEqual({ count: 2, oldestWakeAt: T0 - 3000, parked: 0 });
      // A run under a live lease is being executed, not waiting; once its lease runs out it is due again.
      await store.claimDueRuns({ now: T0, owner: 'w1', leaseMs: 60_000, limit: 1 });
      expect(await store.dueBacklog({ now: T0, cap: 10 })).toEqual({ count: 2, oldestWakeAt: T0 - 2000, parked: 0 });
      expect((await store.dueBacklog({ now: T0 + 60_001, cap: 10 })).count).toBe(4);
    });

    it('journals steps in the order first written, replacing an entry in place', async () => {
      const run = newRun();
      await store.createRun(run);
      await claimOne();
      await store.writeJournal([entry(run.id, 'a', { status: 'running', output: null })], 'w1');
      await store.writeJournal([entry(run.id, 'b')], 'w1');
      await store.writeJournal([entry(run.id, 'a', { output: { sent: 1 }, attempts: 2, notes: ['waited 2 s'] })], 'w1');
      const journal = await store.getJournal(run.id);
      expect(journal.map((e) => [e.stepKey, e.status, e.attempts])).toEqual([
        ['a', 'completed', 2],
        ['b', 'completed', 1],
      ]);
      expect(journal[0]).toMatchObject({ output: { sent: 1 }, notes: ['waited 2 s'], input: { to: 'a@example.com' } });
    });

    it('writes several entries of a run in one call, and the entries a turn held back with its outcome', async () => {
      const run = newRun();
      await store.createRun(run);
      await claimOne();
      expect(await store.writeJournal([entry(run.id, 'lookup_row', { stepType: 'lookup' }), entry(run.id, 'send', { status: 'running', output: null })], 'w1')).toBe(true);
      expect(
        await store.finishTurn(run.id, 'w1', { status: 'completed', wakeAt: null, now: T0 + 5, journal: [entry(run.id, 'send'), entry(run.id, 'routing', { stepType: 'set' })] }),
      ).toBe(true);
      expect((await store.getJournal(run.id)).map((e) => [e.stepKey, e.status])).toEqual([
        ['lookup_row', 'completed'],
        ['send', 'completed'],
        ['routing', 'completed'],
      ]);
      expect(await store.getRun(run.id)).toMatchObject({ status: 'completed', finishedAt: T0 + 5 });
    });

    it('writes none of the held-back entries when the turn lost its lease', async () => {
      const run = newRun();
      await store.createRun(run);
      await claimOne();
      await store.claimDueRuns({ now: T0 + 60_001, owner: 'w2', leaseMs: 60_000, limit: 1 });
      expect(await store.finishTurn(run.id, 'w1', { status: 'completed', wakeAt: null, now: T0 + 60_002, journal: [entry(run.id, 'routing', { stepType: 'set' })] })).toBe(false);
      expect(await store.writeJournal([entry(run.id, 'a'), entry(run.id, 'b')], 'w1')).toBe(false);
      expect(await store.getJournal(run.id)).toEqual([]);
    });

    it('retries a failed run from its failed step, keeping completed steps', async () => {
      const run = newRun();
      await store.createRun(run);
      await claimOne();
      await store.writeJournal([entry(run.id, 'ok')], 'w1');
      // A failure an on_error handled (the run went on) stays: the retry does not repeat it.
      await store.writeJournal([entry(run.id, 'handled', { status: 'failed', error: { name: 'X', message: 'optional' } })], 'w1');
      // A failed attempt has no output (the interpreter writes none) unless the action kept progress.
      await store.writeJournal([entry(run.id, 'broken', { status: 'failed', output: null, error: { name: 'X', message: 'no' } })], 'w1');
      await store.finishTurn(run.id, 'w1', { status: 'failed', wakeAt: null, error: { name: 'X', message: 'no', stepKey: 'broken' }, now: T0 });
      expect((await store.getRun(run.id))?.error?.stepKey).toBe('broken');
      expect(await store.retryRun(run.id, T0 + 10)).toEqual({ retried: true });
      expect(await store.retryRun(run.id, T0 + 10)).toEqual({ retried: false, refusal: { refused: 'not-failed', status: 'queued' } });
      expect(await store.getRun(run.id)).toMatchObject({ status: 'queued', error: null, wakeAt: T0 + 10, finishedAt: null });
      expect((await store.getJournal(run.id)).map((e) => e.stepKey)).toEqual(['ok', 'handled']);
    });

    it('retries a failed step that kept progress from it: the entry stays with its output, due now with a new retry budget', async () => {
      const run = newRun();
      await store.createRun(run);
      await claimOne();
      await store.writeJournal([entry(run.id, 'recall', { status: 'failed', output: { not_in_marketo: ['scan001@client.example'] }, attempts: 9, error: { name: 'X', message: 'PRM 500' } })], 'w1');
      await store.finishTurn(run.id, 'w1', { status: 'failed', wakeAt: null, error: { name: 'X', message: 'PRM 500', stepKey: 'recall' }, now: T0 });
      expect(await store.retryRun(run.id, T0 + 10)).toEqual({ retried: true });
      expect(await store.getJournal(run.id)).toEqual([
        expect.objectContaining({ stepKey: 'recall', status: 'failed', output: { not_in_marketo: ['scan001@client.example'] }, attempts: 0, startedAt: T0 + 10, finishedAt: null, nextAttemptAt: T0 + 10 }),
      ]);
    });

    it('refuses to retry a run its recipe stopped as failed', async () => {
      const run = newRun();
      await store.createRun(run);
      await claimOne();
      await store.finishTurn(run.id, 'w1', { status: 'failed', wakeAt: null, error: { name: STOPPED_BY_RECIPE, message: 'No decision within 12 business days' }, now: T0 });
      expect(await store.retryRun(run.id, T0 + 10)).toEqual({ retried: false, refusal: { refused: 'stopped-by-recipe' } });
      expect(await store.getRun(run.id)).toMatchObject({ status: 'failed' });
    });

    it('cancels an unfinished run once; a worker that held it can no longer finish it', async () => {
      const run = newRun();
      await store.createRun(run);
      await claimOne();
      expect(await store.cancelRun(run.id, T0, 'ops canceled it')).toBe(true);
      expect(await store.cancelRun(run.id, T0, 'again')).toBe(false);
      expect(await store.finishTurn(run.id, 'w1', { status: 'completed', wakeAt: null, now: T0 })).toBe(false);
      expect(await store.getRun(run.id)).toMatchObject({ status: 'canceled', error: { message: 'ops canceled it' } });
      expect(await store.nextWakeAt()).toBeNull();
    });

    it('finds runs to cancel by event and correlation key, only while they are unfinished', async () => {
      const live = newRun({ correlationKey: 'MDF-7' });
      const other = newRun({ correlationKey: 'MDF-8' });
      await store.createRun(live);
      await store.createRun(other);
      expect(await store.findRunsToCancel('prm.mdf_request.status_changed', 'MDF-7')).toEqual([live.id]);
      await store.cancelRun(live.id, T0, 'x');
      expect(await store.findRunsToCancel('prm.mdf_request.status_changed', 'MDF-7')).toEqual([]);
    });

    it('D12: an event that cancels runs also finds and cancels a failed run of the key, so it can no longer be retried; completed runs and runs their recipe stopped as failed are left as they are', async () => {
      const failed = newRun({ correlationKey: 'MDF-9' });
      const stopped = newRun({ correlationKey: 'MDF-9' });
      const completed = newRun({ correlationKey: 'MDF-9' });
      for (const run of [failed, stopped, completed]) await store.createRun(run);
      await claimOne();
      await store.finishTurn(failed.id, 'w1', { status: 'failed', wakeAt: null, error: { name: 'TableRowMissing', message: 'no approver for LATAM', stepKey: 'region_approver' }, now: T0 + 1 });
      await claimOne('w2');
      await store.finishTurn(stopped.id, 'w2', { status: 'failed', wakeAt: null, error: { name: STOPPED_BY_RECIPE, message: 'No decision' }, now: T0 + 1 });
      await claimOne('w3');
      await store.finishTurn(completed.id, 'w3', { status: 'completed', wakeAt: null, now: T0 + 1 });

      // Failed runs are candidates (the cancel decides: one its recipe stopped is no longer retryable).
      expect((await store.findRunsToCancel('prm.mdf_request.status_changed', 'MDF-9')).sort()).toEqual([failed.id, stopped.id]);
      // An operator's cancel (without `failed`) still refuses a finished run, a failed one included.
      expect(await store.cancelRun(failed.id, T0 + 2, 'by hand')).toBe(false);
      expect(await store.cancelRun(failed.id, T0 + 2, 'The request was canceled in the PRM.', { failed: true })).toBe(true);
      expect(await store.cancelRun(failed.id, T0 + 3, 'again', { failed: true })).toBe(false);
      expect(await store.cancelRun(stopped.id, T0 + 3, 'x', { failed: true })).toBe(false);
      expect(await store.cancelRun(completed.id, T0 + 3, 'x', { failed: true })).toBe(false);
      expect(await store.getRun(failed.id)).toMatchObject({ status: 'canceled', finishedAt: T0 + 2, error: { name: 'Canceled', message: 'The request was canceled in the PRM.' } });
      expect(await store.retryRun(failed.id, T0 + 4)).toEqual({ retried: false, refusal: { refused: 'canceled', reason: 'The request was canceled in the PRM.' } });
      expect(await store.getRun(failed.id)).toMatchObject({ status: 'canceled' });
      expect(await store.getRun(stopped.id)).toMatchObject({ status: 'failed', error: { name: STOPPED_BY_RECIPE } });
      expect(await store.getRun(completed.id)).toMatchObject({ status: 'completed' });
      expect(await store.findRunsToCancel('prm.mdf_request.status_changed', 'MDF-9')).toEqual([stopped.id]);
    });

    it('completes a waiting step once, and makes the run due now', async () => {
      const runId = await runWaitingOnSignal();
      const key = asStepKey('decide');
      expect(await store.completeWaitingStep({ runId, stepKey: key, output: { timed_out: true }, now: T0 + 5 })).toBe(true);
      expect(await store.completeWaitingStep({ runId, stepKey: key, output: { timed_out: false }, now: T0 + 6 })).toBe(false);
      expect((await store.getJournal(runId))[0]).toMatchObject({ status: 'completed', output: { timed_out: true } });
      expect((await store.getRun(runId))?.wakeAt).toBe(T0 + 5);
    });

    it('a step answered while a worker holds the run is not parked by that worker', async () => {
      const run = newRun();
      await store.createRun(run);
      await claimOne();
      await store.writeJournal([entry(run.id, 'decide', { status: 'waiting', output: null, wait: { kind: 'signal', signal: 'decision', deadline: null } })], 'w1');
      await store.completeWaitingStep({ runId: run.id, stepKey: asStepKey('decide'), output: { timed_out: false }, now: T0 + 1 });
      await store.finishTurn(run.id, 'w1', { status: 'waiting', wakeAt: null, now: T0 + 2 });
      expect((await store.getRun(run.id))?.wakeAt).toBe(T0 + 2);
    });

    it('finds steps waiting for an external event by name and key', async () => {
      const run = newRun();
      await store.createRun(run);
      await claimOne();
      await store.writeJournal([entry(run.id, 'await_claim', { status: 'waiting', output: null, wait: { kind: 'event', event: 'prm.claim.filed', key: 'MDF-1', deadline: null } })], 'w1');
      expect(await store.findWaitingForEvent('prm.claim.filed', 'MDF-1')).toEqual([{ runId: run.id, stepKey: 'await_claim' }]);
      expect(await store.findWaitingForEvent('prm.claim.filed', 'MDF-2')).toEqual([]);
    });

    it('decides an approval once; its sibling link and a replay say it was used', async () => {
      const runId = await runWaitingOnSignal();
      const msg = { key: `${runId}:ask`, runId, message: { from: 'f@example.com', to: ['cmm@example.com'], subject: 's', text: 't', html: 'h' }, createdAt: T0 };
      await store.enqueueOutbox(msg, approval(runId, 'hash-a'));
      await store.enqueueOutbox({ ...msg, key: `${runId}:escalate` }, approval(runId, 'hash-b', { approverEmail: 'manager@example.com' }));
      expect(await store.decideApproval({ tokenHash: 'hash-a', decision: 'approve', comment: 'go', now: T0 + 10 })).toBe('decided');
      expect(await store.decideApproval({ tokenHash: 'hash-a', decision: 'deny', now: T0 + 11 })).toBe('used');
      expect(await store.decideApproval({ tokenHash: 'hash-b', decision: 'deny', now: T0 + 12 })).toBe('used');
      expect(await store.decideApproval({ tokenHash: 'nope', decision: 'deny', now: T0 + 12 })).toBe('unknown');
      expect((await store.getJournal(runId))[0]?.output).toMatchObject({ timed_out: false, decision: 'approve', approver: 'cmm@example.com', comment: 'go' });
      expect(await store.getApproval('hash-a')).toMatchObject({ decision: 'approve', usedAt: T0 + 10 });
    });

    it('refuses an expired approval and one whose run finished, changing nothing', async () => {
      const runId = await runWaitingOnSignal();
      const msg = { key: `${runId}:ask`, runId, message: { from: 'f@example.com', to: ['x@example.com'], subject: 's', text: 't', html: 'h' }, createdAt: T0 };
      await store.enqueueOutbox(msg, approval(runId, 'hash-old', { expiresAt: T0 + 5 }));
      expect(await store.decideApproval({ tokenHash: 'hash-old', decision: 'approve', now: T0 + 5 })).toBe('expired');
      expect((await store.getApproval('hash-old'))?.usedAt).toBeNull();
      await store.enqueueOutbox({ ...msg, key: `${runId}:ask2` }, approval(runId, 'hash-live'));
      await store.cancelRun(runId, T0, 'request canceled');
      expect(await store.decideApproval({ tokenHash: 'hash-live', decision: 'approve', now: T0 + 6 })).toBe('closed');
      expect((await store.getJournal(runId))[0]?.status).toBe('waiting');
    });

    it('D10: an approval without a hard cap lives as long as its run waits for the signal; once the last wait timed out and the run rests elsewhere it is expired', async () => {
      const runId = await runWaitingOnSignal();
      const msg = { key: `${runId}:ask`, runId, message: { from: 'f@example.com', to: ['x@example.com'], subject: 's', text: 't', html: 'h' }, createdAt: T0 };
      await store.enqueueOutbox(msg, approval(runId, 'hash-nocap', { id: 'apr_1', expiresAt: null }));
      expect(await store.getApproval('hash-nocap')).toMatchObject({ id: 'apr_1', expiresAt: null });
      // The wait times out; in the same turn the run goes on to wait for a day, not for the decision.
      await store.claimDueRuns({ now: T0 + 1000, owner: 'w2', leaseMs: 60_000, limit: 1 });
      await store.writeJournal(
        [
          entry(runId, 'decide', { status: 'completed', stepType: 'wait_for', output: { timed_out: true }, finishedAt: T0 + 1000, wait: { kind: 'signal', signal: 'decision', deadline: T0 + 1000 } }),
          entry(runId, 'cool_off', { status: 'waiting', stepType: 'wait', output: null, finishedAt: null, wait: { kind: 'time', until: T0 + 86_400_000 } }),
        ],
        'w2',
      );
      await store.finishTurn(runId, 'w2', { status: 'waiting', wakeAt: T0 + 86_400_000, now: T0 + 1000 });
      expect(await store.decideApproval({ tokenHash: 'hash-nocap', decision: 'approve', now: T0 + 2000 })).toBe('expired');
      expect((await store.getApproval('hash-nocap'))?.usedAt).toBeNull();
    });

    it('D10: after a timeout, while the run has not come to rest (a reminder is being sent), a decision waits in the inbox for the next wait', async () => {
      const runId = await runWaitingOnSignal();
      const msg = { key: `${runId}:ask`, runId, message: { from: 'f@example.com', to: ['x@example.com'], subject: 's', text: 't', html: 'h' }, createdAt: T0 };
      await store.enqueueOutbox(msg, approval(runId, 'hash-between', { expiresAt: null }));
      await store.claimDueRuns({ now: T0 + 1000, owner: 'w2', leaseMs: 60_000, limit: 1 });
      await store.writeJournal([entry(runId, 'decide', { status: 'completed', stepType: 'wait_for', output: { timed_out: true }, finishedAt: T0 + 1000, wait: { kind: 'signal', signal: 'decision', deadline: T0 + 1000 } })], 'w2');
      expect(await store.decideApproval({ tokenHash: 'hash-between', decision: 'deny', now: T0 + 1001 })).toBe('decided');
      await store.writeJournal([entry(runId, 'decide_escalated', { status: 'waiting', stepType: 'wait_for', output: null, finishedAt: null, wait: { kind: 'signal', signal: 'decision', deadline: T0 + 99_000 } })], 'w2');
      expect((await store.getJournal(runId)).find((e) => e.stepKey === 'decide_escalated')).toMatchObject({ status: 'completed', output: { decision: 'deny' } });
    });

    it('a click for a signal no wait of the run\'s recipe takes (signalAwaited: false) is closed, and nothing is kept for a later wait', async () => {
      const run = newRun();
      await store.createRun(run);
      // The run sleeps before its wait_for, as an early click finds it: the store alone would keep the decision.
      await claimOne();
      await store.writeJournal([entry(run.id, 'pause', { status: 'waiting', stepType: 'wait', output: null, finishedAt: null, wait: { kind: 'time', until: T0 + 1000 } })], 'w1');
      await store.finishTurn(run.id, 'w1', { status: 'waiting', wakeAt: T0 + 1000, now: T0 });
      const msg = { key: `${run.id}:ask`, runId: run.id, message: { from: 'f@example.com', to: ['x@example.com'], subject: 's', text: 't', html: 'h' }, createdAt: T0 };
      await store.enqueueOutbox(msg, approval(run.id, 'hash-unawaited', { expiresAt: null }));
      expect(await store.decideApproval({ tokenHash: 'hash-unawaited', decision: 'approve', now: T0 + 10, signalAwaited: false })).toBe('closed');
      expect(await store.getApproval('hash-unawaited')).toMatchObject({ usedAt: null, decision: null });
      await store.claimDueRuns({ now: T0 + 1000, owner: 'w2', leaseMs: 60_000, limit: 1 });
      expect(await store.writeJournal([entry(run.id, 'late_wait', { status: 'waiting', stepType: 'wait_for', output: null, finishedAt: null, wait: { kind: 'signal', signal: 'decision', deadline: null } })], 'w2')).toBe(true);
      expect((await store.getJournal(run.id)).find((e) => e.stepKey === 'late_wait')?.status).toBe('waiting');
    });

    it('D10: after a timeout no later wait can follow (final), a click while the run waits out a retry is closed and nothing is kept for it', async () => {
      const runId = await runWaitingOnSignal();
      const msg = { key: `${runId}:ask`, runId, message: { from: 'f@example.com', to: ['x@example.com'], subject: 's', text: 't', html: 'h' }, createdAt: T0 };
      await store.enqueueOutbox(msg, approval(runId, 'hash-final', { expiresAt: null }));
      await store.claimDueRuns({ now: T0 + 1000, owner: 'w2', leaseMs: 60_000, limit: 1 });
      await store.writeJournal(
        [
          entry(runId, 'decide', { status: 'completed', stepType: 'wait_for', output: { timed_out: true }, finishedAt: T0 + 1000, wait: { kind: 'signal', signal: 'decision', deadline: T0 + 1000 } }),
          entry(runId, 'mark_undecided', { status: 'failed', output: null, finishedAt: T0 + 1000, nextAttemptAt: T0 + 600_000 }),
        ],
        'w2',
      );
      await store.finishTurn(runId, 'w2', { status: 'waiting', wakeAt: T0 + 600_000, now: T0 + 1000 });
      expect(await store.decideApproval({ tokenHash: 'hash-final', decision: 'approve', now: T0 + 2000, timeoutIsFinal: (waitId) => waitId === 'decide' })).toBe('closed');
      expect((await store.getApproval('hash-final'))?.usedAt).toBeNull();
      // Nothing waits in the inbox: a wait on the signal written now would not be answered by that click.
      await store.claimDueRuns({ now: T0 + 600_000, owner: 'w3', leaseMs: 60_000, limit: 1 });
      expect(await store.writeJournal([entry(runId, 'late_wait', { status: 'waiting', stepType: 'wait_for', output: null, finishedAt: null, wait: { kind: 'signal', signal: 'decision', deadline: null } })], 'w3')).toBe(true);
      expect((await store.getJournal(runId)).find((e) => e.stepKey === 'late_wait')?.status).toBe('waiting');
    });

    it('outbox: records the lease an attempt took a message under, and tells whether that lease is held, lapsed or gone', async () => {
      const run = newRun();
      await store.createRun(run);
      await claimOne('host-a~n1');
      const stored = await store.enqueueOutbox({ key: 'k-lease', runId: run.id, message: { from: 'f@example.com', to: ['p@example.com'], subject: 's', text: 't', html: 'h' }, createdAt: T0 });
      expect(await store.takeOutboxForSending('k-lease', { status: stored.status, attempts: stored.attempts }, T0, 'host-a~n1')).toBe(true);
      expect(await store.getOutbox('k-lease')).toMatchObject({ status: 'sending', sendingOwner: 'host-a~n1' });
      expect(await store.leaseState('host-a~n1', T0 + 1)).toBe('held');
      expect(await store.leaseState('host-a~n1', T0 + 60_001)).toBe('lapsed');
      await store.releaseLeases('host-a', T0 + 2);
      expect(await store.leaseState('host-a~n1', T0 + 3)).toBe('gone');
    });

    it('outbox: a message is stored taken only for the lease that holds its run, and only that lease gives a take back', async () => {
      const run = newRun();
      await store.createRun(run);
      await claimOne('host-a~n1');
      const message = { from: 'f@example.com', to: ['p@example.com'], subject: 's', text: 't', html: 'h' };
      // A stale turn's lease: stored pending, for the run's next attempt to take (with or without an approval).
      const stale = await store.enqueueOutbox({ key: 'k-stale', runId: run.id, message, createdAt: T0 }, undefined, { now: T0, owner: 'host-b~old' });
      expect(stale).toMatchObject({ status: 'pending', attempts: 0, sendingOwner: null });
      expect(stale.taken).toBeUndefined();
      const staleApproval = await store.enqueueOutbox({ key: 'k-stale-approval', runId: run.id, message, createdAt: T0 }, approval(run.id, 'hash-stale'), { now: T0, owner: 'host-b~old' });
      expect(staleApproval).toMatchObject({ status: 'pending', attempts: 0 });
      expect(await store.getApproval('hash-stale')).toBeDefined();
      // The lease that holds the run: stored taken.
      const mine = await store.enqueueOutbox({ key: 'k-mine', runId: run.id, message, createdAt: T0 }, undefined, { now: T0, owner: 'host-a~n1' });
      expect(mine).toMatchObject({ status: 'sending', attempts: 1, sendingOwner: 'host-a~n1', taken: true });
      expect(await store.releaseOutboxTake('k-mine', 'host-b~old')).toBe(false);
      expect(await store.getOutbox('k-mine')).toMatchObject({ status: 'sending', sendingOwner: 'host-a~n1' });
      expect(await store.releaseOutboxTake('k-mine', 'host-a~n1')).toBe(true);
      expect(await store.getOutbox('k-mine')).toMatchObject({ status: 'pending', sendingOwner: null, sendingSince: null });
      expect(await store.releaseOutboxTake('k-mine', 'host-a~n1')).toBe(false);
    });

    it('keeps a decision that arrives before its wait_for step, and answers the step when written', async () => {
      const run = newRun();
      await store.createRun(run);
      await claimOne();
      await store.enqueueOutbox({ key: `${run.id}:ask`, runId: run.id, message: { from: 'f@example.com', to: ['x@example.com'], subject: 's', text: 't', html: 'h' }, createdAt: T0 }, approval(run.id, 'hash-fast'));
      expect(await store.decideApproval({ tokenHash: 'hash-fast', decision: 'deny', now: T0 + 1 })).toBe('decided');
      await store.writeJournal([entry(run.id, 'decide', { status: 'waiting', output: null, finishedAt: null, wait: { kind: 'signal', signal: 'decision', deadline: null } })], 'w1');
      expect((await store.getJournal(run.id))[0]).toMatchObject({ status: 'completed', output: { decision: 'deny' } });
      await store.finishTurn(run.id, 'w1', { status: 'waiting', wakeAt: null, now: T0 + 2 });
      expect((await store.getRun(run.id))?.wakeAt).toBe(T0 + 2);
    });

    it('outbox: the first writer of a key wins, and its approval is stored with it', async () => {
      const runId = asRunId('run_outbox');
      const message = { from: 'f@example.com', to: ['p@example.com'], subject: 'first', text: 't', html: 'h' };
      const first = await store.enqueueOutbox({ key: 'k1', runId, message, createdAt: T0 }, approval(runId, 'hash-1'));
      const second = await store.enqueueOutbox({ key: 'k1', runId, message: { ...message, subject: 'second' }, createdAt: T0 + 1 }, approval(runId, 'hash-2'));
      expect(first).toMatchObject({ status: 'pending', attempts: 0, message: { subject: 'first' } });
      expect(second.message.subject).toBe('first');
      expect(await store.getApproval('hash-2')).toBeUndefined();
      await store.updateOutbox('k1', { status: 'sent', attempts: 1, providerMessageId: 'pm-1', sentAt: T0 + 2 });
      expect(await store.getOutbox('k1')).toMatchObject({ status: 'sent', providerMessageId: 'pm-1', sentAt: T0 + 2 });
      await store.updateOutbox('k1', { message: { ...message, text: 'erased', html: 'erased' } });
      expect((await store.getOutbox('k1'))?.message).toEqual({ ...message, text: 'erased', html: 'erased' });
      expect(await store.getOutbox('nope')).toBeUndefined();
    });

    it('outbox: an update that expects a status and attempt count changes the message only while it still has them (an operator\'s decision)', async () => {
      const message = { from: 'f@example.com', to: ['p@example.com'], subject: 's', text: 't', html: 'h' };
      await store.enqueueOutbox({ key: 'k-decide', runId: null, message, createdAt: T0 });
      await store.updateOutbox('k-decide', { status: 'failed', attempts: 1, lastError: 'needs an operator’s decision' });
      // Two decisions on the message as read (failed, 1 attempt): the first changes it, the second nothing.
      expect(await store.updateOutbox('k-decide', { status: 'sent', providerMessageId: 'pm-op', sentAt: T0 + 1 }, { status: 'failed', attempts: 1 })).toBe(true);
      expect(await store.updateOutbox('k-decide', { status: 'pending', lastError: 'released' }, { status: 'failed', attempts: 1 })).toBe(false);
      expect(await store.getOutbox('k-decide')).toMatchObject({ status: 'sent', providerMessageId: 'pm-op', lastError: 'needs an operator’s decision' });
      // Failed again after another attempt: a decision on the earlier read changes nothing.
      await store.updateOutbox('k-decide', { status: 'failed', attempts: 2 });
      expect(await store.updateOutbox('k-decide', { status: 'pending' }, { status: 'failed', attempts: 1 })).toBe(false);
      expect(await store.updateOutbox('k-decide', { status: 'pending' }, { status: 'failed', attempts: 2 })).toBe(true);
      expect(await store.getOutbox('k-decide')).toMatchObject({ status: 'pending', attempts: 2 });
      expect(await store.updateOutbox('nope', { status: 'pending' }, { status: 'failed', attempts: 1 })).toBe(false);
    });

    it('outbox: one sender takes a message for an attempt; a sender that read it before is refused', async () => {
      const message = { from: 'f@example.com', to: ['p@example.com'], subject: 's', text: 't', html: 'h' };
      const stored = await store.enqueueOutbox({ key: 'k-take', runId: null, message, createdAt: T0 });
      const seen = { status: stored.status, attempts: stored.attempts };
      const takes = await Promise.all([store.takeOutboxForSending('k-take', seen, T0), store.takeOutboxForSending('k-take', seen, T0)]);
      expect(takes.sort()).toEqual([false, true]);
      expect(await store.getOutbox('k-take')).toMatchObject({ status: 'sending', attempts: 1, sendingSince: T0 });
      // A later attempt that read the interrupted `sending` state takes it again, once.
      expect(await store.takeOutboxForSending('k-take', { status: 'sending', attempts: 1 }, T0 + 5)).toBe(true);
      expect(await store.takeOutboxForSending('k-take', { status: 'sending', attempts: 1 }, T0 + 6)).toBe(false);
      expect(await store.getOutbox('k-take')).toMatchObject({ status: 'sending', attempts: 2, sendingSince: T0 + 5 });
    });

    it('lists runs newest first with filters and paging', async () => {
      const ids: RunId[] = [];
      for (let i = 0; i < 5; i++) {
        const r = newRun({ recipe: i % 2 ? 'odd' : 'even' });
        ids.push(r.id);
        await store.createRun(r);
      }
      const page1 = await store.listRuns({ limit: 2 });
      expect(page1.map((r) => r.id)).toEqual([ids[4], ids[3]]);
      const page2 = await store.listRuns({ limit: 2, before: page1[1]!.id });
      expect(page2.map((r) => r.id)).toEqual([ids[2], ids[1]]);
      expect((await store.listRuns({ limit: 10, recipe: 'odd' })).map((r) => r.id)).toEqual([ids[3], ids[1]]);
      expect(await store.listRuns({ limit: 10, status: 'completed' })).toEqual([]);
    });
  });
}
