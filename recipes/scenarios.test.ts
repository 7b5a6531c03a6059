import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../connectors/index.ts';
import { ConnectorCatalog } from '../server/engine/connector-registry.ts';
import { loadTables, type Tables } from '../server/engine/tables.ts';
import { runScenario, type ScenarioContext } from '../server/harness/run-scenario.ts';
import { findScenarioFiles, readScenario } from '../server/harness/scenario-files.ts';
import { loadRecipes } from '../server/recipes/load-recipes.ts';

/** Every shipped scenario file runs here too, so `npm test` covers what `partnerflow test` covers. */
const recipesDir = dirname(fileURLToPath(import.meta.url));
const files = findScenarioFiles([recipesDir]);

describe('shipped scenarios', () => {
  let context: ScenarioContext;
  beforeAll(async () => {
    const tables: Tables = loadTables(join(recipesDir, 'tables'));
    const recipes = await loadRecipes(recipesDir, { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names() });
    context = { recipes, tables };
  });

  it('exist', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it('use every field of the scenario format, so each is shown working against the shipped recipes', () => {
    const schema = JSON.parse(readFileSync(resolve(recipesDir, '../schemas/json/scenario.schema.json'), 'utf8')) as unknown;
    const fields = new Set<string>();
    const used = new Set<string>();
    const visit = (node: unknown, onKey: (key: string, value: unknown) => void): void => {
      if (Array.isArray(node)) node.forEach((item) => visit(item, onKey));
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          onKey(key, value);
          visit(value, onKey);
        }
      }
    };
    visit(schema, (key, value) => key === 'properties' && Object.keys(value as object).forEach((name) => fields.add(name)));
    // Seed records and table rows have keys of their own (camelCase fields, columns): only the format's keys count.
    for (const file of files) {
      const { seed, ...rest } = JSON.parse(readFileSync(file, 'utf8')) as { seed?: Record<string, Record<string, unknown>> };
      visit(rest, (key) => used.add(key));
      used.add('seed');
      for (const [key, value] of Object.entries(seed ?? {})) {
        used.add(key);
        if (key === 'prm') Object.keys(value).forEach((k) => used.add(k));
      }
    }
    // Fields older than this check that no shipped scenario needs yet.
    const notYetShown = ['calendar', 'path', 'source', 'salesforce'];
    expect([...fields].filter((field) => !used.has(field) && !notYetShown.includes(field))).toEqual([]);
  });

  for (const file of files) {
    const { scenario, problems } = readScenario(file);
    const title = scenario ? `${scenario.name} [${scenario.rules.join(', ')}]` : file;
    it(title, async () => {
      expect(problems).toEqual([]);
      const result = await runScenario(scenario!, file, context);
      // The failures read as expected-vs-actual sentences; an empty list is a pass.
      expect(result.failures).toEqual([]);
      // An outage of days (salesforce-down-for-days) is hundreds of retried turns: seconds, on a busy machine more.
    }, 60_000);
  }
});
