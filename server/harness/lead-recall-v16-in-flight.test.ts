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
 * D24, D25: runs of lead-recall v16 in flight when v17 (and since, v18) is deployed finish on v16 (fixture
 * fixtures/lead-recall-v16, v16 as shipped), with v17's actions and templates: its marking step
 * still takes $now() at each attempt (no reminded_at), and the lead-share table's
 * on_time_reminder_minutes is not read (its one hour is in its expression). The shipped reminder and
 * recall scenarios still hold on it: the same emails, the same Recall Reminder and Recalled Dates.
 */
const here = dirname(fileURLToPath(import.meta.url));
const shipped = resolve(here, '../../recipes');

let context: ScenarioContext;
beforeAll(async () => {
  const tables = loadTables(join(shipped, 'tables'));
  const options = { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names() };
  const current = await loadRecipes(shipped, options);
  const old = await loadRecipes(join(here, 'fixtures/lead-recall-v16/recipes'), options);
  expect(old.map((r) => `${r.definition.name} v${r.definition.version}`)).toEqual(['lead-recall v16']);
  expect(current.find((r) => r.definition.name === 'lead-recall')?.definition.version).toBe(18);
  context = { recipes: [...current.filter((r) => r.definition.name !== 'lead-recall'), ...old], tables };
});

describe('lead-recall v16 in flight on the shipped (v18) actions and templates (D24, D25)', () => {
  for (const file of ['recall-reminder-and-recall', 'recall-notice-counts-from-late-reminder', 'recall-reminder-day-moved-mid-flight', 'joint-booth-recall-hands-lead-to-remaining-partner']) {
    it(`${file}.scenario.json holds on v16`, async () => {
      const path = join(shipped, 'leads', `${file}.scenario.json`);
      const result = await runScenario(Scenario.parse(JSON.parse(readFileSync(path, 'utf8'))), path, { ...context, keepGoing: true });
      expect(result.failures).toEqual([]);
    });
  }
});
