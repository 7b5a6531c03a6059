import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { createSimulatedSystems, startSimulatedSystems } from '../../mocks/simulated-systems.ts';
import { ConnectorCatalog } from '../../server/engine/connector-registry.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { loadTables } from '../../server/engine/tables.ts';
import { signedDelivery } from '../../server/http/webhook-signature.ts';
import { harnessConfig } from '../../server/harness/run-scenario.ts';
import { ScenarioTables } from '../../server/harness/scenario-tables.ts';
import { loadRecipes } from '../../server/recipes/load-recipes.ts';
import { createRuntime } from '../../server/runtime.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';

/**
 * D13: two flexi requests of USD 6,000 each (EMEA flexi-budget USD 10,000) approved by the CMM with two
 * POSTs at once, both runs then executed in the same engine tick: exactly one reaches the marketing lead,
 * the other is refused with the numbers. Several rounds, so that the interleaving varies. The scenario
 * flexi-two-approved-in-same-second clicks one after the other; this is the concurrent case.
 */
const base = JSON.parse(readFileSync('recipes/mdf-requests/flexi-two-approved-in-same-second.scenario.json', 'utf8'));

async function round() {
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const systems = createSimulatedSystems({ clock });
  systems.seed({ prm: base.seed.prm });
  const interceptor = startSimulatedSystems(systems);
  const tablesBase = loadTables('recipes/tables');
  const tables = new ScenarioTables(tablesBase, { tables: base.seed.tables } as never);
  const config = harnessConfig();
  const recipes = await loadRecipes('recipes', { catalog: new ConnectorCatalog(CONNECTORS), tables: tablesBase.names(), connectorConfigs: config.connectors });
  const runtime = await createRuntime({ config: { ...config, workerConcurrency: 8 }, log: { debug() {}, info() {}, warn() {}, error() {} }, clock, store: await openSqliteStore({ path: ':memory:' }), recipes, tables, systems, interceptNetwork: false });
  try {
    for (const mdf of ['MDF-3001', 'MDF-3002']) {
      const d = signedDelivery({ secret: config.webhookSecrets.prm!, deliveryId: mdf, event: 'mdf_request.submitted', data: systems.prm.findMdfRequest(mdf), timestampSeconds: Math.floor(clock.now() / 1000) });
      expect((await runtime.app.request('/webhooks/prm', { method: 'POST', headers: d.headers, body: d.body })).status).toBe(202);
    }
    await runtime.engine.runUntilIdle();
    const links = systems.email
      .messages()
      .filter((m) => m.to.includes('cmm.emea@vendor.example'))
      .map((m) => new URL(m.text.match(/\S+\/approvals\/[A-Za-z0-9_-]+\?decision=approve/)![0]).pathname);
    expect(links).toHaveLength(2);
    const posted = await Promise.all(
      links.map((path) => runtime.app.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' })),
    );
    expect(posted.map((r) => r.status)).toEqual([200, 200]);
    await runtime.engine.runUntilIdle();
    const toLead = systems.email.messages().filter((m) => m.to.includes('marketing.lead.emea@vendor.example'));
    return { toLead: toLead.length, refused: systems.email.messages().filter((m) => /not approved/.test(m.subject)).length };
  } finally {
    await runtime.close();
    interceptor.close();
  }
}

describe('D13: the flexi cap under concurrent CMM approvals', () => {
  it('exactly one of two approvals posted at once reaches the lead; the partner and the CMM are told why for the other', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await round();
      expect(r.toLead).toBe(1);
      // The over-cap emails of the other request: to its partner and to the CMM.
      expect(r.refused).toBe(2);
    }
  });
});
