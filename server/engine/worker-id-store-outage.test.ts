import { afterEach, expect, it } from 'vitest';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { createDueRun, engineFixture, recipeWith, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { until } from '../../test/support/until.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { WorkerIdInUseError } from './worker-id-claim.ts';

/**
 * A store that failed while a process took its PARTNERFLOW_WORKER_ID at start: the process logged it and
 * ran without holding the id, so a second start under that id was not refused and both ran the same
 * runs. Now the start keeps trying (said once per outage, as the claim loop does) and claims no run
 * until the id is its own.
 */
const recipe = recipeWith([{ id: 'save', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' } }]);
const fixtures: EngineFixture[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const fx of fixtures.splice(0).reverse()) await fx.engine.stop();
  for (const store of stores.splice(0)) await store.close();
});

function logTo(lines: string[], name: string): Logger {
  const note = (level: string) => (_fields: unknown, message?: string) => void lines.push(`${name} ${level}: ${message}`);
  return { debug() {}, info: note('info'), warn: note('warn'), error: note('error') };
}

/** The store, with its worker-id reads and takes failing while `outage.down` (a connection refused). */
function withWorkerIdOutage(store: Store): { store: Store; outage: { down: boolean; tries: number } } {
  const outage = { down: true, tries: 0 };
  const fail = () => {
    outage.tries += 1;
    return Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
  };
  const workerInstance = store.workerInstance.bind(store);
  const takeWorkerId = store.takeWorkerId.bind(store);
  store.workerInstance = (workerId) => (outage.down ? fail() : workerInstance(workerId));
  store.takeWorkerId = (input) => (outage.down ? fail() : takeWorkerId(input));
  return { store, outage };
}

it('a start whose store fails as it takes its worker id keeps trying, claims no run until the id is its own, and a second start under the id is then refused', async () => {
  const lines: string[] = [];
  const { store, outage } = withWorkerIdOutage(await openSqliteStore({ path: ':memory:' }));
  stores.push(store);
  const first = await engineFixture([recipe], { store, workerId: 'partnerflow-1', pollMs: 50, log: logTo(lines, 'first') });
  fixtures.push(first);
  const id = await createDueRun(first, { key: 'k-1' });

  let started = false;
  const starting = first.engine.start().then(() => (started = true));
  await new Promise((r) => setTimeout(r, 1500));
  expect(outage.tries, 'the start kept trying').toBeGreaterThanOrEqual(3);
  expect(started).toBe(false);
  expect(first.system.effects, 'a run claimed without the worker id held').toEqual([]);
  expect((await store.getRun(id))?.leaseOwner ?? null).toBeNull();
  expect(lines).toEqual(['first error: could not take PARTNERFLOW_WORKER_ID "partnerflow-1": the store failed; claiming no runs until it is taken; trying again']);

  outage.down = false;
  await starting;
  await until('the run to complete', async () => ((await store.getRun(id))?.status === 'completed' ? true : undefined), 5000);
  expect(first.system.effects.map((e) => e.key)).toEqual(['k-1']);
  expect(lines.filter((l) => /WORKER_ID/.test(l))).toEqual([lines[0], expect.stringMatching(/^first info: store reachable again: PARTNERFLOW_WORKER_ID "partnerflow-1" taken after \d+ failed tries$/)]);

  const second = await engineFixture([recipe], { store, workerId: 'partnerflow-1', pollMs: 50, log: logTo(lines, 'second') });
  fixtures.push(second);
  const refusal = await second.engine.start().then(
    () => null,
    (error: unknown) => error,
  );
  expect(refusal).toBeInstanceOf(WorkerIdInUseError);
  expect(second.system.effects).toEqual([]);
}, 20_000);

it('a stop while the start still waits for the store ends the wait at once, with nothing taken', async () => {
  const lines: string[] = [];
  const { store, outage } = withWorkerIdOutage(await openSqliteStore({ path: ':memory:' }));
  stores.push(store);
  const fx = await engineFixture([recipe], { store, workerId: 'partnerflow-1', pollMs: 50, log: logTo(lines, 'first') });
  const id = await createDueRun(fx, { key: 'k-1' });
  const starting = fx.engine.start();
  await new Promise((r) => setTimeout(r, 300));
  expect(outage.tries, 'the start tried to take its worker id').toBeGreaterThanOrEqual(1);
  const stoppedAt = performance.now();
  await fx.engine.stop();
  await starting;
  expect(performance.now() - stoppedAt).toBeLessThan(300);
  expect(fx.system.effects).toEqual([]);
  // The store back after the stop: the id was never taken, the due run never leased.
  outage.down = false;
  await new Promise((r) => setTimeout(r, 300));
  expect(await store.workerInstance('partnerflow-1'), 'the worker id taken after the stop').toBeUndefined();
  expect(await store.getRun(id)).toMatchObject({ status: 'queued', leaseOwner: null });
}, 20_000);
