import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture, recipeWith, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { createTestSchema, dropTestSchema } from '../../test/support/test-postgres.ts';
import { until } from '../../test/support/until.ts';
import { openPostgresStore } from '../store/postgres-store.ts';
import type { KyselyStore } from '../store/kysely-store.ts';
import { VirtualClock } from './clock.ts';
import { newRunId } from './engine.ts';

/**
 * A replica that dies mid-turn (SIGKILL) leaves its runs leased, and nobody announces the lease
 * running out. Replica A here is its store only: it claims a run and never renews nor releases the
 * lease, which is all a killed process leaves behind. Replica B is an engine whose safety poll is ten
 * minutes: only its wake timer, armed for the lease's end, can explain B taking the run over.
 */
const NO_POLL = 600_000;
const LEASE_MS = 400;
const recipe = recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' } }]);

let url: string | undefined;
let storeA: KyselyStore | undefined;
const open: EngineFixture[] = [];

afterEach(async () => {
  for (const fx of open.splice(0)) await fx.close();
  await storeA?.close();
  storeA = undefined;
  if (url) await dropTestSchema(url);
  url = undefined;
});

async function setUp(): Promise<{ a: KyselyStore; b: EngineFixture; clock: VirtualClock }> {
  url = await createTestSchema();
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const b = await engineFixture([recipe], { store: await openPostgresStore({ url, poolSize: 2 }), clock, workerId: 'replica-b', pollMs: NO_POLL });
  open.push(b);
  storeA = await openPostgresStore({ url, poolSize: 2 });
  return { a: storeA, b, clock };
}

async function createRun(fx: EngineFixture, clock: VirtualClock, id: string, wakeAt: number): Promise<string> {
  const loaded = fx.engine.recipes.get('test-recipe')!;
  const { id: runId } = await fx.store.createRun({
    id: newRunId(clock.now()), recipe: 'test-recipe', recipeVersion: 1, recipeHash: loaded.hash,
    trigger: { type: 'webhook', receivedAt: clock.now(), data: { id } },
    dedupKey: id, correlationKey: null, cancelOnEvent: null, wakeAt, createdAt: clock.now(),
  });
  return runId;
}

async function takeovers(fx: EngineFixture): Promise<number> {
  const name = `partnerflow_lease_takeovers_total{worker="${fx.engine.workerId}"} `;
  const line = (await fx.engine.metrics.registry.metrics()).split('\n').find((l) => l.startsWith(name));
  return Number(line?.slice(name.length));
}

async function completedOn(fx: EngineFixture, runId: string, key: string): Promise<void> {
  await until(`run ${runId} to complete on replica B`, async () => ((await fx.store.getRun(runId as never))?.status === 'completed' ? true : undefined), 10_000);
  expect(fx.system.effects.map((e) => e.key)).toEqual([key]);
  expect(await takeovers(fx)).toBe(1);
}

describe('a lapsed lease is taken over at its end, not at the next safety poll (issue 14)', () => {
  it('replica A claimed a run and died before B started: B reads the lease at start and takes the run over when it ends', async () => {
    const { a, b, clock } = await setUp();
    const runId = await createRun(b, clock, 'held', clock.now());
    const [claimed] = await a.claimDueRuns({ now: clock.now(), owner: 'replica-a~dead', leaseMs: LEASE_MS, limit: 1 });
    expect(claimed?.id).toBe(runId);
    b.engine.start();
    await new Promise((r) => setTimeout(r, 100));
    expect((await b.store.getRun(runId as never))?.leaseOwner).toBe('replica-a~dead');
    // The lease's end on the engine's clock; B's timer, armed for it in real milliseconds, fires then.
    clock.advance(LEASE_MS + 1);
    await completedOn(b, runId, 'held');
  });

  it('B is listening and loses the claim to A, which dies: B learns of the lease from its next read and takes the run over when it ends', async () => {
    const { a, b, clock } = await setUp();
    b.engine.start();
    await new Promise((r) => setTimeout(r, 200));
    // Due in 1.5 s: B hears of it and arms its timer; A claims it first, at its time.
    const runId = await createRun(b, clock, 'raced', clock.now() + 1_500);
    await new Promise((r) => setTimeout(r, 100));
    clock.advance(1_500);
    const [claimed] = await a.claimDueRuns({ now: clock.now(), owner: 'replica-a~dead', leaseMs: LEASE_MS, limit: 1 });
    expect(claimed?.id).toBe(runId);
    // B's timer fires, its claim finds the run leased, and it reads the lease's end.
    await new Promise((r) => setTimeout(r, 1_600));
    expect((await b.store.getRun(runId as never))?.leaseOwner).toBe('replica-a~dead');
    clock.advance(LEASE_MS + 1);
    await completedOn(b, runId, 'raced');
  });
});
