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
 * A poll that fails during a scenario (its action fails, or a key computes nothing for an item) starts
 * no run, and `serve` reports it in the log, `/metrics` and the Timers page; a scenario author reads
 * the failing expectation instead, which must say so as it says a failed run's error (review8 F6: it
 * said only "found 0; its runs: none").
 */
const fixtures = dirname(fileURLToPath(import.meta.url));
const recipesDir = join(fixtures, 'fixtures/poll-failures/recipes');

let context: ScenarioContext;
beforeAll(async () => {
  const defaults = harnessConfig().connectors;
  const connectors = { ...defaults, email: { ...(defaults.email as object), templatesDir: join(fixtures, 'fixtures/project/recipes/email-templates') } };
  const tables = loadTables(join(recipesDir, 'tables'));
  const recipes = await loadRecipes(recipesDir, { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names(), connectorConfigs: connectors });
  context = { recipes, tables, connectors };
});

const fundsRequest = (fields: Record<string, unknown>) => ({
  MDF_Number__c: 'MDF-1001',
  Title: 'Cloud Summit Munich',
  RequestedAmount: 10000,
  LastModifiedById: '005000000000001AAA',
  CreatedById: '005000000000001AAA',
  ...fields,
});

async function failuresOf(seed: Record<string, unknown>[], ...steps: unknown[]): Promise<string[]> {
  const scenario = Scenario.parse({ name: 'polls under test', clock: '2026-03-02T09:00:00Z', seed: { salesforce: { PartnerFundRequest: seed } }, steps });
  const result = await runScenario(scenario, 'under-test.scenario.json', context);
  return result.failures.flatMap((failure) => failure.split('\n'));
}

describe('a poll that fails during a scenario is named in the failing runs expectation', () => {
  it('the poll action fails (Salesforce answers 500): the failure and its time, with "its runs: none"', async () => {
    const failures = await failuresOf(
      [fundsRequest({ Status: 'Draft' })],
      { fault: { system: 'salesforce', kind: 'server_error', for: 'PT1H' } },
      { advance: 'PT6M' },
      { expect: { runs: [{ recipe: 'sf-edits', status: 'completed', count: 1 }] } },
    );
    expect(failures).toEqual([
      expect.stringMatching(/^step 3 \(expect\) at /),
      expect.stringMatching(/^ {4}expected 1 completed run\(s\) of sf-edits, found 0; its runs: none; poll of sf-edits failed 2 times in a row, the last at 2026-03-02T09:06:\d\d\.\d{3}Z: salesforce GET \/services\/data\/v61\.0\/query answered 500: /),
    ]);
  });

  it('a dedup_key that computes nothing for an item: the poll error, naming the key and the item', async () => {
    const failures = await failuresOf([fundsRequest({ Status: null })], { advance: 'PT6M' }, { expect: { runs: [{ recipe: 'sf-edits-by-status', status: 'completed', count: 1 }] } });
    expect(failures).toEqual([
      expect.stringMatching(/^step 2 \(expect\) at /),
      '    expected 1 completed run(s) of sf-edits-by-status, found 0; its runs: none; poll of sf-edits-by-status failed 2 times in a row, the last at 2026-03-02T09:06:00.000Z: recipe sf-edits-by-status: trigger.dedup_key {% data.status %} computes nothing (null) for item 1 of page 1; no run started and the watermark stays, so the items are polled again once the recipe is fixed',
    ]);
  });

  it('one failed poll: its time', async () => {
    const failures = await failuresOf(
      [fundsRequest({ Status: 'Draft' })],
      { fault: { system: 'salesforce', kind: 'server_error', for: 'PT3M' } },
      { advance: 'PT1M' },
      { expect: { runs: [{ recipe: 'sf-edits', status: 'completed', count: 1 }] } },
    );
    expect(failures.slice(1)).toEqual([expect.stringMatching(/^ {4}expected 1 completed run\(s\) of sf-edits, found 0; its runs: none; poll of sf-edits failed at 2026-03-02T09:0\d:\d\d\.\d{3}Z: salesforce GET /)]);
  });

  it('a poll that works again is not named: the expectation that holds passes', async () => {
    const failures = await failuresOf(
      [fundsRequest({ Status: 'Draft' })],
      { fault: { system: 'salesforce', kind: 'server_error', times: 1 } },
      { advance: 'PT6M' },
      { advance: 'PT6M' },
      { expect: { runs: [{ recipe: 'sf-edits', status: 'completed', count: 1 }] } },
    );
    expect(failures).toEqual([]);
  });
});
