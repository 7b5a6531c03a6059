import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import type { Logger } from '../../connectors/kit/define-connector.ts';
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

/**
 * A refusal that passes (here a deadlock, 40P01, at every write of the step's journal entry) is not
 * an outage: the same turn taken up again at once would meet it again, in a loop. The turn is cut off
 * once, said at warn, and the run keeps its lease until it runs out; then it is taken up again, and
 * with the refusal gone it completes, its step done once.
 */
it('D7: a turn refused by a deadlock at each try is cut off once, not taken up again in a loop; after its lease it completes, once', async () => {
  const url = await createTestSchema();
  cleanups.push(() => dropTestSchema(url));
  const admin = new pg.Client(url);
  await admin.connect();
  cleanups.push(() => admin.end());
  const store = await openPostgresStore({ url, poolSize: 3 });
  const warned: string[] = [];
  const log: Logger = { ...silentLog, warn: (_fields, message) => void warned.push(String(message)) };
  const fx = await engineFixture([recipeWith([{ id: 'call', type: 'action', action: 'fake.record', input: { key: 'k' } }])], { store, workerId: 'w1', log, pollMs: 50, leaseMs: 10_000 });
  cleanups.push(() => fx.close());
  await admin.query(`
    create function deadlock_for_test() returns trigger language plpgsql as $$
    begin
      raise exception 'deadlock detected' using errcode = '40P01';
    end $$`);
  await admin.query(`create trigger deadlock_for_test before insert or update on journal for each row when (new.step_id = 'call') execute function deadlock_for_test()`);

  fx.engine.start();
  const { runIds } = await fx.engine.deliver({ source: 'fake', deliveryId: 'd1', event: 'thing.happened', data: { id: 'd1' } });
  await until('the turn to be cut off', async () => (warned.some((m) => m.startsWith('turn cut off')) ? true : undefined), 10_000);
  await new Promise((r) => setTimeout(r, 1500));
  expect(warned.filter((m) => m.startsWith('turn cut off'))).toEqual(['turn cut off: the store refused for now; the run is taken up again when its lease runs out']);
  expect(await fx.store.getRun(runIds[0]!)).toMatchObject({ status: 'running', leaseOwner: expect.stringMatching(/^w1~/) });

  await admin.query('drop trigger deadlock_for_test on journal');
  fx.clock.advance(10_001);
  const run = await until('the run to be completed', async () => {
    const r = await fx.store.getRun(runIds[0]!);
    return r?.status === 'completed' ? r : undefined;
  }, 15_000);
  expect(run.leaseOwner).toBeNull();
  expect(fx.system.effects.map((e) => e.key)).toEqual(['k']);
}, 60_000);
