import { expect, it } from 'vitest';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { createDueRun, engineFixture, recipeWith, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { useEngineReplicas } from '../../test/support/engine-replicas.ts';
import { startPostgresRelay } from '../../test/support/postgres-relay.ts';
import { until } from '../../test/support/until.ts';
import { openPostgresStore } from '../store/postgres-store.ts';
import { OffsetClock } from './clock.ts';
import { WORKER_STALE_MS } from './worker-id-claim.ts';

/**
 * Review 5, finding 3: two replicas started with one PARTNERFLOW_WORKER_ID (a copied compose service, a
 * scaled one, a pod template with a fixed id). A start frees the leases of its own worker id, so that a
 * replica back after a kill resumes its runs at once; the second start took the first replica's run in
 * flight that way and ran its call a second time. Now a live holder's heartbeat refuses the second start,
 * and a dead one's (it stopped beating) is waited out, at most WORKER_STALE_MS, before its runs resume.
 */
const replicas = useEngineReplicas();
const recipe = recipeWith([{ id: 'slow', type: 'action', action: 'fake.slow', input: { key: '{% trigger.data.id %}' } }]);

function logTo(lines: string[], name: string): Logger {
  const note = (_fields: unknown, message?: string) => void lines.push(`${name}: ${message}`);
  return { debug() {}, info: note, warn: note, error: note };
}

/** A webhook's run, stored due; the replica that is started claims it and is then in its call. */
async function runInCall(fx: EngineFixture) {
  const id = await createDueRun(fx, { key: 'call-1', at: Date.now() });
  await until('the first replica to be in the call', async () => ((await fx.store.getJournal(id)).find((e) => e.stepId === 'slow')?.status === 'running' ? true : undefined), 5000);
  return id;
}

it('a second replica started under the worker id of a live one is refused, naming the variable; the call in flight runs once, on the first', async () => {
  await replicas.schema();
  const lines: string[] = [];
  const clock = new OffsetClock() as never;
  const a = await replicas.replica([recipe], { clock, workerId: 'partnerflow-1', leaseMs: 3000, pollMs: 50, log: logTo(lines, 'first') });
  const b = await replicas.replica([recipe], { clock, workerId: 'partnerflow-1', leaseMs: 3000, pollMs: 50, log: logTo(lines, 'second') });
  const answerA = a.system.hold('call-1');
  await a.engine.start();
  const id = await runInCall(a);

  const asked = performance.now();
  const refusal = await b.engine.start().then(
    () => null,
    (error: Error) => error,
  );
  expect(refusal?.message).toMatch(/^PARTNERFLOW_WORKER_ID "partnerflow-1" is in use by another running process \(its last heartbeat \d s ago\): give each replica its own id$/);
  // Refused as soon as the holder's heartbeat was seen to move, not after waiting for it to go stale.
  expect(performance.now() - asked).toBeLessThan(WORKER_STALE_MS);
  expect((await a.store.getRun(id))?.leaseOwner).toMatch(/^partnerflow-1~/);

  answerA();
  await until('the run to complete', async () => ((await a.store.getRun(id))?.status === 'completed' ? true : undefined), 5000);
  expect(b.system.effects, 'the refused replica ran the call the first one had in flight').toEqual([]);
  expect(a.system.effects.map((e) => e.key)).toEqual(['call-1']);
  expect((await a.store.getJournal(id)).find((e) => e.stepId === 'slow')).toMatchObject({ status: 'completed', attempts: 1 });
  expect(lines.filter((l) => /resuming runs|taken over|aborting/.test(l))).toEqual([]);
}, 30_000);

it('a replica restarted under the id of one killed mid-call (no clean stop: its heartbeat stopped) starts within WORKER_STALE_MS and resumes the run, long before the lease runs out', async () => {
  const url = await replicas.schema();
  const lines: string[] = [];
  const clock = new OffsetClock() as never;
  // The killed replica: on a relay that stops answering, as PostgreSQL sees a process that died.
  const relay = await startPostgresRelay(url);
  const a = await engineFixture([recipe], { store: await openPostgresStore({ url: relay.url, poolSize: 2 }), clock, workerId: 'partnerflow-1', pollMs: 50, log: logTo(lines, 'killed') });
  const answerA = a.system.hold('call-1');
  try {
    await a.engine.start();
    const id = await runInCall(a);
    relay.mode = 'refuse';
    relay.cut();
    const killedAt = performance.now();

    // Its lease is the default minute: the restart frees it instead of waiting for it.
    const b = await replicas.replica([recipe], { clock, workerId: 'partnerflow-1', pollMs: 50, log: logTo(lines, 'restarted') });
    await b.engine.start();
    expect(performance.now() - killedAt).toBeLessThan(WORKER_STALE_MS + 1500);
    // Said at warn, and in /metrics: no other replica counts the resumed runs as a takeover (review 9, finding 3).
    expect(lines).toContain('restarted: the previous process under PARTNERFLOW_WORKER_ID "partnerflow-1" did not stop cleanly (killed, crashed, or stopped while the store was down); resuming the 1 run(s) it held');
    const unclean = await b.engine.metrics.registry.getSingleMetricAsString('partnerflow_unclean_start_time_seconds');
    expect(Number(/\} (\S+)$/m.exec(unclean)?.[1])).toBeGreaterThan(Date.now() / 1000 - 60);
    await until('the run to complete on the restarted replica', async () => ((await b.store.getRun(id))?.status === 'completed' ? true : undefined), 5000);
    expect(performance.now() - killedAt).toBeLessThan(WORKER_STALE_MS + 4000);
    expect(b.system.effects.map((e) => e.key)).toEqual(['call-1']);
    // The killed replica's attempt counts: the call was under way when it died.
    expect((await b.store.getJournal(id)).find((e) => e.stepId === 'slow')).toMatchObject({ status: 'completed', attempts: 2 });
    // Not dead after all, only cut off (a network cut): its next heartbeat finds the id taken and says so.
    relay.mode = 'pass';
    await until('the cut-off replica to log that its id was taken over', async () => (lines.some((l) => l.startsWith('killed: PARTNERFLOW_WORKER_ID "partnerflow-1" was taken over by another process')) ? true : undefined), 10_000);
  } finally {
    relay.mode = 'pass';
    answerA();
    await a.close();
    await relay.close();
  }
}, 40_000);

it('a replica stopped cleanly gives its id up: a restart under it starts at once', async () => {
  await replicas.schema();
  const first = await replicas.replica([recipe], { workerId: 'partnerflow-1', pollMs: 50 });
  await first.engine.start();
  await replicas.close(first);
  const lines: string[] = [];
  const second = await replicas.replica([recipe], { workerId: 'partnerflow-1', pollMs: 50, log: logTo(lines, 'second') });
  const asked = performance.now();
  await second.engine.start();
  expect(performance.now() - asked).toBeLessThan(1000);
  expect(lines.filter((l) => /did not stop cleanly/.test(l))).toEqual([]);
  expect(await second.engine.metrics.registry.getSingleMetricAsString('partnerflow_unclean_start_time_seconds')).toMatch(/\} 0$/m);
}, 20_000);

it('PostgreSQL away while a replica takes its worker id: it keeps trying, takes the id once the database answers, runs the run once, and a second start under the id is refused', async () => {
  const url = await replicas.schema();
  const lines: string[] = [];
  const clock = new OffsetClock() as never;
  const relay = await startPostgresRelay(url);
  const a = await engineFixture([recipe], { store: await openPostgresStore({ url: relay.url, poolSize: 2 }), clock, workerId: 'partnerflow-1', pollMs: 50, log: logTo(lines, 'first') });
  try {
    const id = await createDueRun(a, { key: 'call-1', at: Date.now() });
    relay.mode = 'refuse';
    relay.cut();
    let started = false;
    const starting = a.engine.start().then(() => (started = true));
    await new Promise((r) => setTimeout(r, 1500));
    expect(started).toBe(false);
    expect(lines.filter((l) => l.includes('PARTNERFLOW_WORKER_ID'))).toEqual(['first: could not take PARTNERFLOW_WORKER_ID "partnerflow-1": the store failed; claiming no runs until it is taken; trying again']);

    relay.mode = 'pass';
    await starting;
    await until('the run to complete on the replica that took the id', async () => ((await a.store.getRun(id))?.status === 'completed' ? true : undefined), 10_000);

    const b = await replicas.replica([recipe], { clock, workerId: 'partnerflow-1', pollMs: 50, log: logTo(lines, 'second') });
    const refusal = await b.engine.start().then(
      () => null,
      (error: Error) => error,
    );
    expect(refusal?.message).toMatch(/^PARTNERFLOW_WORKER_ID "partnerflow-1" is in use by another running process/);
    expect(a.system.effects.map((e) => e.key)).toEqual(['call-1']);
    expect(b.system.effects).toEqual([]);
  } finally {
    relay.mode = 'pass';
    await a.close();
    await relay.close();
  }
}, 40_000);
