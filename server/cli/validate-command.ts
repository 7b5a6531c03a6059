import type { ConnectorDefinition } from '../../connectors/kit/define-connector.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { loadTables, TableError, type Tables } from '../engine/tables.ts';
import { tableProblemsOfRecipes } from '../engine/table-keys.ts';
import { checkRecipeFiles } from '../recipes/check-recipe-files.ts';
import { findRecipeFiles, NoSuchPathError } from '../find-files.ts';
import { formatProblem } from '../recipes/recipe-problem.ts';
import type { Command } from './main.ts';
import { recipesCheckedAgainstRecipesDir } from './outside-recipes-dir.ts';

const USAGE = `Usage: partnerflow validate [paths...]

Checks recipe files (*.recipe.json, *.recipe.ts; default: every one under RECIPES_DIR, ./recipes)
without running them and without credentials:
  - the recipe schema (schemas/json/recipe.schema.json), every problem with its JSON path
  - no key written twice in one object (JSON would keep the last and ignore the first)
  - step ids unique in the recipe, nested steps included
  - trigger and cancel_on events and actions that exist in the connector pack
  - a schedule's cron (five fields, one that fires) and time zone (an IANA name)
  - action input against the action's input schema: required fields, unknown fields, literal values
  - literal names of things the runtime must have, such as email templates (EMAIL_TEMPLATES_DIR),
    also a template name an earlier set step gives ($vars) or a table column a lookup reads (every row)
  - wait_for signals that a step of the recipe sends (approval.request), and sent signals a wait_for takes
  - expressions ({% … %}) that compile and read only steps of the recipe
  - the fields trigger and cancel_on expressions read of the event (data.<field>) against the event's
    data schema, a poll trigger's against the poll action's items, and $steps.<id>.<field> against
    the action's output schema (did you mean)
  - lookup tables that exist in TABLES_DIR (./recipes/tables) and have the columns a lookup's where
    names (some row has it), every table's rows against its schema
    (all tables' problems at once), and one row per key a lookup reads a table by (its where
    columns), each day once in a timer's offsets table
Prints "✓ <file>" per valid recipe and "<file>: <path>: <message>" per problem, then a closing line.
Exit code 0 when every recipe is valid, 1 when one has problems, 2 on a path that does not exist.
A table with problems exits 1 too.`;

/**
 * Builds `partnerflow validate` over a connector pack. The shipped command imports the pack only when
 * it runs (so `--help` needs none); tests pass small fake connectors.
 */
export function createValidateCommand(connectors: () => Promise<readonly ConnectorDefinition[]>): Command {
  return {
    usage: USAGE,
    options: {},
    async run({ positionals }) {
      const definitions = await connectors();
      let config;
      try {
        config = loadConfig(process.env, { mock: true, connectors: definitions });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        console.error(error.message);
        return 1;
      }
      let files: string[];
      try {
        files = findRecipeFiles(positionals.length > 0 ? positionals : [config.recipesDir]);
      } catch (error) {
        if (!(error instanceof NoSuchPathError)) throw error;
        console.error(`partnerflow validate: ${error.message}\n\n${USAGE}`);
        return 2;
      }
      let tables: Tables;
      try {
        tables = loadTables(config.tablesDir);
      } catch (error) {
        if (!(error instanceof TableError)) throw error;
        // A broken table file is a problem of its own; the recipes cannot be checked against it. Every
        // table's problems are in the message, one a line.
        console.error(`partnerflow validate: the tables in ${config.tablesDir} (TABLES_DIR) have problems; the recipes are not checked until they load:\n${error.message}`);
        return 1;
      }
      if (files.length === 0) {
        console.error('partnerflow validate: no *.recipe.json or *.recipe.ts files found');
        console.log(summaryLine(0, 0));
        return 1;
      }

      const checks = await checkRecipeFiles(files, { catalog: new ConnectorCatalog(definitions), tables: tables.names(), tablesDir: config.tablesDir, connectorConfigs: config.connectors, tableRows: tables });
      for (const check of checks) {
        if (check.problems.length === 0) console.log(`✓ ${check.file}`);
        for (const problem of check.problems) console.log(formatProblem(problem));
      }
      // The tables as these recipes read them: one row per key of a lookup, each offset day once.
      const valid = checks.flatMap((c) => (c.definition ? [{ definition: c.definition }] : []));
      const tableProblems = tableProblemsOfRecipes(valid, tables, config.tablesDir);
      for (const problem of tableProblems) console.log(problem.message);
      const withProblems = checks.filter((c) => c.problems.length > 0).length;
      const tablesWithProblems = new Set(tableProblems.map((p) => p.table)).size;
      console.log(summaryLine(checks.length - withProblems, withProblems) + (tablesWithProblems > 0 ? `; ${tablesWithProblems} ${tablesWithProblems === 1 ? 'table' : 'tables'} with problems` : ''));
      const templatesDir = (config.connectors.email as { templatesDir?: string } | undefined)?.templatesDir;
      if (templatesDir) {
        for (const note of recipesCheckedAgainstRecipesDir(checks.filter((c) => c.problems.length > 0).map((c) => c.file), config.recipesDir, config.tablesDir, templatesDir)) console.error(note);
      }
      return withProblems === 0 && tableProblems.length === 0 ? 0 : 1;
    },
  };
}

/** `3 recipes valid, 1 with problems`. */
function summaryLine(valid: number, withProblems: number): string {
  return `${valid} ${valid === 1 ? 'recipe' : 'recipes'} valid, ${withProblems} with problems`;
}

/** `partnerflow validate [paths...]` with the shipped connector pack. */
export const validateCommand: Command = createValidateCommand(async () => (await import('../../connectors/index.ts')).CONNECTORS);
