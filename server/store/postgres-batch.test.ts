import type { CompiledQuery, Transaction } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';
import { asRunId } from '../engine/ids.ts';
import type { Database } from './database.ts';
import type { KyselyStore } from './kysely-store.ts';
import { multiRowForms, runInLockstep } from './postgres-batch.ts';
import { finishTurnWork, ingestWork } from './store-operations.ts';
import { storeQueries } from './store-queries.ts';
import type { IngestResult, NewRun } from './store.ts';
import type { StoreWork } from './store-work.ts';

const T0 = Date.parse('2026-03-02T09:00:00Z');
let seq = 0;

function newRun(over: Partial<NewRun> = {}): NewRun {
  seq += 1;
  return {
    id: asRunId(`run_b${String(seq).padStart(6, '0')}`),
    recipe: 'mdf-approval',
    recipeVersion: 1,
    recipeHash: 'hash-1',
    trigger: { type: 'webhook', event: 'prm.mdf_request.submitted', receivedAt: T0, data: {} },
    dedupKey: `dedup-${seq}`,
    correlationKey: null,
    cancelOnEvent: null,
    wakeAt: T0,
    createdAt: T0,
    ...over,
  };
}

const delivery = (id: string) => ({ source: 'prm', deliveryId: id, event: 'prm.mdf_request.submitted', receivedAt: T0, eventHash: 'h' });

describe('PostgreSQL group commit: concurrent ingests in one batch', () => {
  let store: KyselyStore;
  beforeEach(async () => {
    store = await openTestPostgresStore();
  });
  afterEach(async () => {
    await store.close();
  });

  /** Runs units of work as one batch, as the store's group commit does, and the statements PostgreSQL was sent. */
  async function together<T>(works: Array<(q: ReturnType<typeof storeQueries>) => StoreWork<T>>): Promise<{ results: T[]; statements: string[] }> {
    const q = storeQueries(store.db, 'postgres');
    const forms = multiRowForms(store.db, q);
    const statements: string[] = [];
    const results = await store.db.transaction().execute((trx) => {
      const counted = new Proxy(trx, {
        get: (target, key) =>
          key === 'executeQuery'
            ? (query: CompiledQuery) => {
                statements.push(query.sql);
                return target.executeQuery(query);
              }
            : Reflect.get(target, key),
      }) as Transaction<Database>;
      return runInLockstep(
        works.map((w) => () => w(q)),
        counted,
        forms,
      );
    });
    return { results: results as T[], statements };
  }

  /** Runs the ingests as one batch, as the store's group commit does, and the statements PostgreSQL was sent. */
  const ingestTogether = (ingests: Array<{ id: string; run: NewRun }>) => together<IngestResult>(ingests.map((x) => (q) => ingestWork(q, delivery(x.id), [x.run])));

  it('50 deliveries cost PostgreSQL one multi-row INSERT of deliveries and one of runs, and every run is stored', async () => {
    const ingests = Array.from({ length: 50 }, (_, i) => ({ id: `d-${i}`, run: newRun() }));
    const { results, statements } = await ingestTogether(ingests);
    expect(results).toEqual(ingests.map((x) => ({ duplicate: false, runIds: [x.run.id] })));
    expect(statements).toHaveLength(2);
    for (const x of ingests) expect((await store.getRun(x.run.id))?.status).toBe('queued');
  });

  it('the same delivery twice in one batch starts one run; the second answers it as a duplicate (as one after the other)', async () => {
    const first = newRun();
    const { results } = await ingestTogether([
      { id: 'd-twice', run: first },
      { id: 'd-other', run: newRun() },
      { id: 'd-twice', run: newRun() },
    ]);
    expect(results[0]).toEqual({ duplicate: false, runIds: [first.id] });
    expect(results[2]).toEqual({ duplicate: true, runIds: [first.id] });
  });

  it('one delivery id with two different events in one batch: the first is stored, the second is told the id names another event; its run is not stored', async () => {
    const first = newRun();
    const second = newRun();
    const { results, statements } = await together<IngestResult>([
      (q) => ingestWork(q, { ...delivery('d-reused'), eventHash: 'hash-a' }, [first]),
      (q) => ingestWork(q, { ...delivery('d-plain'), eventHash: 'hash-c' }, [newRun()]),
      (q) => ingestWork(q, { ...delivery('d-reused'), eventHash: 'hash-b' }, [second]),
    ]);
    // The event's hash rides in the multi-row INSERT of deliveries: the batch stays one statement of each.
    expect(statements[0]).toMatch(/^insert into "deliveries" \("source", "delivery_id", "event", "received_at", "run_ids", "event_hash"\) values \(\$1, \$2, \$3, \$4, \$5, \$6\), \(/);
    expect(results[0]).toEqual({ duplicate: false, runIds: [first.id] });
    expect(results[2]).toEqual({ duplicate: true, differentEvent: true, runIds: [first.id] });
    expect(await store.getRun(second.id)).toBeUndefined();
  });

  it('one delivery id with the same event twice in one batch: the second is a plain duplicate', async () => {
    const first = newRun();
    const { results } = await together<IngestResult>([
      (q) => ingestWork(q, { ...delivery('d-again'), eventHash: 'hash-a' }, [first]),
      (q) => ingestWork(q, { ...delivery('d-again'), eventHash: 'hash-a' }, [newRun()]),
    ]);
    expect(results).toEqual([
      { duplicate: false, runIds: [first.id] },
      { duplicate: true, runIds: [first.id] },
    ]);
  });

  it('a delivery whose run is deduplicated onto an earlier run of the same batch answers that run (as one after the other)', async () => {
    const first = newRun({ dedupKey: 'MDF-7' });
    const second = newRun({ dedupKey: 'MDF-7' });
    const { results } = await ingestTogether([
      { id: 'd-a', run: first },
      { id: 'd-b', run: second },
    ]);
    expect(results).toEqual([
      { duplicate: false, runIds: [first.id] },
      { duplicate: false, runIds: [first.id] },
    ]);
    expect(await store.getRun(second.id)).toBeUndefined();
  });

  it('a delivery seen in an earlier batch is answered with its first run ids', async () => {
    const first = newRun();
    await ingestTogether([{ id: 'd-old', run: first }]);
    const { results } = await ingestTogether([
      { id: 'd-old', run: newRun() },
      { id: 'd-new', run: newRun() },
    ]);
    expect(results[0]).toEqual({ duplicate: true, runIds: [first.id] });
  });

  it('turns of several runs ending together cost one UPDATE; a turn whose lease was lost writes nothing', async () => {
    const runs = [newRun(), newRun(), newRun()];
    await ingestTogether(runs.map((run, i) => ({ id: `d-turn-${i}`, run })));
    const claimed = await store.claimDueRuns({ now: T0, owner: 'w1', leaseMs: 60_000, limit: 2 });
    expect(claimed).toHaveLength(2);
    const [done, waiting] = claimed;
    const notHeld = runs.find((r) => !claimed.some((c) => c.id === r.id))!;
    const { results, statements } = await together<boolean>([
      (q) => finishTurnWork(q, done!.id, 'w1', { status: 'completed', wakeAt: null, error: null, now: T0 + 5 }),
      (q) => finishTurnWork(q, waiting!.id, 'w1', { status: 'waiting', wakeAt: T0 + 60_000, error: null, now: T0 + 5 }),
      (q) => finishTurnWork(q, notHeld.id, 'w1', { status: 'completed', wakeAt: null, error: null, now: T0 + 5 }),
    ]);
    expect(results).toEqual([true, true, false]);
    expect(statements.filter((s) => s.startsWith('update runs'))).toHaveLength(1);
    expect(await store.getRun(done!.id)).toMatchObject({ status: 'completed', finishedAt: T0 + 5, wakeAt: null, leaseOwner: null });
    expect(await store.getRun(waiting!.id)).toMatchObject({ status: 'waiting', finishedAt: null, wakeAt: T0 + 60_000, leaseOwner: null });
    expect(await store.getRun(notHeld.id)).toMatchObject({ status: 'queued', finishedAt: null });
  });
});
