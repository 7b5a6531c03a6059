import { afterEach, expect, it } from 'vitest';
import { engineFixture, recipeWith, silentLog } from '../../test/support/engine-fixture.ts';
import { startPostgresRelay } from '../../test/support/postgres-relay.ts';
import { createTestSchema, dropTestSchema } from '../../test/support/test-postgres.ts';
import { until } from '../../test/support/until.ts';
import { openPostgresStore } from '../store/postgres-store.ts';

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  cleanups = [];
});

/**
 * A turn cut off by a PostgreSQL outage (its journal write or its outcome refused) cannot store what it did. It keeps its lease, so with the
 * default lease (60 s) nobody else takes the run up until the lease runs out: the replica takes the run up
 * again itself as soon as the store answers, and the run is completed seconds after the outage,
 * not a lease later. (The clock is virtual and stands still: a lease never runs out here.)
 */
it('D7: a turn whose outcome met a PostgreSQL outage is recorded once the store is back, without waiting for its lease (60 s) to run out', async () => {
  const url = await createTestSchema();
  cleanups.push(() => dropTestSchema(url));
  const relay = await startPostgresRelay(url);
  cleanups.push(() => relay.close());
  const store = await openPostgresStore({ url: relay.url, poolSize: 3 });
  const fx = await engineFixture([recipeWith([{ id: 'call', type: 'action', action: 'fake.slow', input: { key: 'k' } }])], { store, workerId: 'w1', log: silentLog, pollMs: 200 });
  cleanups.push(async () => {
    relay.mode = 'pass';
    await fx.close();
  });
  const release = fx.system.hold('k');
  let calling = false;
  const answer = fx.system.answer.bind(fx.system);
  fx.system.answer = (key) => ((calling = true), answer(key));
  fx.engine.start();
  const { runIds } = await fx.engine.deliver({ source: 'fake', deliveryId: 'd1', event: 'thing.happened', data: { id: 'd1' } });
  await until('the turn to be in its call', async () => (calling ? true : undefined), 10_000);

  relay.mode = 'refuse';
  relay.cut();
  release();
  // The outcome meets the outage.
  await new Promise((r) => setTimeout(r, 1500));
  relay.mode = 'pass';

  const run = await until('the run to be completed', async () => {
    const r = await fx.store.getRun(runIds[0]!);
    return r?.status === 'completed' ? r : undefined;
  }, 15_000);
  expect(run.leaseOwner).toBeNull();
  const journal = await fx.store.getJournal(run.id);
  expect(journal.map((e) => [e.stepId, e.status])).toEqual([['call', 'completed']]);
  // The call's answer met the outage before it was journaled: the turn taken up again asked again, under
  // the same idempotency key, as a takeover would.
  expect(fx.system.effects.every((e) => e.key === 'k')).toBe(true);
}, 60_000);
