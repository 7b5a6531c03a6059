import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { loadConfig } from '../../server/config.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import type { RateBudgetTake, Store } from '../../server/store/store.ts';
import { CONNECTORS } from '../index.ts';
import { capturingLogger, testContext, testDeps } from '../kit/action-test-context.ts';
import { marketoConnector } from './index.ts';
import type { MarketoConfig } from './marketo-config.ts';
import type { MarketoConnection } from './marketo-connection.ts';
import { marketoBudgetName } from './marketo-rate-budget.ts';

/**
 * Marketo's limits are per instance (100 calls per 20 s, 10 in flight), so replicas share one budget,
 * kept in the store. Each "replica" here is a Marketo connection with a store instance of its own on
 * one SQLite file, as separate processes would have, all calling the simulated Marketo, which answers
 * 606 beyond 100 calls in 20 s and 615 beyond 10 in flight.
 */
const clock = new VirtualClock('2026-04-20T09:00:00Z');
beforeEach(() => clock.set('2026-04-20T09:00:00Z'));
const systems = useSimulatedSystems(clock);

const dir = mkdtempSync(join(tmpdir(), 'partnerflow-marketo-budget-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
let opened: Store[] = [];
afterEach(async () => {
  for (const store of opened) await store.close();
  opened = [];
});

async function openStore(path: string): Promise<Store> {
  const store = await openSqliteStore({ path });
  opened.push(store);
  return store;
}

function connect(store: Store): MarketoConnection {
  const config = loadConfig({}, { mock: true, connectors: CONNECTORS }).connectors.marketo as MarketoConfig;
  return marketoConnector.connect(config, testDeps(clock, capturingLogger(), store)) as MarketoConnection;
}

async function upsert(connection: MarketoConnection, i: number): Promise<string[]> {
  const definition = marketoConnector.actions.upsert_leads!;
  const { ctx, notes } = testContext(connection, clock);
  const output = (await definition.run(definition.input.parse({ leads: [{ email: `lead${i}@booth.example`, lastName: 'Scan' }] }), ctx)) as { created: number };
  expect(output.created).toBe(1);
  return notes;
}

/** `callers` concurrent runs on each replica, each upserting `calls` leads one call at a time; their journal notes. */
async function load(replicas: MarketoConnection[], callers: number, calls: number): Promise<string[]> {
  const notes: string[] = [];
  await Promise.all(
    replicas.flatMap((connection, r) =>
      Array.from({ length: callers }, async (_, c) => {
        for (let i = 0; i < calls; i++) notes.push(...(await upsert(connection, (r * callers + c) * calls + i)));
      }),
    ),
  );
  return notes;
}

describe('Marketo rate budget shared by replicas (issue 14, part 5)', () => {
  it('three replicas on one store, 10 runs each, 450 calls together: no 606, no 615, every call done, waits journaled', async () => {
    const path = join(dir, `shared-${++files}.db`);
    const replicas = [connect(await openStore(path)), connect(await openStore(path)), connect(await openStore(path))];
    const notes = await load(replicas, 10, 15);
    const usage = systems.marketo.usage();
    expect(usage.refused).toEqual({ '606': 0, '607': 0, '615': 0 });
    expect(usage.callsToday).toBe(450);
    expect(usage.peakInFlight).toBeLessThanOrEqual(10);
    expect(systems.marketo.leads().filter((l) => String(l.email).endsWith('@booth.example'))).toHaveLength(450);
    // 450 calls at 100 per 20 s: the last ones waited for the window, on the virtual clock.
    expect(clock.now() - Date.parse('2026-04-20T09:00:00Z')).toBeGreaterThanOrEqual(80_000);
    expect(notes.some((line) => /^waited \d+\.\d s for marketo rate budget$/.test(line))).toBe(true);
  });

  it('the same load with a budget per process (each replica its own store) is refused by the instance: the shared store is what keeps it under', async () => {
    const replicas = [connect(await openStore(join(dir, `own-${++files}.db`))), connect(await openStore(join(dir, `own-${++files}.db`))), connect(await openStore(join(dir, `own-${++files}.db`)))];
    await load(replicas, 10, 4).catch(() => undefined);
    const usage = systems.marketo.usage();
    expect(usage.refused['615'] + usage.refused['606']).toBeGreaterThan(0);
  });

  it('a replica that died holding every slot costs the others one lease (60 s), not the budget for good', async () => {
    const path = join(dir, `crash-${++files}.db`);
    const dead = await openStore(path);
    const budget = marketoBudgetName((loadConfig({}, { mock: true, connectors: CONNECTORS }).connectors.marketo as MarketoConfig).baseUrl);
    for (let i = 0; i < 10; i++) {
      expect(await dead.takeRateBudget({ budget, maxCalls: 100, windowMs: 20_000, maxConcurrent: 10, holder: `dead~${i}`, leaseMs: 60_000, now: clock.now() })).toMatchObject({ granted: true });
    }
    // The replica is gone without freeing its slots. A live one takes from the same file.
    const live = await openStore(path);
    let refused!: () => void;
    const firstRefusal = new Promise<void>((resolve) => (refused = resolve));
    // The live replica's store, telling the test when a take was refused.
    const watched = {
      takeRateBudget: async (input: Parameters<Store['takeRateBudget']>[0]): Promise<RateBudgetTake> => {
        const answer = await live.takeRateBudget(input);
        if (!answer.granted) refused();
        return answer;
      },
      releaseRateBudget: (call: Parameters<Store['releaseRateBudget']>[0]) => live.releaseRateBudget(call),
      renewRateBudget: (input: Parameters<Store['renewRateBudget']>[0]) => live.renewRateBudget(input),
    } as Store;
    const call = upsert(connect(watched), 1);
    await firstRefusal;
    // Nothing frees the slots; once the leases run out, the call goes.
    clock.advance(60_000);
    expect(await call).toContain('waited 60.0 s for marketo rate budget');
    expect(systems.marketo.usage()).toMatchObject({ callsToday: 1, refused: { '606': 0, '615': 0 } });
  });
});
