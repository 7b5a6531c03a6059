import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { Scenario } from '../../schemas/scenario.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { loadTables } from '../engine/tables.ts';
import { loadRecipes } from '../recipes/load-recipes.ts';
import { harnessConfig, runScenario, type ScenarioContext } from './run-scenario.ts';

/**
 * Review 8, F1: a `lookup` whose `where` value computes nothing (the PRM's webhook leaves out a field it
 * holds no value for, or the recipe misspells it) matched every row: `mode: all` emailed every region's
 * watchers, and `mode: first` returned a one-row table's row, another region's owner. A value of
 * nothing (undefined, or null from the data) matches no row. Two recipes of the fixture read the
 * request's activity region: one tells the region's owner (one row per region, required), one each of
 * the region's watchers (mode all).
 */
const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/region-lookups');
const EVERYONE = ['owner.emea@vendor.example', 'owner.apac@vendor.example', 'finance.emea@vendor.example', 'cmm.emea@vendor.example', 'finance.apac@vendor.example', 'finance.amer@vendor.example'];
const NOTHING_UNDEFINED =
  'table region-owner has no row where region is nothing: where.region {% $trigger.data.activityRegion %} computes nothing (undefined) for this run, and a value of nothing matches no row (a field the data leaves out, or a misspelt one)';

let context: ScenarioContext;
beforeAll(async () => {
  const defaults = harnessConfig().connectors;
  const connectors = { ...defaults, email: { ...(defaults.email as object), templatesDir: join(fixture, 'recipes/email-templates') } };
  const tables = loadTables(join(fixture, 'tables'));
  const recipes = await loadRecipes(join(fixture, 'recipes'), { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names(), connectorConfigs: connectors, tableRows: tables });
  context = { recipes, tables, connectors };
});

/** A new MDF request as the PRM's webhook delivers it, with `region` as its activityRegion (left out when absent). */
function request(region?: string | null): Record<string, unknown> {
  return {
    mdfNumber: 'MDF-2001',
    partnerId: 101,
    submittedByEmail: 'marketing@northwind.example',
    status: 'Open',
    activityName: 'Cloud Summit Munich',
    activityType: 'Event',
    deliveryMode: 'In Person',
    description: 'Half-day executive summit.',
    startDate: '2026-04-14',
    endDate: '2026-04-15',
    totalCost: 20000,
    targetContacts: 300,
    estimatedPipeline: 250000,
    partnerInvestment: 10000,
    amountRequested: 10000,
    verticalIndustry: 'Manufacturing',
    segment: 'Enterprise',
    id: 1,
    created: '2026-03-02T09:00:00.000Z',
    updated: '2026-03-02T09:00:00.000Z',
    ...(region !== undefined && { activityRegion: region }),
  };
}

/** The harness's failures of a scenario that delivers the request, then expects `expectation`. */
async function failuresOf(data: Record<string, unknown>, expectation: Record<string, unknown>, seed: Record<string, unknown> = {}): Promise<string[]> {
  const scenario = Scenario.parse({
    name: 'a request delivered to the region lookups',
    clock: '2026-03-02T09:00:00Z',
    seed,
    steps: [{ deliver: { event: 'mdf_request.submitted', data } }, { advance: 'PT1M' }, { expect: expectation }],
  });
  return (await runScenario(scenario, 'under-test.scenario.json', context)).failures.flatMap((failure) => failure.split('\n'));
}

describe('a lookup whose where value computes nothing matches no row (review 8, F1)', () => {
  it('a request of a region: its owner and its watchers are told, nobody else (the lookups work)', async () => {
    expect(
      await failuresOf(request('EMEA'), {
        emails: [{ to: 'owner.emea@vendor.example' }, { to: 'finance.emea@vendor.example' }, { to: 'cmm.emea@vendor.example' }],
        no_other_emails: true,
        runs: [
          { recipe: 'tell-region-owner', status: 'completed', count: 1 },
          { recipe: 'tell-region-watchers', status: 'completed', count: 1 },
        ],
      }),
    ).toEqual([]);
  });

  it('a request whose webhook leaves the region out: no watcher is emailed (mode all), and the required owner lookup fails naming the column and that it computed nothing', async () => {
    expect(
      await failuresOf(request(), {
        no_emails_to: EVERYONE,
        no_other_emails: true,
        runs: [
          { recipe: 'tell-region-watchers', status: 'completed', count: 1 },
          { recipe: 'tell-region-owner', status: 'failed', count: 1, error_contains: NOTHING_UNDEFINED },
        ],
      }),
    ).toEqual([]);
  });

  it('a region of null in the data is nothing as well: nobody is emailed, the owner lookup fails saying null', async () => {
    expect(
      await failuresOf(request(null), {
        no_emails_to: EVERYONE,
        no_other_emails: true,
        runs: [
          { recipe: 'tell-region-watchers', status: 'completed', count: 1 },
          { recipe: 'tell-region-owner', status: 'failed', count: 1, error_contains: 'where.region {% $trigger.data.activityRegion %} computes nothing (null) for this run' },
        ],
      }),
    ).toEqual([]);
  });

  it("a one-row owner table: a request without a region is not told to that row's owner (another region's)", async () => {
    expect(
      await failuresOf(
        request(),
        { no_emails_to: ['owner.apac@vendor.example'], no_other_emails: true, runs: [{ recipe: 'tell-region-owner', status: 'failed', count: 1, error_contains: NOTHING_UNDEFINED }] },
        { tables: { 'region-owner': [{ region: 'APAC', email: 'owner.apac@vendor.example' }] } },
      ),
    ).toEqual([]);
  });
});
