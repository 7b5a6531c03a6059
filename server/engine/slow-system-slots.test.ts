import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { defineAction, defineConnector } from '../../connectors/kit/define-connector.ts';
import { engineFixture, recipeWith, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { asRunId } from './ids.ts';
import { PARK_MAX_MS, SLOW_CALL_MS } from './worker-slots.ts';

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
  it('starts the runs due behind calls that go unanswered, without more intake, up to WORKER_MAX_CONCURRENCY turns, half of them on one system', async () => {
    fx = await engineFixture([recipe], { concurrency: 1, maxConcurrency: 4 });
    for (const id of ['P-1', 'P-2', 'P-3', 'P-4']) releases.push(fx.system.hold(id));
    fx.engine.start();
    const first = (await deliver('d-P-1', { id: 'P-1', hangs: true })).runIds[0]!;
    await eventually(async () => (await statusOf(first)) === 'running', 'P-1 started');
    const prm = [first, await startRun({ id: 'P-2', hangs: true }), await startRun({ id: 'P-3', hangs: true }), await startRun({ id: 'P-4', hangs: true })];
    const form = await startRun({ id: 'F-1', hangs: false });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // One slot, and it waits on the system.
    expect(await Promise.all([...prm, form].map(statusOf))).toEqual(['running', 'queued', 'queued', 'queued', 'queued']);

    // P-1's call goes unanswered: its slot starts P-2; then two turns (half of four) wait on the
    // system, and P-3 and P-4 are parked without calling it: their slots go to F-1, whose call is to
    // the same system and is parked too.
    for (let i = 0; i < 3; i++) {
      fx.clock.advance(SLOW_CALL_MS);
      fx.engine.wake();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await Promise.all([...prm, form].map(statusOf))).toEqual(['running', 'running', 'waiting', 'waiting', 'waiting']);
    expect((await fx.store.getRun(asRunId(prm[2]!)))!.parkedOn).toBe('fake');
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

  it('parks the calls to a system that has half the turns waiting on it, so runs of other systems complete; once it answers, every parked run completes exactly once', async () => {
    const sent: string[] = [];
    // Another system (as email or Marketo): answers at once.
    const mail = defineConnector({
      name: 'mail',
      description: 'a system that answers',
      config: z.object({}),
      env: {},
      connect: () => ({}),
      actions: {
        send: defineAction({
          description: 'sends one message',
          input: z.object({ to: z.string() }).strict(),
          output: z.object({ sent: z.string() }),
          idempotent: true,
          async run(input) {
            sent.push(input.to);
            return { sent: input.to };
          },
        }),
      },
    });
    const twoSystems = recipeWith([
      { id: 'call', type: 'if', condition: '{% $trigger.data.hangs = true %}', then: [{ id: 'prm', type: 'action', action: 'fake.slow', input: { key: '{% trigger.data.id %}' } }], else: [{ id: 'email', type: 'action', action: 'mail.send', input: { to: '{% trigger.data.id %}' } }] },
    ]);
    // Leases outlast the clock's jumps below (they are renewed on real time).
    fx = await engineFixture([twoSystems], { concurrency: 2, maxConcurrency: 4, connectors: [mail], leaseMs: 3_600_000 });
    const prmKeys = ['P-1', 'P-2', 'P-3', 'P-4', 'P-5', 'P-6'];
    for (const id of prmKeys) releases.push(fx.system.hold(id));
    fx.engine.start();
    // Six PRM runs are due, the oldest first; the first two go out and the PRM does not answer.
    const prm: string[] = [];
    for (const id of prmKeys) prm.push(await startRun({ id, hangs: true }));
    await eventually(async () => (await statusOf(prm[1]!)) === 'running', 'P-2 started');
    fx.clock.advance(SLOW_CALL_MS);
    fx.engine.wake();
    // The other four would fill every turn there is; they are parked instead, without being sent.
    await eventually(async () => (await Promise.all(prm.slice(2).map(statusOf))).every((s) => s === 'waiting'), 'P-3..P-6 parked');
    expect(fx.system.effects).toEqual([]);

    // Emails due meanwhile go out while the PRM hangs, on the same clock: no wait for its timeout.
    const emails = [await startRun({ id: 'E-1', hangs: false }), await startRun({ id: 'E-2', hangs: false }), await startRun({ id: 'E-3', hangs: false })];
    await eventually(async () => (await Promise.all(emails.map(statusOf))).every((s) => s === 'completed'), 'the emails went out while the PRM hangs');
    expect(sent.sort()).toEqual(['E-1', 'E-2', 'E-3']);
    expect(await Promise.all(prm.map(statusOf))).toEqual(['running', 'running', 'waiting', 'waiting', 'waiting', 'waiting']);

    // A parked run is tried again later, and parked again while the PRM still hangs: later each time, up to PARK_MAX_MS.
    const wakes: number[] = [];
    for (let i = 0; i < 8; i++) {
      const parked = (await fx.store.getRun(asRunId(prm[2]!)))!;
      wakes.push(parked.wakeAt! - fx.clock.now());
      fx.clock.set(parked.wakeAt!);
      fx.engine.wake();
      await eventually(async () => {
        const again = (await fx.store.getRun(asRunId(prm[2]!)))!;
        return again.status === 'waiting' && again.wakeAt! > parked.wakeAt!;
      }, 'P-3 parked again');
    }
    for (let i = 1; i < wakes.length; i++) expect(wakes[i]!).toBeGreaterThanOrEqual(wakes[i - 1]!);
    expect(wakes[0]!).toBeLessThanOrEqual(2 * SLOW_CALL_MS);
    expect(wakes.at(-1)!).toBe(PARK_MAX_MS);
    expect(fx.system.effects).toEqual([]);

    // The parked runs are still in the due backlog, as late as when they first became due: intake
    // is pushed back against a system that does not answer, as before.
    const metrics = await fx.engine.metrics.registry.metrics();
    expect(metrics).toMatch(/^partnerflow_due_backlog_runs\{[^}]*\} 4$/m);
    expect(metrics).toMatch(/^partnerflow_due_backlog_parked_runs\{[^}]*\} 4$/m);
    expect(Number(/^partnerflow_due_backlog_oldest_age_seconds\{[^}]*\} (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(60);
    expect(Number(/^partnerflow_turns_parked_total\{[^}]*system="fake"[^}]*\} (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(4 + 8);
    expect(metrics).toMatch(/^partnerflow_turns_waiting_on_systems\{[^}]*\} 2$/m);

    // The PRM answers: the parked runs are due at once (not after their park), and each is sent once.
    const parkedUntil = (await fx.store.getRun(asRunId(prm[5]!)))!.wakeAt!;
    for (const release of releases.splice(0)) release();
    await eventually(async () => (await Promise.all(prm.map(statusOf))).every((s) => s === 'completed'), 'every PRM run completed');
    expect(fx.clock.now()).toBeLessThan(parkedUntil);
    expect(fx.system.effects.map((e) => e.key).sort()).toEqual(prmKeys);
    expect(sent.sort()).toEqual(['E-1', 'E-2', 'E-3']);
    const after = await fx.engine.metrics.registry.metrics();
    expect(after).toMatch(/^partnerflow_due_backlog_runs\{[^}]*\} 0$/m);
    expect(after).toMatch(/^partnerflow_due_backlog_parked_runs\{[^}]*\} 0$/m);
    expect((await fx.store.getRun(asRunId(prm[2]!)))!.parkedOn).toBeNull();
  });

  const parkedTurns = async () => Number(/^partnerflow_turns_parked_total\{[^}]*system="fake"[^}]*\} (\S+)$/m.exec(await fx.engine.metrics.registry.metrics())?.[1] ?? 0);

  it('wakes as many parked runs as calls the system has room for when it answers one, oldest first: no herd of claims and re-parks per answer, and each run completes once', async () => {
    // Half of sixteen turns (eight) hang on the PRM; 24 more PRM runs due meanwhile are parked.
    fx = await engineFixture([recipe], { concurrency: 16, maxConcurrency: 16, leaseMs: 3_600_000 });
    const keys = Array.from({ length: 32 }, (_, i) => `P-${i + 1}`);
    const release = new Map(keys.map((k) => [k, fx.system.hold(k)] as const));
    releases.push(...release.values());
    fx.engine.start();
    const runs: string[] = [];
    for (const id of keys.slice(0, 8)) runs.push(await startRun({ id, hangs: true }));
    await eventually(async () => (await Promise.all(runs.map(statusOf))).every((s) => s === 'running'), 'P-1..P-8 calling');
    fx.clock.advance(SLOW_CALL_MS);
    // 24 more due at once (as after a restart, or timers falling due together): claimed eight at a
    // time, more due each time, so each is parked rather than called.
    const recipeHash = fx.engine.recipes.get('test-recipe')!.hash;
    for (const id of keys.slice(8)) {
      const now = fx.clock.now();
      const runId = asRunId(`run_herd_${id}`);
      await fx.store.createRun({ id: runId, recipe: 'test-recipe', recipeVersion: 1, recipeHash, trigger: { type: 'manual', receivedAt: now, data: { id, hangs: true } }, dedupKey: id, correlationKey: null, cancelOnEvent: null, wakeAt: now, createdAt: now });
      runs.push(runId);
      fx.clock.advance(1);
    }
    fx.engine.wake();
    await eventually(async () => (await Promise.all(runs.slice(8).map(statusOf))).every((s) => s === 'waiting'), 'P-9..P-32 parked');
    expect(fx.system.effects).toEqual([]);
    const parkedBefore = await parkedTurns();

    // The PRM answers one call at a time (the clock stands still: no park ends on its own).
    for (const [i, key] of keys.entries()) {
      release.get(key)!();
      await eventually(async () => (await statusOf(runs[i]!)) === 'completed', `${key} completed`);
    }
    expect(fx.system.effects.map((e) => e.key).sort()).toEqual([...keys].sort());
    // Next to no parked turn while it answers (before: 16 over these 32 answers, parked runs woken all
    // at once, claimed eight at a time, and all but one parked again).
    expect((await parkedTurns()) - parkedBefore).toBeLessThanOrEqual(4);
  });

  it('does not park calls to a system that is slow but answers while the worker has free turns and nothing else is due: every run completes, none parked, intake not pushed back', async () => {
    fx = await engineFixture([recipe], { concurrency: 4, maxConcurrency: 4, leaseMs: 3_600_000 });
    const keys = ['P-1', 'P-2', 'P-3'];
    const release = new Map(keys.map((k) => [k, fx.system.hold(k)] as const));
    releases.push(...release.values());
    fx.engine.start();
    const runs = [await startRun({ id: 'P-1', hangs: true }), await startRun({ id: 'P-2', hangs: true })];
    await eventually(async () => (await Promise.all(runs.map(statusOf))).every((s) => s === 'running'), 'P-1, P-2 calling');
    // Both calls are slow (half of four turns): the next PRM call finds a free turn and nothing else due.
    fx.clock.advance(SLOW_CALL_MS + 500);
    runs.push(await startRun({ id: 'P-3', hangs: true }));
    fx.engine.wake();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await statusOf(runs[2]!)).toBe('running');
    expect((await fx.store.getRun(asRunId(runs[2]!)))!.parkedOn).toBeNull();
    for (const key of keys) release.get(key)!();
    await eventually(async () => (await Promise.all(runs.map(statusOf))).every((s) => s === 'completed'), 'every run completed');
    expect(fx.system.effects.map((e) => e.key).sort()).toEqual(keys);
    expect(await parkedTurns()).toBe(0);
    const metrics = await fx.engine.metrics.registry.metrics();
    expect(metrics).toMatch(/^partnerflow_due_backlog_parked_runs\{[^}]*\} 0$/m);
    // Intake is not pushed back: a webhook is accepted.
    expect((await deliver('d-F-1', { id: 'F-1', hangs: false })).runIds).toHaveLength(1);
  });
});
