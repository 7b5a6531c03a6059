import { readFileSync } from 'node:fs';
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
 * D24, D25: runs of lead-recall v15 in flight when v16 (and since, v17 and v18) is deployed finish on v15
 * (fixture fixtures/lead-recall-v15), with the current actions and templates: its reminder passes the
 * table's days_since and no ages per lead, its recall no notice_days. The shipped reminder-and-recall
 * scenarios still hold on it: the same emails, the same Recall Reminder and Recalled Dates.
 */
const here = dirname(fileURLToPath(import.meta.url));
const shipped = resolve(here, '../../recipes');

let context: ScenarioContext;
beforeAll(async () => {
  const tables = loadTables(join(shipped, 'tables'));
  const options = { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names() };
  const current = await loadRecipes(shipped, options);
  const old = await loadRecipes(join(here, 'fixtures/lead-recall-v15/recipes'), options);
  expect(old.map((r) => `${r.definition.name} v${r.definition.version}`)).toEqual(['lead-recall v15']);
  expect(current.find((r) => r.definition.name === 'lead-recall')?.definition.version).toBe(18);
  context = { recipes: [...current.filter((r) => r.definition.name !== 'lead-recall'), ...old], tables };
});

describe('lead-recall v15 in flight on the current actions and templates (D24, D25)', () => {
  for (const file of ['recall-reminder-and-recall', 'recall-reminder-day-moved-mid-flight', 'joint-booth-recall-hands-lead-to-remaining-partner']) {
    it(`${file}.scenario.json holds on v15`, async () => {
      const path = join(shipped, 'leads', `${file}.scenario.json`);
      const result = await runScenario(Scenario.parse(JSON.parse(readFileSync(path, 'utf8'))), path, { ...context, keepGoing: true });
      expect(result.failures).toEqual([]);
    });
  }
});
