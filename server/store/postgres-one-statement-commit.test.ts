import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startPostgresRelay } from '../../test/support/postgres-relay.ts';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';
import { asRunId, asStepKey, type RunId } from '../engine/ids.ts';
import type { KyselyStore } from './kysely-store.ts';
import { openPostgresStore } from './postgres-store.ts';
import { planOneStatementCommit } from './postgres-one-statement-commit.ts';
import { finishTurnWork, ingestWork, writeJournalWork } from './store-operations.ts';
import { storeQueries } from './store-queries.ts';
import type { JournalEntry, NewRun } from './store.ts';

const T0 = Date.parse('2026-03-02T09:00:00Z');
let seq = 0;

function newRun(over: Partial<NewRun> = {}): NewRun {
  seq += 1;
  return {
    id: asRunId(`run_o${String(seq).padStart(6, '0')}`),
    recipe: 'mdf-approval',
    recipeVersion: 1,
    recipeHash: 'hash-1',
    trigger: { type: 'webhook', event: 'prm.mdf_request.submitted', receivedAt: T0, data: {} },
    dedupKey: `dedup-o${seq}`,
    correlationKey: null,
    cancelOnEvent: null,
    wakeAt: T0,
    createdAt: T0,
    ...over,
  };
}

const delivery = (id: string, event = 'prm.mdf_request.submitted') => ({ source: 'prm', deliveryId: id, event, receivedAt: T0, eventHash: `hash-of-${event}` });

const step = (runId: RunId, output: unknown): JournalEntry => ({
  runId,
  stepKey: asStepKey('note'),
  stepId: 'note',
  stepType: 'set',
  status: 'completed',
  input: {},
  output,
  error: null,
  attempts: 1,
  startedAt: T0 + 1,
  finishedAt: T0 + 1,
  nextAttemptAt: null,
  wait: null,
  notes: [],
});

describe('PostgreSQL group commit as one statement', () => {
  describe('on a PostgreSQL server', () => {
    let store: KyselyStore;
    let url: string;
    beforeEach(async () => {
      const opened = await openTestPostgresStore();
      store = opened;
      url = opened.url;
    });
    afterEach(async () => {
      await store.close();
    });

    it('takes new deliveries and ended turns, and leaves a batch with any other statement to the careful way', () => {
      const q = storeQueries(store.db, 'postgres');
      const run = newRun();
      const ingest = () => ingestWork(q, delivery('d-plan'), [run]);
      const turn = () => finishTurnWork(q, run.id, 'w1', { status: 'completed', wakeAt: null, error: null, now: T0, journal: [step(run.id, 1)] });
      const plan = planOneStatementCommit([ingest, turn], q);
      // Each unit's answer as it is when nothing collides; the statement itself checks that.
      expect(plan?.results).toEqual([{ duplicate: false, runIds: [run.id] }, true]);
      // A park is another statement; so is the read of a journal write outside a turn.
      expect(planOneStatementCommit([ingest, () => finishTurnWork(q, run.id, 'w1', { status: 'waiting', wakeAt: T0 + 1, now: T0, parked: { system: 'marketo', since: T0 } })], q)).toBeUndefined();
      expect(planOneStatementCommit([() => writeJournalWork(q, [step(run.id, 1)], 'w1')], q)).toBeUndefined();
      // One statement may write a journal row once only.
      expect(planOneStatementCommit([turn, turn], q)).toBeUndefined();
    });

    it('stores 40 deliveries asked for together, each with its run, and answers each as new', async () => {
      const ingests = Array.from({ length: 40 }, (_, i) => ({ id: `d-new-${i}`, run: newRun() }));
      const answers = await Promise.all(ingests.map((x) => store.ingest(delivery(x.id), [x.run])));
      expect(answers).toEqual(ingests.map((x) => ({ duplicate: false, runIds: [x.run.id] })));
      for (const x of ingests) expect(await store.getRun(x.run.id)).toMatchObject({ status: 'queued', wakeAt: T0, finishedAt: null });
    });

    it('sends PostgreSQL one statement and no BEGIN for a batch that collides with nothing, and a transaction for one that does', async () => {
      const relay = await startPostgresRelay(url);
      const viaRelay = await openPostgresStore({ url: relay.url, poolSize: 3 });
      try {
        const seenBefore = { ...relay.seen };
        const fresh = [newRun(), newRun(), newRun()];
        await Promise.all(fresh.map((run, i) => viaRelay.ingest(delivery(`d-one-${i}`), [run])));
        expect(relay.seen.groupCommitStatements - seenBefore.groupCommitStatements).toBe(1);
        expect(relay.seen.begins - seenBefore.begins).toBe(0);
        const again = await Promise.all([viaRelay.ingest(delivery('d-one-0'), [newRun()]), viaRelay.ingest(delivery('d-one-new'), [newRun()])]);
        expect(again.map((a) => a.duplicate)).toEqual([true, false]);
        // The statement was refused (a delivery seen before), and the batch went the careful way.
        expect(relay.seen.groupCommitStatements - seenBefore.groupCommitStatements).toBe(2);
        expect(relay.seen.begins - seenBefore.begins).toBe(1);
      } finally {
        await viaRelay.close();
        await relay.close();
      }
    });

    it('keeps every character of what it stores (the rows go as PostgreSQL arrays): quotes, backslashes, braces, commas, the word NULL, empty strings, newlines, emoji', async () => {
      const awkward = ['"quoted"', 'back\\slash', '{braced}', 'a,b', 'NULL', '', 'line\nbreak', 'tab\tand é ü 😀', ' padded '];
      const runs = awkward.map((text) => newRun({ dedupKey: `k-${text}`, correlationKey: text, trigger: { type: 'webhook', event: 'prm.mdf_request.submitted', receivedAt: T0, data: { text } } }));
      const answers = await Promise.all(runs.map((run, i) => store.ingest(delivery(`d-awkward-${i}`), [run])));
      expect(answers).toEqual(runs.map((run) => ({ duplicate: false, runIds: [run.id] })));
      for (const [i, run] of runs.entries()) {
        const stored = await store.getRun(run.id);
        expect(stored?.correlationKey).toBe(awkward[i]);
        expect(stored?.trigger).toEqual(run.trigger);
      }
      const claimed = await store.claimDueRuns({ now: T0, owner: 'w1', leaseMs: 60_000, limit: runs.length });
      expect(claimed).toHaveLength(runs.length);
      await Promise.all(runs.map((run, i) => store.finishTurn(run.id, 'w1', { status: 'completed', wakeAt: null, now: T0 + 1, journal: [step(run.id, { text: awkward[i], none: null })] })));
      for (const [i, run] of runs.entries()) expect((await store.getJournal(run.id)).map((e) => e.output)).toEqual([{ text: awkward[i], none: null }]);
    });

    it('a delivery seen before, in a batch of new ones: the new ones are stored once, it is answered with its first run', async () => {
      const first = newRun();
      await store.ingest(delivery('d-seen'), [first]);
      const fresh = [newRun(), newRun()];
      const again = newRun();
      const answers = await Promise.all([store.ingest(delivery('d-fresh-1'), [fresh[0]!]), store.ingest(delivery('d-seen'), [again]), store.ingest(delivery('d-fresh-2'), [fresh[1]!])]);
      expect(answers).toEqual([
        { duplicate: false, runIds: [fresh[0]!.id] },
        { duplicate: true, runIds: [first.id] },
        { duplicate: false, runIds: [fresh[1]!.id] },
      ]);
      expect(await store.getRun(again.id)).toBeUndefined();
      const runs = await store.listRuns({ limit: 10 });
      expect(runs.map((r) => r.id).sort()).toEqual([first.id, fresh[0]!.id, fresh[1]!.id].sort());
    });

    it('the same delivery twice in one batch starts one run, and one with another event is told so', async () => {
      const [a, b, c] = [newRun(), newRun(), newRun()];
      const answers = await Promise.all([store.ingest(delivery('d-twice'), [a]), store.ingest(delivery('d-twice'), [b]), store.ingest(delivery('d-twice', 'prm.mdf_request.cancelled'), [c])]);
      expect(answers).toEqual([
        { duplicate: false, runIds: [a.id] },
        { duplicate: true, runIds: [a.id] },
        { duplicate: true, runIds: [a.id], differentEvent: true },
      ]);
      expect((await store.listRuns({ limit: 10 })).map((r) => r.id)).toEqual([a.id]);
    });

    it('a run whose dedup key an earlier run holds is answered with that run, beside new deliveries of the same batch', async () => {
      const held = newRun({ dedupKey: 'MDF-0042' });
      await store.ingest(delivery('d-first-42'), [held]);
      const dup = newRun({ dedupKey: 'MDF-0042' });
      const other = newRun();
      const answers = await Promise.all([store.ingest(delivery('d-second-42'), [dup]), store.ingest(delivery('d-other'), [other])]);
      expect(answers).toEqual([
        { duplicate: false, runIds: [held.id] },
        { duplicate: false, runIds: [other.id] },
      ]);
      expect(await store.getRun(dup.id)).toBeUndefined();
    });

    it('a run PostgreSQL refuses (a NUL in its dedup key) fails its own delivery alone; the others of the batch are stored', async () => {
      const [before, bad, after] = [newRun(), newRun({ dedupKey: 'MDF-\u0000-1' }), newRun()];
      const answers = await Promise.allSettled([store.ingest(delivery('d-before'), [before]), store.ingest(delivery('d-bad'), [bad]), store.ingest(delivery('d-after'), [after])]);
      expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(String((answers[1] as PromiseRejectedResult).reason)).toMatch(/0x00/);
      expect((await store.listRuns({ limit: 10 })).map((r) => r.id).sort()).toEqual([before.id, after.id].sort());
      // Its delivery was not stored either: sent again (without the NUL), it starts its run.
      expect(await store.ingest(delivery('d-bad'), [newRun({ id: bad.id })])).toEqual({ duplicate: false, runIds: [bad.id] });
    });

    it('turns ending together: a turn that still holds its run writes its status and journal; one whose lease was taken over writes nothing', async () => {
      const [kept, lost] = [newRun(), newRun()];
      await Promise.all([store.ingest(delivery('d-kept'), [kept]), store.ingest(delivery('d-lost'), [lost])]);
      expect(await store.claimDueRuns({ now: T0, owner: 'w1', leaseMs: 1_000, limit: 2 })).toHaveLength(2);
      // w2 takes over `lost` once w1's lease ran out; `kept` is renewed by w1 first.
      expect(await store.renewLease(kept.id, 'w1', T0 + 60_000)).toBe(true);
      expect((await store.claimDueRuns({ now: T0 + 5_000, owner: 'w2', leaseMs: 60_000, limit: 2 })).map((r) => r.id)).toEqual([lost.id]);
      const fresh = newRun();
      const [keptDone, lostDone, ingested] = await Promise.all([
        store.finishTurn(kept.id, 'w1', { status: 'completed', wakeAt: null, error: null, now: T0 + 6_000, journal: [step(kept.id, 'kept')] }),
        store.finishTurn(lost.id, 'w1', { status: 'completed', wakeAt: null, error: null, now: T0 + 6_000, journal: [step(lost.id, 'stale')] }),
        store.ingest(delivery('d-beside'), [fresh]),
      ]);
      expect([keptDone, lostDone]).toEqual([true, false]);
      expect(ingested).toEqual({ duplicate: false, runIds: [fresh.id] });
      expect(await store.getRun(kept.id)).toMatchObject({ status: 'completed', finishedAt: T0 + 6_000, leaseOwner: null });
      expect((await store.getJournal(kept.id)).map((e) => e.output)).toEqual(['kept']);
      expect(await store.getRun(lost.id)).toMatchObject({ status: 'running', leaseOwner: 'w2', finishedAt: null });
      expect(await store.getJournal(lost.id)).toEqual([]);
      expect(await store.getRun(fresh.id)).toMatchObject({ status: 'queued' });
    });
  });
});
