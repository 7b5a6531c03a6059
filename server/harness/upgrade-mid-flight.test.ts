import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { Scenario } from '../../schemas/scenario.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { loadTables } from '../engine/tables.ts';
import { loadRecipes } from '../recipes/load-recipes.ts';
import { runScenario, type ScenarioContext } from './run-scenario.ts';

/**
 * A deploy with approval runs in flight: those runs finish on the version they started with, which
 * told the partner with `once_per` keys (`mdf-request-decided:<MDF>:<status>`,
 * `mdf-request-canceled:<MDF>`), while the decision notice and the cancellation of the new version tell
 * on change. The old version is the fixture (approval v10, fixtures/upgrade-mid-flight); the other
 * recipes are the shipped ones. Each change must still be told once (D11, D12).
 */
const here = dirname(fileURLToPath(import.meta.url));
const shipped = resolve(here, '../../recipes');
const oldApproval = join(here, 'fixtures/upgrade-mid-flight/recipes');

let context: ScenarioContext;
beforeAll(async () => {
  const tables = loadTables(join(shipped, 'tables'));
  const options = { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names() };
  const current = await loadRecipes(shipped, options);
  const old = await loadRecipes(oldApproval, options);
  expect(old.map((r) => `${r.definition.name} v${r.definition.version}`)).toEqual(['mdf-request-approval v10']);
  context = { recipes: [...current.filter((r) => r.definition.name !== 'mdf-request-approval'), ...old], tables };
});

const seed = {
  prm: {
    partners: [{ id: 101, name: 'Northwind Cloud', type: 'Channel', marketingReady: true, crmId: '0015e00000NWCLD001', contactEmail: 'partners@northwind.example', region: 'EMEA' }],
    mdf_requests: [
      {
        mdfNumber: 'MDF-1', partnerId: 101, submittedByEmail: 'marketing@northwind.example', activityRegion: 'EMEA', status: 'Open',
        activityName: 'Cloud Summit Munich', activityType: 'Event', deliveryMode: 'In Person', description: 'Half-day executive summit.',
        startDate: '2026-04-14', endDate: '2026-04-15', totalCost: 20000, targetContacts: 300, estimatedPipeline: 250000,
        partnerInvestment: 10000, amountRequested: 10000, verticalIndustry: 'Manufacturing', segment: 'Enterprise',
      },
    ],
  },
};
const partner = 'marketing@northwind.example';

async function failuresOf(name: string, steps: unknown[]): Promise<string[]> {
  const result = await runScenario(Scenario.parse({ name, seed, steps }), 'upgrade-mid-flight.scenario.json', { ...context, keepGoing: true });
  return result.failures;
}

describe('an upgrade with approval runs of the old version in flight (D11, D12)', () => {
  it('D11: the decision an old approval run told is not told again by the new decision notice on the PRM echo; later changes are told', async () => {
    const failures = await failuresOf('old approval run approves, the new notice hears the echo', [
      { deliver: { event: 'mdf_request.submitted', mdf_request: 'MDF-1' } },
      { click: { to: 'cmm.emea@vendor.example', link: 'approve', comment: 'Go ahead.' } },
      { advance: 'PT10M' },
      { expect: { emails: [{ to: partner, subject: 'is approved' }] } },
      // The PRM echoes the old run's own change (again: a redelivery).
      { deliver: { event: 'mdf_request.status_changed', mdf_request: 'MDF-1' } },
      { advance: 'PT10M' },
      { expect: { no_other_emails: true } },
      // Real changes after it are each told once: canceled, then approved again.
      { update: { mdf_request: 'MDF-1', set: { status: 'Canceled' } } },
      { advance: 'PT10M' },
      { expect: { emails: [{ to: partner, subject: 'cancel' }], no_other_emails: true } },
      { update: { mdf_request: 'MDF-1', set: { status: 'Approved' } } },
      { advance: 'PT10M' },
      { expect: { emails: [{ to: partner, subject: 'is approved' }], no_other_emails: true } },
    ]);
    expect(failures).toEqual([]);
  });

  it('D12: a cancellation an old approval run told (its event was lost) is not told again when the event arrives late', async () => {
    const failures = await failuresOf('old approval run finds the cancellation, the new cancellation recipe hears it late', [
      { deliver: { event: 'mdf_request.submitted', mdf_request: 'MDF-1' } },
      { advance: 'PT1M' },
      { update: { mdf_request: 'MDF-1', set: { status: 'Canceled' }, event: '' } },
      { click: { to: 'cmm.emea@vendor.example', link: 'approve', comment: 'Go ahead.' } },
      { advance: 'PT10M' },
      { expect: { emails: [{ to: partner, subject: 'cancel' }] } },
      { deliver: { event: 'mdf_request.status_changed', mdf_request: 'MDF-1' } },
      { advance: 'PT10M' },
      { expect: { no_other_emails: true, records: [{ system: 'prm', object: 'mdf_request', where: { mdfNumber: 'MDF-1' }, fields: { status: 'Canceled' } }] } },
    ]);
    expect(failures).toEqual([]);
  });
});
