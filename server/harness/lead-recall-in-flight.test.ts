import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { Scenario } from '../../schemas/scenario.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { loadTables, type Tables } from '../engine/tables.ts';
import { loadRecipes } from '../recipes/load-recipes.ts';
import { runScenario, type ScenarioContext } from './run-scenario.ts';

type LoadedRecipe = ScenarioContext['recipes'][number];

/**
 * D24, D25: runs of an earlier lead-recall in flight when a later one is deployed finish on their own
 * version (fixtures/lead-recall-v<n>, each as shipped), with the actions and templates shipped now. The
 * shipped reminder and recall scenarios still hold on each: the same emails, the same Recall Reminder
 * and Recalled Dates. What each old version does differently:
 * - v15: its reminder passes the table's days_since and no ages per lead, its recall no notice_days;
 * - v16: its marking step takes $now() at each attempt (no reminded_at), and the lead-share table's
 *   on_time_reminder_minutes is not read (its one hour is in its expression);
 * - v17: it reminds a partner whose own read finds no lead left (v18 does not), on v18's actions (a PRM
 *   lead without an email read as empty, its recall in the PRM only) and templates ("in 1 day");
 * - v18: it does not read the untouched-lead-statuses table (its actions' default, New, is the shipped
 *   table's one status).
 */
const SHIPPED_VERSION = 19;
const IN_FLIGHT: Array<{ version: number; scenarios: string[] }> = [
  { version: 15, scenarios: ['recall-reminder-and-recall', 'recall-reminder-day-moved-mid-flight', 'joint-booth-recall-hands-lead-to-remaining-partner'] },
  { version: 16, scenarios: ['recall-reminder-and-recall', 'recall-notice-counts-from-late-reminder', 'recall-reminder-day-moved-mid-flight', 'joint-booth-recall-hands-lead-to-remaining-partner'] },
  { version: 17, scenarios: ['recall-reminder-and-recall', 'recall-notice-counts-from-late-reminder', 'recall-reminder-day-moved-mid-flight', 'joint-booth-recall-hands-lead-to-remaining-partner'] },
  { version: 18, scenarios: ['recall-reminder-and-recall', 'recall-notice-counts-from-late-reminder', 'recall-reminder-day-moved-mid-flight', 'joint-booth-recall-hands-lead-to-remaining-partner', 'recall-marketo-status-ten-minutes-before'] },
];

const here = dirname(fileURLToPath(import.meta.url));
const shipped = resolve(here, '../../recipes');

let tables: Tables;
let current: LoadedRecipe[];
let options: Parameters<typeof loadRecipes>[1];
beforeAll(async () => {
  tables = loadTables(join(shipped, 'tables'));
  options = { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names() };
  current = await loadRecipes(shipped, options);
  expect(current.find((r) => r.definition.name === 'lead-recall')?.definition.version).toBe(SHIPPED_VERSION);
});

for (const { version, scenarios } of IN_FLIGHT) {
  describe(`lead-recall v${version} in flight on the shipped (v${SHIPPED_VERSION}) actions and templates (D24, D25)`, () => {
    let recipes: LoadedRecipe[];
    beforeAll(async () => {
      const old = await loadRecipes(join(here, `fixtures/lead-recall-v${version}/recipes`), options);
      expect(old.map((r) => `${r.definition.name} v${r.definition.version}`)).toEqual([`lead-recall v${version}`]);
      recipes = [...current.filter((r) => r.definition.name !== 'lead-recall'), ...old];
    });
    for (const file of scenarios) {
      it(`${file}.scenario.json holds on v${version}`, async () => {
        const path = join(shipped, 'leads', `${file}.scenario.json`);
        const result = await runScenario(Scenario.parse(JSON.parse(readFileSync(path, 'utf8'))), path, { recipes, tables, keepGoing: true });
        expect(result.failures).toEqual([]);
      });
    }
  });
}
