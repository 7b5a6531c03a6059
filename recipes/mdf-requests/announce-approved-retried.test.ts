import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { createSimulatedSystems, startSimulatedSystems } from '../../mocks/simulated-systems.ts';
import { advanceTime } from '../../server/engine/advance-time.ts';
import { ConnectorCatalog } from '../../server/engine/connector-registry.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { loadTables } from '../../server/engine/tables.ts';
import { signedDelivery } from '../../server/http/webhook-signature.ts';
import { harnessConfig } from '../../server/harness/run-scenario.ts';
import { loadRecipes } from '../../server/recipes/load-recipes.ts';
import { createRuntime, type Runtime } from '../../server/runtime.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import { StoreUnavailableError } from '../../server/store/store-unavailable.ts';

/**
 * D14, D11: `mdf-request-approval#announce_approved` hands the request it approved to the claim
 * reminders' timers (runs.announce_write). Like its neighbours it has no `retry` of its own and takes the
 * engine's default (3 attempts, from 2 s): safe, because the announcement is stored under a delivery id
 * made of the request's number and the PRM's stamp of the write, so an attempt after one that got as far
 * as storing it delivers nothing twice. Here the store fails while the first attempt's delivery sets the
 * timers (after the delivery itself was stored): the step is tried again, the run completes, the
 * partner is told of the approval once and reminded once on day 2 after the end.
 */
const base = JSON.parse(readFileSync('recipes/mdf-requests/approved-by-link-claim-reminders-without-prm-echo.scenario.json', 'utf8'));
const PARTNER = 'marketing@northwind.example';

let runtime: Runtime | undefined;
let closeInterceptor: (() => void) | undefined;
afterEach(async () => {
  await runtime?.close();
  closeInterceptor?.();
  runtime = undefined;
});

describe('mdf-request-approval: announce_approved after a transient failure (D14)', () => {
  it('is tried again: the approval run completes, the request is announced once, the partner is told once and reminded once', async () => {
    const clock = new VirtualClock('2026-03-02T09:00:00Z');
    const systems = createSimulatedSystems({ clock });
    systems.seed({ prm: base.seed.prm });
    closeInterceptor = startSimulatedSystems(systems).close.bind(undefined);
    const tables = loadTables('recipes/tables');
    const config = harnessConfig();
    const recipes = await loadRecipes('recipes', { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names(), connectorConfigs: config.connectors });
    const store = await openSqliteStore({ path: ':memory:' });
    // The store fails once, as the announced Approved state of MDF-2001 is written to its timers.
    const recompute = store.recomputeBusinessTimers.bind(store);
    let failures = 0;
    store.recomputeBusinessTimers = async (input) => {
      if (input.key === 'MDF-2001' && (input.data as { status?: string }).status === 'Approved' && failures++ === 0) throw new StoreUnavailableError('connection reset');
      return recompute(input);
    };
    runtime = await createRuntime({ config, log: { debug() {}, info() {}, warn() {}, error() {} }, clock, store, recipes, tables, systems, interceptNetwork: false });
    const rt = runtime;

    const d = signedDelivery({ secret: config.webhookSecrets.prm!, deliveryId: 'submit-2001', event: 'mdf_request.submitted', data: systems.prm.findMdfRequest('MDF-2001'), timestampSeconds: Math.floor(clock.now() / 1000) });
    expect((await rt.app.request('/webhooks/prm', { method: 'POST', headers: d.headers, body: d.body })).status).toBe(202);
    await advanceTime(rt.engine, clock, 60_000);
    const link = systems.email
      .messages()
      .filter((m) => m.to.includes('cmm.emea@vendor.example'))
      .map((m) => new URL(m.text.match(/\S+\/approvals\/[A-Za-z0-9_-]+\?decision=approve/)![0]).pathname)[0]!;
    expect((await rt.app.request(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' })).status).toBe(200);
    await advanceTime(rt.engine, clock, 60_000);

    const runs = (await (await rt.app.request('/runs?recipe=mdf-request-approval')).json()) as { runs: Array<{ id: string; status: string }> };
    expect(runs.runs.map((r) => r.status)).toEqual(['completed']);
    const detail = (await (await rt.app.request(`/runs/${runs.runs[0]!.id}`)).json()) as { journal: Array<{ stepKey: string; status: string; attempts: number; output: unknown }> };
    const announce = detail.journal.find((e) => e.stepKey === 'announce_approved');
    // The second attempt found the first one's delivery stored: nothing was announced twice.
    expect(announce).toMatchObject({ status: 'completed', attempts: 2, output: { duplicate: true, run_ids: [] } });
    expect((announce!.output as { delivery_id: string }).delivery_id).toMatch(/^runtime-write:mdf_request\.changed:MDF-2001@/);

    const timers = (await (await rt.app.request('/timers')).json()) as { business_timers: Array<{ key: string; offset: number; fires_at: string }> };
    expect(timers.business_timers.map((t) => `${t.key}:${t.offset}`)).toEqual(['MDF-2001:2', 'MDF-2001:14', 'MDF-2001:28']);

    clock.advance(Date.parse('2026-04-17T09:00:00Z') - clock.now());
    await advanceTime(rt.engine, clock, 0);
    const subjects = systems.email
      .messages()
      .filter((m) => m.to.includes(PARTNER))
      .map((m) => m.subject);
    expect(subjects.filter((s) => /is approved/.test(s))).toHaveLength(1);
    expect(subjects.filter((s) => /^Reminder/.test(s))).toHaveLength(1);
  });
});
