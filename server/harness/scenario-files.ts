import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { CONNECTORS } from '../../connectors/index.ts';
import { formatPath } from '../../schemas/format-issues.ts';
import { displayPath, findFiles } from '../find-files.ts';
import { formatJsonFileProblem, parseJsonText } from '../json-duplicate-keys.ts';
import { Scenario } from '../../schemas/scenario.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { loadTables, TableError } from '../engine/tables.ts';
import { recipeTableProblems } from '../engine/table-keys.ts';
import { loadRecipes, RecipeLoadError } from '../recipes/load-recipes.ts';
import { harnessConfig, runScenario, type ScenarioResult } from './run-scenario.ts';
import { describeScenarioIssues } from './scenario-issues.ts';

const SCENARIO_SUFFIX = '.scenario.json';

/** Scenario files under the given files or folders (recursively), in a stable order. */
export function findScenarioFiles(paths: readonly string[]): string[] {
  return findFiles(paths, (name) => name.endsWith(SCENARIO_SUFFIX));
}

/** Reads and checks one scenario file; problems name the file and the JSON path. */
export function readScenario(file: string, shown = file): { scenario?: z.output<typeof Scenario>; problems: string[] } {
  const read = parseJsonText(readFileSync(file, 'utf8'));
  if (read.problems.length > 0) return { problems: read.problems.map((problem) => formatJsonFileProblem(shown, problem)) };
  const json = read.value;
  const parsed = Scenario.safeParse(json);
  if (!parsed.success) return { problems: describeScenarioIssues(parsed.error.issues, json).map((i) => `${shown}: ${formatPath(i.path)}: ${i.message}`) };
  return { scenario: parsed.data, problems: [] };
}

export interface ScenarioRunOptions {
  recipesDir: string;
  tablesDir: string;
  /** Folder of the email templates (EMAIL_TEMPLATES_DIR). @default `<recipesDir>/email-templates` */
  emailTemplatesDir?: string;
  /** Called after each scenario, e.g. to print progress. */
  onResult?(result: ScenarioResult): void;
  /** Run every step of a scenario after one failed, reporting each failing step (`--keep-going`). */
  keepGoing?: boolean;
}

/**
 * Loads the recipes and tables once, then runs every scenario file in turn. Throws RecipeLoadError
 * (or TableError) when they do not load, or when there is no recipe at all: every scenario would then
 * fail for one reason, which is better said once.
 */
export async function runScenarioFiles(files: string[], options: ScenarioRunOptions): Promise<ScenarioResult[]> {
  const catalog = new ConnectorCatalog(CONNECTORS);
  const tables = loadTables(options.tablesDir);
  const { connectors } = harnessConfig({ RECIPES_DIR: options.recipesDir, EMAIL_TEMPLATES_DIR: options.emailTemplatesDir });
  const recipes = await loadRecipes(options.recipesDir, { catalog, tables: tables.names(), tablesDir: options.tablesDir, connectorConfigs: connectors, tableRows: tables });
  // As the start does: one row per key a lookup reads a table by, each offset day once.
  const tableProblems = recipeTableProblems(recipes, tables, options.tablesDir);
  if (tableProblems.length > 0) throw new TableError(tableProblems.join('\n'));
  if (recipes.length === 0) {
    throw new RecipeLoadError([{ file: displayPath(options.recipesDir) || '.', path: '', message: 'no *.recipe.json or *.recipe.ts files (RECIPES_DIR), so no scenario has a recipe to run' }]);
  }
  const results: ScenarioResult[] = [];
  for (const file of files) {
    const shown = displayPath(file);
    const { scenario, problems } = readScenario(file, shown);
    const result = scenario
      ? await runScenario(scenario, shown, { recipes, tables, connectors, keepGoing: options.keepGoing ?? false })
      : { name: shown, file: shown, rules: [], failures: problems, durationMs: 0 };
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}

/** One line per scenario, failures in full, and the closing `N passed, N failed` line. */
export function formatResult(result: ScenarioResult): string {
  const rules = result.rules.length ? ` [${result.rules.join(', ')}]` : '';
  const head = `${result.failures.length ? '✗' : '✓'} ${result.name}${rules} (${Math.round(result.durationMs)} ms)`;
  if (!result.failures.length) return head;
  return `${head}\n    ${result.file}\n${result.failures.map((f) => `  ${f}`).join('\n')}`;
}

/** The closing line; `notRun` counts scenario files that failed without running (their recipes did not load). */
export function summaryLine(results: ScenarioResult[], notRun = 0): string {
  const failed = results.filter((r) => r.failures.length > 0).length + notRun;
  return `${results.length + notRun - failed} passed, ${failed} failed`;
}
