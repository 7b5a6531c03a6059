import { dirname, join } from 'node:path';
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

  for (const file of files) {
    const { scenario, problems } = readScenario(file);
    const title = scenario ? `${scenario.name} [${scenario.rules.join(', ')}]` : file;
    it(title, async () => {
      expect(problems).toEqual([]);
      const result = await runScenario(scenario!, file, context);
      // The failures read as expected-vs-actual sentences; an empty list is a pass.
      expect(result.failures).toEqual([]);
    });
  }
});
