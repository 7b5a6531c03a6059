import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { checkMdfRequestAction } from '../../connectors/mdf/check-mdf-request.ts';
import { Recipe } from '../../schemas/recipe.ts';
import { Scenario } from '../../schemas/scenario.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { loadTables } from '../engine/tables.ts';
import { loadRecipes } from '../recipes/load-recipes.ts';
import { runScenario, type ScenarioContext } from './run-scenario.ts';

/**
 * A request routed for approval before amounts were compared exactly (b81beee), with USD 1,000.005: its
 * fraction of a cent passed the intake check then, and is a D6 problem at intake since. Its run waits
 * for the approver's click over the deploy; the decision re-checks the request, and must compare it
 * with what the approver was shown: unchanged, it is decided as the approver chose, never refused as
 * "changed after you were asked". The runs in flight stand on the approval version they started with
 * (v27, the fixture), which passes the check nothing about what was shown; the current version does.
 *
 * The code before b81beee is simulated for the intake check only: that call drops the fraction-of-a-cent
 * problem it did not know; every later check is today's.
 */
const here = dirname(fileURLToPath(import.meta.url));
const shipped = resolve(here, '../../recipes');
/** mdf-request-approval v27 as shipped (5e46987); it starts runs of the shipped mdf-request-salesforce-sync. */
const routedBefore = join(here, 'fixtures/routed-before-exact-money/recipes/mdf-request-approval.recipe.json');

let current: ScenarioContext;
let v27: ScenarioContext;
beforeAll(async () => {
  const tables = loadTables(join(shipped, 'tables'));
  const options = { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names() };
  const recipes = await loadRecipes(shipped, options);
  const old = [{ definition: Recipe.parse(JSON.parse(readFileSync(routedBefore, 'utf8'))), file: routedBefore }];
  expect(old.map((r) => `${r.definition.name} v${r.definition.version}`)).toEqual(['mdf-request-approval v27']);
  current = { recipes, tables };
  v27 = { recipes: [...recipes.filter((r) => r.definition.name !== 'mdf-request-approval'), ...old], tables };
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The intake check as it was before b81beee: no D6 problem for a fraction of a cent in the amount. */
function intakeCheckBeforeExactMoney(): void {
  const today = checkMdfRequestAction.run.bind(checkMdfRequestAction);
  vi.spyOn(checkMdfRequestAction, 'run').mockImplementationOnce(async (input, ctx) => {
    const answer = (await today(input, ctx)) as { problems: Array<{ rule: string; field: string | null; message: string }> };
    const problems = answer.problems.filter((p) => !(p.rule === 'D6' && p.field === 'amountRequested' && p.message.includes('fraction of a cent')));
    return { ok: problems.length === 0, problems, rules_broken: [...new Set(problems.map((p) => p.rule))] };
  });
}

const request = {
  mdfNumber: 'MDF-1', partnerId: 101, submittedByEmail: 'marketing@northwind.example', activityRegion: 'EMEA', status: 'Open', activityCountry: 'DE',
  activityName: 'Cloud Summit Munich', activityType: 'Event', deliveryMode: 'In Person', description: 'Half-day executive summit.',
  startDate: '2026-04-14', endDate: '2026-04-15', totalCost: 2500, targetContacts: 300, estimatedPipeline: 250000,
  partnerInvestment: 1499.995, amountRequested: 1000.005, verticalIndustry: 'Manufacturing', segment: 'Enterprise',
};
const seed = {
  prm: {
    partners: [{ id: 101, name: 'Northwind Cloud', type: 'Channel', marketingReady: true, crmId: '0015e00000NWCLD001', contactEmail: 'partners@northwind.example', region: 'EMEA' }],
    mdf_requests: [request],
  },
};
const partner = 'marketing@northwind.example';
const cmm = 'cmm.emea@vendor.example';

async function failuresOf(context: ScenarioContext, name: string, steps: unknown[]): Promise<string[]> {
  intakeCheckBeforeExactMoney();
  const result = await runScenario(Scenario.parse({ name, seed, steps }), 'routed-before-exact-money.scenario.json', { ...context, keepGoing: true });
  return result.failures;
}

const routed = [
  { deliver: { event: 'mdf_request.submitted', mdf_request: 'MDF-1' } },
  { advance: 'PT1M' },
  { expect: { emails: [{ to: partner, subject: 'received' }, { to: cmm, subject: 'MDF-1', body_contains: 'USD 1,000.005' }], no_other_emails: true } },
  { advance: 'P1D' },
];

describe.each([
  ['v27, the version runs in flight at the deploy stand on', () => v27],
  ['the current version', () => current],
])('D6, D10, D11: a request with a fraction of a cent routed before amounts were compared exactly, decided after (%s)', (_, context) => {
  it('unchanged and approved: Approved as shown, the partner told it is approved, nobody told it changed', async () => {
    const failures = await failuresOf(context(), 'routed with USD 1,000.005, approved unchanged', [
      ...routed,
      { click: { to: cmm, link: 'approve', comment: 'Go ahead.' } },
      { advance: 'PT10M' },
      {
        expect: {
          emails: [{ to: partner, subject: 'is approved' }],
          no_other_emails: true,
          records: [{ system: 'prm', object: 'mdf_request', where: { mdfNumber: 'MDF-1' }, fields: { status: 'Approved', amountRequested: 1000.005 } }],
        },
      },
    ]);
    expect(failures).toEqual([]);
  });

  it('unchanged and denied: Denied as the approver chose, not for the fraction of a cent', async () => {
    const failures = await failuresOf(context(), 'routed with USD 1,000.005, denied unchanged', [
      ...routed,
      { click: { to: cmm, link: 'deny', comment: 'Not this quarter.' } },
      { advance: 'PT10M' },
      {
        expect: {
          emails: [{ to: partner, subject: 'was not approved', body_contains: 'Not this quarter.' }],
          no_other_emails: true,
          records: [{ system: 'prm', object: 'mdf_request', where: { mdfNumber: 'MDF-1' }, fields: { status: 'Denied' } }],
        },
      },
    ]);
    expect(failures).toEqual([]);
  });

  it('its dates moved meanwhile, the amount shown unchanged: the fraction of a cent was accepted when routed, so the approval holds', async () => {
    const failures = await failuresOf(context(), 'routed with USD 1,000.005, dates moved, approved', [
      ...routed,
      { update: { mdf_request: 'MDF-1', set: { startDate: '2026-04-21', endDate: '2026-04-22' }, event: '' } },
      { click: { to: cmm, link: 'approve', comment: 'Go ahead.' } },
      { advance: 'PT10M' },
      {
        expect: {
          emails: [{ to: partner, subject: 'is approved' }],
          no_other_emails: true,
          records: [{ system: 'prm', object: 'mdf_request', where: { mdfNumber: 'MDF-1' }, fields: { status: 'Approved' } }],
        },
      },
    ]);
    expect(failures).toEqual([]);
  });
});
