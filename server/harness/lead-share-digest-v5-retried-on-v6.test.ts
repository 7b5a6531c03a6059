import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { createSimulatedSystems, startSimulatedSystems, type SimulatedSystems } from '../../mocks/simulated-systems.ts';
import { advanceTime } from '../engine/advance-time.ts';
import { VirtualClock } from '../engine/clock.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { loadTables } from '../engine/tables.ts';
import { loadRecipes } from '../recipes/load-recipes.ts';
import { createRuntime, type Runtime } from '../runtime.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { harnessConfig } from './run-scenario.ts';

/**
 * D23 across the deploy of lead-share-digest v6: a digest run of version 5 failed mid-way (the email
 * provider refused one partner's digest for the 12 hours of retries, after another partner had got
 * his), then v6 was deployed (a restart on the same store), and ops retry the failed run: as the
 * version it started on (`POST /runs/<id>/retry`, what its failure email says) or as the version
 * served now (`{"recipe_version": "current"}`, the console's "Retry on v6"). Either way the partner
 * not told gets his digest once, the partner told gets no second one, and the first v6 digest the
 * next morning reads from the v5 run's slot on: each lead is in exactly one digest.
 *
 * The v5 run is the first fire in the store, so its event has no previous slot, as a v5 run started
 * by the engine before `previous_scheduled_at` existed (the engine and v6 shipped together).
 */
const here = dirname(fileURLToPath(import.meta.url));
const shipped = resolve(here, '../../recipes');
const v5 = join(here, 'fixtures/lead-share-digest-v5');
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const NORTHWIND = 'ops@northwind.example';
const CONTOSO = 'alliances@contoso.example';
const OPS = 'lead.ops@vendor.example';

const lead = (name: string, partner: number, synced: string) => ({ email: `${name}@client.example`, firstName: name, phone: '+49 30 1000', partnerAccountId: partner, partnerSyncedDate: synced, created: synced, updated: synced });

const tables = loadTables(join(shipped, 'tables'));
const options = { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names() };

async function recipes(digest: 'v5' | 'shipped') {
  const current = await loadRecipes(shipped, options);
  if (digest === 'shipped') return current;
  const old = await loadRecipes(v5, options);
  expect(old.map((r) => `${r.definition.name} v${r.definition.version}`)).toEqual(['lead-share-digest v5']);
  return [...current.filter((r) => r.definition.name !== 'lead-share-digest'), ...old];
}

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function runtimeOn(digest: 'v5' | 'shipped', dbPath: string, clock: VirtualClock, systems: SimulatedSystems): Promise<Runtime> {
  const runtime = await createRuntime({ config: harnessConfig(), log: quiet, clock, store: await openSqliteStore({ path: dbPath }), recipes: await recipes(digest), tables, systems, interceptNetwork: false });
  cleanups.push(() => runtime.close().catch(() => {}));
  return runtime;
}

/** The emails sent since the previous call, as "<to> | <subject>", with the bodies kept for checks. */
function mailReader(systems: SimulatedSystems) {
  let seen = 0;
  return () => {
    const all = systems.email.messages();
    const fresh = all.slice(seen);
    seen = all.length;
    return fresh.map((m) => ({ to: m.to.join(', '), subject: m.subject, text: m.text }));
  };
}

describe('D23: a digest of version 5 that failed mid-way, retried after the deploy of version 6', () => {
  it.each([
    ['as the version it started on (POST /runs/<id>/retry)', ''],
    ['as the version served now ({"recipe_version": "current"})', '{"recipe_version":"current"}'],
  ])('retried %s: the partner not told gets his digest once, the partner told none again, and the next v6 digest reads from the v5 slot on (each lead in one digest)', async (_how, body) => {
    const dir = mkdtempSync(join(tmpdir(), 'partnerflow-digest-v5-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const dbPath = join(dir, 'store.db');
    const clock = new VirtualClock('2026-03-02T09:00:00Z');
    const systems = createSimulatedSystems({ clock });
    systems.seed({
      prm: {
        leads: [
          // The 03-03 digest (v5: the 24 hours before 03-03 07:00 UTC).
          lead('ana', 101, '2026-03-02T10:00:00Z'),
          lead('cleo', 102, '2026-03-02T11:00:00Z'),
          // The 03-04 digest (v6: from the 03-03 slot to the 03-04 one).
          lead('dan', 101, '2026-03-03T10:00:00Z'),
          lead('eve', 102, '2026-03-03T12:00:00Z'),
        ],
      },
    });
    const interceptor = startSimulatedSystems(systems);
    cleanups.push(() => interceptor.close());
    const mail = mailReader(systems);

    // Version 5 serves. Contoso's digest is refused by the provider (500) until 21:00, longer than
    // the 12 hours of retries: the run fails after Northwind got its digest.
    const before = await runtimeOn('v5', dbPath, clock, systems);
    systems.faults.inject({ system: 'email', kind: 'server_error', to: CONTOSO, times: Number.MAX_SAFE_INTEGER, until: Date.parse('2026-03-03T21:00:00Z') });
    await advanceTime(before.engine, clock, Date.parse('2026-03-03T20:30:00Z') - clock.now());
    const [failed, ...others] = await before.store.listRuns({ recipe: 'lead-share-digest', limit: 10 });
    expect(others).toEqual([]);
    expect(failed).toMatchObject({ status: 'failed', recipeVersion: 5 });
    const v5Mail = mail();
    expect(v5Mail.map((m) => `${m.to} | ${m.subject}`).sort()).toEqual([
      `${OPS} | Lead-share digest 2026-03-03 not completed: partners may not have had their leads`,
      `${NORTHWIND} | 1 new lead shared with Northwind Cloud (2026-03-03)`,
    ]);
    expect(v5Mail.find((m) => m.to === NORTHWIND)!.text).toContain('ana@client.example');
    await before.close();

    // Version 6 is deployed: a restart on the same store, after the provider is back.
    clock.set('2026-03-03T21:30:00Z');
    const after = await runtimeOn('shipped', dbPath, clock, systems);
    // The version shipped now: 6, or a later one that keeps v6's window and send-once keys (v7 only
    // sends no digest to a partner whose leads left the window meanwhile).
    const served = after.engine.recipes.get('lead-share-digest')!.definition.version;
    expect(served).toBeGreaterThanOrEqual(6);
    const res = await after.app.request(`/runs/${failed!.id}/retry`, { method: 'POST', ...(body ? { headers: { 'content-type': 'application/json' }, body } : {}) });
    expect({ status: res.status, answer: await res.json() }).toMatchObject({ status: 200, answer: { status: 'queued', recipeVersion: body ? served : 5 } });
    await after.engine.runUntilIdle();
    expect(await after.store.getRun(failed!.id)).toMatchObject({ status: 'completed', recipeVersion: body ? served : 5 });
    const retryMail = mail();
    // Contoso gets its 03-03 digest, once; Northwind, told before the failure, nothing again.
    expect(retryMail.map((m) => `${m.to} | ${m.subject}`)).toEqual([`${CONTOSO} | 1 new lead shared with Contoso Systems (2026-03-03)`]);
    expect(retryMail[0]!.text).toContain('cleo@client.example');
    // The message is the one the v5 run's first attempt stored under its once_per key (the outbox sends
    // that message, whichever version retries), in v5's words: the same window.
    expect(retryMail[0]!.text).toContain('shared with you in the partner portal in the 24 hours before 2026-03-03 07:00 UTC');
    expect(retryMail[0]!.text).not.toContain('dan@client.example');
    expect(retryMail[0]!.text).not.toContain('eve@client.example');

    // The first digest of version 6 reads from the v5 run's slot (03-03 07:00) to its own: the leads
    // since, each once, and none of those the v5 run sent.
    await advanceTime(after.engine, clock, Date.parse('2026-03-04T09:00:00Z') - clock.now());
    const next = mail();
    expect(next.map((m) => `${m.to} | ${m.subject}`).sort()).toEqual([
      `${CONTOSO} | 1 new lead shared with Contoso Systems (2026-03-04)`,
      `${NORTHWIND} | 1 new lead shared with Northwind Cloud (2026-03-04)`,
    ]);
    expect(next.find((m) => m.to === NORTHWIND)!.text).toContain('dan@client.example');
    expect(next.find((m) => m.to === CONTOSO)!.text).toContain('eve@client.example');
    for (const m of next) {
      expect(m.text).toContain('between 2026-03-03 07:00 and 2026-03-04 07:00 UTC');
      expect(m.text).not.toMatch(/ana@|cleo@/);
    }
    expect((await after.store.listRuns({ recipe: 'lead-share-digest', limit: 10 })).map((r) => r.status).sort()).toEqual(['completed', 'completed']);
  }, 120_000);
});
