import { CONNECTORS } from '../connectors/index.ts';
import type { ConfigError } from './config.ts';
import { ConnectorCatalog } from './engine/connector-registry.ts';
import { loadTables } from './engine/tables.ts';
import { checkConfiguredConnectors } from './recipes/check-configured-connectors.ts';
import { checkRecipeFiles } from './recipes/check-recipe-files.ts';
import { findRecipeFiles } from './find-files.ts';
import { formatProblem } from './recipes/recipe-problem.ts';

/**
 * Everything the settings stop a start for, said at once (review 9, finding 5): the configuration's
 * problems and, below them, the connectors the recipes it would serve use and that are not configured.
 * Before, the connectors came only at the next start, once the settings were fixed: an operator went
 * restart by restart. Recipes that do not load are left to that next start, which names their problems
 * with every setting in place (a check of a recipe may read a connector's settings, here missing).
 */
export async function configErrorWithUnconfiguredConnectors(error: ConfigError): Promise<string> {
  const needs = error.besides ? await unconfiguredConnectors(error.besides).catch(() => []) : [];
  if (needs.length === 0) return error.message;
  return `${error.message}\nrecipes use connectors that are not configured:\n${needs.map((line) => `  - ${line}`).join('\n')}`;
}

/** Each served recipe's first use of each connector it lacks, as the start names it (file: path uses …). */
async function unconfiguredConnectors(settings: NonNullable<ConfigError['besides']>): Promise<string[]> {
  const catalog = new ConnectorCatalog(CONNECTORS);
  const tables = loadTables(settings.tablesDir);
  const checks = await checkRecipeFiles(findRecipeFiles([settings.recipesDir]), { catalog, tables: tables.names(), tablesDir: settings.tablesDir, connectorConfigs: settings.connectors, tableRows: tables });
  return checks.flatMap((check) => (check.definition ? checkConfiguredConnectors(check.definition, check.file, catalog, settings).map(formatProblem) : []));
}
