import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulatedSystems, startSimulatedSystems } from '../../mocks/simulated-systems.ts';
import { loadConfig } from '../../server/config.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { ConnectorCatalog } from '../../server/engine/connector-registry.ts';
import { loadRecipes } from '../../server/recipes/load-recipes.ts';
import { createRuntime, type Runtime } from '../../server/runtime.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import { loadTables } from '../../server/engine/tables.ts';
import { CONNECTORS } from '../index.ts';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Five shared leads the partner worked in the portal on five days, in the PRM and in Marketo. */
const WORKED = ['03-05', '03-06', '03-07', '03-08', '03-09'].map((day, i) => ({
  email: `lead${i}@client.example`,
  updated: `2026-${day}T10:00:00.000Z`,
}));

async function start(recipe = 'lead-activity-from-prm', more: Array<{ email: string; updated: string | null }> = []) {
  const clock = new VirtualClock('2026-03-10T12:00:00Z');
  const systems = createSimulatedSystems({ clock });
  const leads = [...WORKED, ...more];
  systems.seed({
    prm: {
      leads: leads.map((l) => ({ email: l.email, phone: '+1 555 0100', partnerAccountId: 101, partnerSyncedDate: '2026-03-02T10:00:00Z', created: '2026-03-02T10:00:00Z', updated: l.updated, status: 'Contacted' })),
    },
    marketo: { leads: leads.map((l) => ({ email: l.email, impartnerPartnerAccount: '101', marketingSuspended: true })) },
  });
  const interceptor = startSimulatedSystems(systems);
  cleanups.push(() => interceptor.close());
  const dir = mkdtempSync(join(tmpdir(), 'lead-activity-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig({}, { mock: true, connectors: CONNECTORS, overrides: { dbPath: join(dir, 'partnerflow.db'), logLevel: 'silent' } });
  const tables = loadTables(config.tablesDir);
  const all = await loadRecipes(config.recipesDir, { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names(), connectorConfigs: config.connectors });
  // Only the poll under test; the PRM one two leads a page: five worked leads are three pages.
  const recipes = all.filter((r) => r.definition.name === recipe);
  const trigger = recipes[0]!.definition.trigger as { input: Record<string, unknown> };
  if (recipe === 'lead-activity-from-prm') trigger.input = { ...trigger.input, page_size: 2 };
  const runtimeOn = async (): Promise<Runtime> => {
    const runtime = await createRuntime({ config, log: quiet, clock, store: await openSqliteStore({ path: join(dir, 'partnerflow.db') }), recipes, tables, systems, interceptNetwork: false });
    cleanups.push(() => runtime.close().catch(() => {}));
    return runtime;
  };
  return { clock, systems, runtimeOn };
}

describe('lead activity polls (D24, D25)', () => {
  it('D24, D25: the process dies between two pages of the PRM activity poll; after the restart every worked lead has its Last Partner Activity, each from one run: nothing lost, nothing doubled', async () => {
    const { clock, systems, runtimeOn } = await start();
    const first = await runtimeOn();
    // The first page commits; the process dies while it stores the second.
    const save = first.store.savePollPage.bind(first.store);
    let pages = 0;
    first.store.savePollPage = async (input) => {
      pages += 1;
      if (pages === 2) throw new Error('process died');
      return save(input);
    };
    await first.engine.runUntilIdle();
    const cursorAfterCrash = (await first.store.listPollCursors()).find((c) => c.recipe === 'lead-activity-from-prm');
    expect(cursorAfterCrash?.watermark).toBe(WORKED[1]!.updated);
    const activity = () => Object.fromEntries(systems.marketo.leads().filter((l) => String(l.email).startsWith('lead')).map((l) => [l.email, l.lastPartnerActivity ?? null]));
    expect(activity()).toEqual({ 'lead0@client.example': WORKED[0]!.updated, 'lead1@client.example': WORKED[1]!.updated, 'lead2@client.example': null, 'lead3@client.example': null, 'lead4@client.example': null });
    await first.close();

    // Restarted on the same database: the poll carries on from the stored watermark.
    const second = await runtimeOn();
    clock.advance(15 * 60_000);
    await second.engine.runUntilIdle();
    expect(activity()).toEqual(Object.fromEntries(WORKED.map((l) => [l.email, l.updated])));
    const runs = await second.store.listRuns({ recipe: 'lead-activity-from-prm', limit: 100 });
    expect(runs.map((r) => r.status)).toEqual(Array(5).fill('completed'));
    expect(new Set(runs.map((r) => (r.trigger.data as { email: string }).email)).size).toBe(5);

    // A change the partner makes later is one more run; the runtime writing the lead again is none.
    clock.advance(60 * 60_000);
    const lead0 = systems.prm.leads().find((l) => l.email === 'lead0@client.example')!;
    systems.prm.updateLead(lead0.id as number, { status: 'Qualified' });
    const lead1 = systems.prm.leads().find((l) => l.email === 'lead1@client.example')!;
    systems.prm.updateLead(lead1.id as number, { phone: '+1 555 0199' });
    clock.advance(15 * 60_000);
    await second.engine.runUntilIdle();
    expect(await second.store.listRuns({ recipe: 'lead-activity-from-prm', limit: 100 })).toHaveLength(6);
    expect(activity()['lead0@client.example']).toBe('2026-03-10T13:15:00.000Z');
    expect(activity()['lead1@client.example']).toBe(WORKED[1]!.updated);
  });

  it('D24, D25: shared leads the PRM holds without an Updated stamp (imported), worked by the partner, get their Last Partner Activity from the first poll, once: later polls read them again and start no run, a change of their work is one more run, and they never move the watermark', async () => {
    // Three imported leads without a stamp, more than a page of two: the PRM orders them first.
    const imported = ['imported0@client.example', 'imported1@client.example', 'imported2@client.example'];
    const { clock, systems, runtimeOn } = await start('lead-activity-from-prm', imported.map((email) => ({ email, updated: null })));
    expect(systems.prm.leads().filter((l) => l.updated === null)).toHaveLength(3);
    const runtime = await runtimeOn();
    const firstPollAt = clock.now();
    await runtime.engine.runUntilIdle();
    const activity = () => Object.fromEntries(systems.marketo.leads().map((l) => [l.email, l.lastPartnerActivity ?? null]));
    const runsOf = async (email: string) => (await runtime.store.listRuns({ recipe: 'lead-activity-from-prm', limit: 100 })).filter((r) => (r.trigger.data as { email: string }).email === email);
    const seen = new Date(firstPollAt).toISOString();
    // The PRM tells no time for their work: the time of the poll that first saw it.
    expect(activity()).toEqual({ ...Object.fromEntries(WORKED.map((l) => [l.email, l.updated])), ...Object.fromEntries(imported.map((email) => [email, seen])) });
    for (const email of imported) expect((await runsOf(email)).map((r) => r.status)).toEqual(['completed']);
    // The watermark is the newest stamp read: the imported leads hold it back nowhere and move it nowhere.
    const watermark = async () => (await runtime.store.listPollCursors()).find((c) => c.recipe === 'lead-activity-from-prm')?.watermark;
    expect(await watermark()).toBe(WORKED[4]!.updated);

    // Every later poll reads them again (nothing tells when they change): no second run, no second write.
    clock.advance(15 * 60_000);
    await runtime.engine.runUntilIdle();
    clock.advance(15 * 60_000);
    await runtime.engine.runUntilIdle();
    expect(await runtime.store.listRuns({ recipe: 'lead-activity-from-prm', limit: 100 })).toHaveLength(8);
    const ranFor = async () => (await runtime.store.listRuns({ recipe: 'lead-activity-from-prm', limit: 100 })).map((r) => (r.trigger.data as { email: string }).email).sort();
    expect(await ranFor()).toEqual([...WORKED.map((l) => l.email), ...imported].sort());
    for (const email of imported) expect(activity()[email]).toBe(seen);
    expect(await watermark()).toBe(WORKED[4]!.updated);

    // Imported again with the partner's newer work, still without a stamp: one run, at the poll that sees it.
    const lead1 = systems.prm.leads().find((l) => l.email === imported[1])!;
    systems.prm.addLead({ ...lead1, status: 'Qualified', updated: null });
    clock.advance(15 * 60_000);
    const changeSeenAt = clock.now();
    await runtime.engine.runUntilIdle();
    clock.advance(15 * 60_000);
    await runtime.engine.runUntilIdle();
    expect((await runsOf(imported[1]!)).map((r) => r.status)).toEqual(['completed', 'completed']);
    expect(activity()[imported[1]!]).toBe(new Date(changeSeenAt).toISOString());
    expect(activity()[imported[0]!]).toBe(seen);
    expect(await runtime.store.listRuns({ recipe: 'lead-activity-from-prm', limit: 100 })).toHaveLength(9);
    expect(await ranFor()).toEqual([...WORKED.map((l) => l.email), ...imported, imported[1]!].sort());
  });

  it('D24, D25: the process dies between two pages of the Marketo activity poll (301 Lead Status changes, pages of 300); after the restart each change has started one run and every lead its Last Partner Activity', async () => {
    const { clock, systems, runtimeOn } = await start('lead-activity-from-marketo');
    const emails = Array.from({ length: 301 }, (_, i) => `held${i}@client.example`);
    const changedAt = '2026-03-10T11:00:00Z';
    clock.set(changedAt);
    for (const email of emails) {
      const lead = systems.marketo.addLead({ email, impartnerPartnerAccount: '101', marketingSuspended: true });
      systems.marketo.updateLead(lead.id, { leadStatus: 'Contacted' });
    }
    clock.set('2026-03-10T12:00:00Z');
    const first = await runtimeOn();
    const save = first.store.savePollPage.bind(first.store);
    let pages = 0;
    first.store.savePollPage = async (input) => {
      pages += 1;
      if (pages === 2) throw new Error('process died');
      return save(input);
    };
    await first.engine.runUntilIdle();
    const recorded = () => systems.marketo.leads().filter((l) => emails.includes(String(l.email)) && l.lastPartnerActivity === '2026-03-10T11:00:00.000Z').length;
    expect(recorded()).toBe(300);
    await first.close();

    const second = await runtimeOn();
    clock.advance(15 * 60_000);
    await second.engine.runUntilIdle();
    expect(recorded()).toBe(301);
    const runs = await second.store.listRuns({ recipe: 'lead-activity-from-marketo', limit: 1000 });
    expect(runs).toHaveLength(301);
    expect(runs.every((r) => r.status === 'completed')).toBe(true);
    // The runtime's own Last Partner Activity writes are changes of another field: no run for them.
    clock.advance(15 * 60_000);
    await second.engine.runUntilIdle();
    expect(await second.store.listRuns({ recipe: 'lead-activity-from-marketo', limit: 1000 })).toHaveLength(301);
  }, 60_000);
});
