import { describe, expect, it } from 'vitest';
import { recipeWith, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { useEngineReplicas } from '../../test/support/engine-replicas.ts';
import { until } from '../../test/support/until.ts';
import { VirtualClock } from './clock.ts';
import { newRunId } from './engine.ts';
import type { RunId } from './ids.ts';

/**
 * What the replicas' wakeups cost PostgreSQL (issue 14): every replica hears every notification, so
 * claims are what to count. Three engines on three stores of one schema stand in for three replicas;
 * their safety poll is ten minutes, so only notifications (and freed slots) make them claim. Counted
 * as an operator sees it: `partnerflow_claim_queries_total` on each replica's `/metrics`.
 */
const NO_POLL = 600_000;
const recipe = recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' } }]);

const replicaSet = useEngineReplicas();

async function replicas(n: number, options: { concurrency?: number } = {}): Promise<EngineFixture[]> {
  await replicaSet.schema();
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const all: EngineFixture[] = [];
  for (let i = 0; i < n; i++) all.push(await replicaSet.replica([recipe], { clock, workerId: `replica-${i + 1}`, pollMs: NO_POLL, ...options }));
  return all;
}

/** The value of one counter in a replica's `/metrics` text. */
async function metric(fx: EngineFixture, name: string): Promise<number> {
  const text = await fx.engine.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} is not in /metrics:\n${text}`);
  return Number(line.slice(name.length + 1));
}

async function claimQueries(fx: EngineFixture): Promise<{ runs: number; empty: number }> {
  const worker = fx.engine.workerId;
  return {
    runs: await metric(fx, `partnerflow_claim_queries_total{worker="${worker}",result="runs"}`),
    empty: await metric(fx, `partnerflow_claim_queries_total{worker="${worker}",result="empty"}`),
  };
}

/**
 * Makes a replica's first claim answer `ms` late, as its start-up claim does when a commit stalls on a
 * busy machine (other tests' PostgreSQL servers, a benchmark on the same disk).
 */
function firstClaimAnswersLate(fx: EngineFixture, ms: number): void {
  const claim = fx.store.claimDueRuns.bind(fx.store);
  let first = true;
  fx.store.claimDueRuns = async (options) => {
    if (first) {
      first = false;
      await new Promise((r) => setTimeout(r, ms));
    }
    return claim(options);
  };
}

/**
 * Starts the engines and waits until their start-up claims are over (the worker id taken, the first
 * claim, the wake listener's first look once it listens), so that the counts a test takes after it
 * are the test's own: a fixed wait was too short on a busy machine.
 *
 * Every start claims once, for what was due before it (the worker loop's first round), so that claim
 * is waited for, not guessed from a quiet spell: a start-up claim answering after 300 ms of quiet (a
 * commit stalled on a busy machine) was counted as the test's, one empty claim the burst never made.
 */
async function startQuiet(all: readonly EngineFixture[]): Promise<void> {
  await Promise.all(all.map((fx) => fx.engine.start()));
  await until("every replica's start-up claim", async () => {
    const counts = await Promise.all(all.map(claimQueries));
    return counts.every((c) => c.runs + c.empty >= 1) ? true : undefined;
  }, 30_000);
  let last = JSON.stringify(await Promise.all(all.map(claimQueries)));
  for (let stable = 0, i = 0; stable < 3 && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const now = JSON.stringify(await Promise.all(all.map(claimQueries)));
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
}

/**
 * Waits until every run completed, checks that each of the K keys was recorded exactly once across the
 * replicas, and answers each replica's claim queries since `before`, and their total.
 */
async function completedOnceWithClaims(all: EngineFixture[], runIds: RunId[], K: number, before: Array<{ runs: number; empty: number }>) {
  await until('every run to complete', async () => {
    const runs = await Promise.all(runIds.map((id) => all[0]!.store.getRun(id)));
    return runs.every((r) => r?.status === 'completed') ? true : undefined;
  }, 60_000);
  const keys = all.flatMap((fx) => fx.system.effects.map((e) => e.key)).sort();
  expect(keys).toEqual(Array.from({ length: K }, (_, i) => `n${i}`).sort());
  const after = await Promise.all(all.map(claimQueries));
  const claims = after.map((a, i) => ({ runs: a.runs - before[i]!.runs, empty: a.empty - before[i]!.empty }));
  return { claims, total: claims.reduce((sum, c) => sum + c.runs + c.empty, 0) };
}

/**
 * A burst of 50 webhooks at once on one replica of 8 slots, nothing else due: every run completes once,
 * and the burst costs that replica no claim query.
 */
async function burstOnOneReplica(options: { firstClaimLateMs?: number } = {}): Promise<void> {
  const K = 50;
  const [fx] = await replicas(1, { concurrency: 8 });
  if (options.firstClaimLateMs !== undefined) firstClaimAnswersLate(fx!, options.firstClaimLateMs);
  await startQuiet([fx!]);
  const before = await claimQueries(fx!);
  const results = await Promise.all(
    Array.from({ length: K }, (_, i) => fx!.engine.deliver({ source: 'fake', deliveryId: `burst-${i}`, event: 'thing.happened', data: { id: `b${i}` } })),
  );
  const runIds = results.flatMap((r) => r.runIds);
  await until('every run to complete', async () => {
    const runs = await Promise.all(runIds.map((id) => fx!.store.getRun(id)));
    return runs.every((r) => r?.status === 'completed') ? true : undefined;
  }, 60_000);
  expect(fx!.system.effects.map((e) => e.key).sort()).toEqual(Array.from({ length: K }, (_, i) => `b${i}`).sort());
  // The replica's start-up claim has been counted by now (however late it answered): the counts below
  // hold every claim it made, so the burst's are told apart from the start's only by startQuiet.
  await until('the start-up claim to be counted', async () => {
    const c = await claimQueries(fx!);
    return c.runs + c.empty >= 1 ? true : undefined;
  }, 10_000);
  const after = await claimQueries(fx!);
  expect({ runs: after.runs - before.runs, empty: after.empty - before.empty }).toEqual({ runs: 0, empty: 0 });
}

describe('claims across replicas (PostgreSQL)', () => {
  it('a burst of 150 webhooks at once over three replicas: every run completes exactly once, in a few claims per replica (measured: 13 before, 6 after)', async () => {
    const K = 150;
    const all = await replicas(3);
    await startQuiet(all);
    const before = await Promise.all(all.map(claimQueries));
    // Webhooks arrive at all three replicas at once, as behind a load balancer.
    const results = await Promise.all(
      Array.from({ length: K }, (_, i) => all[i % 3]!.engine.deliver({ source: 'fake', deliveryId: `d-${i}`, event: 'thing.happened', data: { id: `n${i}` } })),
    );
    const runIds = results.flatMap((r) => r.runIds);
    const { claims, total } = await completedOnceWithClaims(all, runIds, K, before);
    console.log(`claim queries for ${K} runs on 3 replicas: ${JSON.stringify(claims)} (total ${total})`);
    // A few per replica, not one per run and replica: each claim takes as many runs as the replica has slots.
    expect(total).toBeLessThanOrEqual(Math.ceil(K / 8) + 3 * 3);
    for (const c of claims) expect(c.empty).toBeLessThanOrEqual(3);
  });
  it('150 webhooks one after the other over three replicas: each runs on the replica that stored it, with no claim query at all (667 before: every replica claimed on every notification)', async () => {
    const K = 150;
    const all = await replicas(3);
    await startQuiet(all);
    const before = await Promise.all(all.map(claimQueries));
    // Each webhook is answered before the next arrives: one commit, one notification each.
    const results = [];
    for (let i = 0; i < K; i++) results.push(await all[i % 3]!.engine.deliver({ source: 'fake', deliveryId: `d-${i}`, event: 'thing.happened', data: { id: `n${i}` } }));
    const runIds = results.flatMap((r) => r.runIds);
    const { claims, total } = await completedOnceWithClaims(all, runIds, K, before);
    console.log(`claim queries for ${K} runs on 3 replicas: ${JSON.stringify(claims)} (total ${total})`);
    // The replica that stored a webhook's run leased it with it and started it: nobody was notified.
    expect(total).toBeLessThanOrEqual(3 * 3);
  });
  it('a burst of 50 webhooks at once on one replica of 8 slots, nothing else due: every run starts on that replica as stored, with no claim query (before: the runs beyond the 8 free slots waited for claims)', async () => {
    await burstOnOneReplica();
  });
  it('the same burst on a replica whose start-up claim answered late (a busy machine): its start-up claim is the start\'s, and the burst still costs no claim query (it failed now and then with one empty claim: the start-up claim counted as the burst\'s)', async () => {
    await burstOnOneReplica({ firstClaimLateMs: 1_500 });
  });
  it('150 runs fall due together (their waits end): every run completes exactly once, claimed in batches, hardly a claim finding nothing (47 claims, 11 empty before; 38, 1 after)', async () => {
    const K = 150;
    const all = await replicas(3);
    await startQuiet(all);
    const clock = all[0]!.clock as VirtualClock;
    const loaded = all[0]!.engine.recipes.get('test-recipe')!;
    const at = clock.now() + 1_000;
    const runIds = await Promise.all(
      Array.from({ length: K }, async (_, i) =>
        (await all[0]!.store.createRun({
          id: newRunId(clock.now()), recipe: 'test-recipe', recipeVersion: 1, recipeHash: loaded.hash,
          trigger: { type: 'webhook', receivedAt: clock.now(), data: { id: `n${i}` } },
          dedupKey: `due-${i}`, correlationKey: null, cancelOnEvent: null, wakeAt: at, createdAt: clock.now(),
        })).id,
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    const before = await Promise.all(all.map(claimQueries));
    clock.advance(1_000);
    const { claims, total } = await completedOnceWithClaims(all, runIds, K, before);
    console.log(`claim queries for ${K} runs due together on 3 replicas: ${JSON.stringify(claims)} (total ${total})`);
    // Claims only when something may be due (news, or the last claim was full), not whenever a turn ends.
    for (const c of claims) expect(c.empty).toBeLessThanOrEqual(3);
    expect(total).toBeLessThan(K / 2);
  });
});
