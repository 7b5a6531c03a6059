import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture, recipeWith, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { asRunId } from './ids.ts';
import { SLOW_CALL_MS } from './worker-slots.ts';

/**
 * A system that does not answer holds no worker slot once its call is slow (worker-slots.ts): the
 * runs due behind it start without waiting for intake to store more runs (review 5, finding 4).
 */
let fx: EngineFixture;
const releases: Array<() => void> = [];
afterEach(async () => {
  for (const release of releases.splice(0)) release();
  await fx?.close();
});

/** A run's call goes to the system that hangs when its key is held (FakeSystem.hold), else it records at once. */
const recipe = recipeWith([
  { id: 'call', type: 'if', condition: '{% $trigger.data.hangs = true %}', then: [{ id: 'prm', type: 'action', action: 'fake.slow', input: { key: '{% trigger.data.id %}' } }], else: [{ id: 'form', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' } }] },
]);

const deliver = (id: string, data: Record<string, unknown>) => fx.engine.deliver({ source: 'fake', deliveryId: id, event: 'thing.happened', data });
const statusOf = async (runId: string) => (await fx.store.getRun(asRunId(runId)))!.status;

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A run made due without intake (as a retry falling due, or runs left from before a restart): it earns no slot. */
async function startRun(data: Record<string, unknown>): Promise<string> {
  fx.clock.advance(1);
  return (await fx.engine.startRun('test-recipe', data)).id;
}

describe('worker slots and a system that hangs', () => {
  it('starts the runs due behind calls that go unanswered, without more intake, up to WORKER_MAX_CONCURRENCY turns', async () => {
    fx = await engineFixture([recipe], { concurrency: 1, maxConcurrency: 3 });
    for (const id of ['P-1', 'P-2', 'P-3', 'P-4']) releases.push(fx.system.hold(id));
    fx.engine.start();
    const first = (await deliver('d-P-1', { id: 'P-1', hangs: true })).runIds[0]!;
    await eventually(async () => (await statusOf(first)) === 'running', 'P-1 started');
    const prm = [first, await startRun({ id: 'P-2', hangs: true }), await startRun({ id: 'P-3', hangs: true }), await startRun({ id: 'P-4', hangs: true })];
    const form = await startRun({ id: 'F-1', hangs: false });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // One slot, and it waits on the system.
    expect(await Promise.all([...prm, form].map(statusOf))).toEqual(['running', 'queued', 'queued', 'queued', 'queued']);

    // P-1's call goes unanswered: its slot starts P-2; then P-2's starts P-3. Three turns at most.
    for (let i = 0; i < 3; i++) {
      fx.clock.advance(SLOW_CALL_MS);
      fx.engine.wake();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await Promise.all([...prm, form].map(statusOf))).toEqual(['running', 'running', 'running', 'queued', 'queued']);
    expect(fx.system.effects).toEqual([]);

    // The system answers: every run completes, each call's effect once, the form's too.
    for (const release of releases.splice(0)) release();
    await eventually(async () => (await Promise.all([...prm, form].map(statusOf))).every((s) => s === 'completed'), 'every run completed');
    expect(fx.system.effects.map((e) => e.key).sort()).toEqual(['F-1', 'P-1', 'P-2', 'P-3', 'P-4']);
  });

  it('starts a run that does not call the hanging system while another waits on it', async () => {
    fx = await engineFixture([recipe], { concurrency: 1, maxConcurrency: 4 });
    releases.push(fx.system.hold('P-1'));
    fx.engine.start();
    const prm = (await deliver('d-P-1', { id: 'P-1', hangs: true })).runIds[0]!;
    await eventually(async () => (await statusOf(prm)) === 'running', 'P-1 started');
    const form = await startRun({ id: 'F-1', hangs: false });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await statusOf(form)).toBe('queued');
    fx.clock.advance(SLOW_CALL_MS);
    fx.engine.wake();
    await eventually(async () => (await statusOf(form)) === 'completed', 'the form run completed while the PRM hangs');
    expect(await statusOf(prm)).toBe('running');
    expect(fx.system.effects.map((e) => e.key)).toEqual(['F-1']);
  });
});
