import { Recipe } from '../../schemas/recipe.ts';
import type { ConnectorCatalog } from '../engine/connector-registry.ts';
import type { Tables } from '../engine/tables.ts';
import { checkConnectors } from './check-connectors.ts';
import { checkDataFields, checkStepOutputFields, checkStepTriggerFields } from './check-data-fields.ts';
import { checkExpressions } from './check-expressions.ts';
import { checkSignals } from './check-signals.ts';
import { checkStepIds } from './check-step-ids.ts';
import { checkTables } from './check-tables.ts';
import { checkTimerTrigger } from './check-timer-trigger.ts';
import { recipeValues } from './known-values.ts';
import { inDocumentOrder } from './document-order.ts';
import { toProblems, type Finding, type RecipeProblem } from './recipe-problem.ts';
import { describeSchemaIssues, quotedValueHint, unknownTypeHint } from './schema-issues.ts';
import { schemaKeysAt } from './schema-keys.ts';

/** What a recipe is checked against: the connector definitions and the names of the ops tables. */
export interface RecipeCheckOptions {
  catalog: ConnectorCatalog;
  tables: readonly string[];
  /**
   * The folder the tables were read from (TABLES_DIR), named when a recipe reads a table and there are none.
   * @default not named: "there are no tables"
   */
  tablesDir?: string;
  /**
   * Connector settings as the runtime that will run the recipes has them (e.g. the email templates
   * folder), for the actions' `checkInput`; `validate`, `serve` and the harness load them and pass them.
   * @default none: the input checks that need a setting (e.g. that an email template exists) are
   * skipped, so a recipe that passes without settings can still be refused where they are given
   */
  connectorConfigs?: Record<string, unknown>;
  /**
   * The tables' rows, so that a value the recipe reads from a table (an email template named in a
   * column) is checked as a literal would be, for every row its lookup can read (known-values.ts).
   * @default none: values from tables are not followed
   */
  tableRows?: Pick<Tables, 'rows'>;
}

/** Without the tables' rows, a lookup's column is not followed; `set` steps' literals still are. */
const NO_ROWS: Pick<Tables, 'rows'> = { rows: () => undefined };

/** A checked recipe: its parsed definition when it has no problems, else every problem found. */
export interface RecipeCheck {
  definition?: Recipe;
  problems: RecipeProblem[];
}

/**
 * Checks one recipe as `validate` and the runtime's start do: first the recipe schema (every issue,
 * with its path); then, on a recipe of the right shape, what the schema cannot know: unique step ids,
 * actions and events that exist, action input that fits the action (with the connector settings: email
 * templates that exist and parse, and the names each reads that its step's `data` gives, check-template.ts,
 * a template name included that the recipe takes from a table or an earlier `set` step, known-values.ts), `wait_for` signals that a step of the
 * recipe sends (and sent signals that a `wait_for` takes), expressions that compile and read
 * steps that have finished where they are evaluated, trigger and `cancel_on` expressions that read
 * fields the event's data (a poll's item) can hold, `$steps.<id>.<field>` fields an action's output can
 * hold (check-data-fields.ts), and lookup tables that exist and have the columns a lookup's `where` names.
 */
export function validateRecipe(data: unknown, file: string, options: RecipeCheckOptions): RecipeCheck {
  const parsed = Recipe.safeParse(data);
  // The deeper checks walk the recipe's structure, which only the schema vouches for.
  if (!parsed.success) return { problems: toProblems(file, describeSchemaIssues(parsed.error.issues, [], (path) => schemaKeysAt(Recipe, path, data)).map((finding) => unknownTypeHint(quotedValueHint(finding, data), data))) };
  const recipe = parsed.data;
  const findings: Finding[] = [
    ...checkStepIds(recipe),
    ...checkConnectors(recipe, options.catalog, options.connectorConfigs, recipeValues(recipe, options.tableRows ?? NO_ROWS, options.tablesDir)),
    ...checkSignals(recipe, options.catalog),
    ...checkTables(recipe, options.tables, options.tablesDir, options.tableRows, options.catalog),
    ...checkTimerTrigger(recipe, options.tables, options.tablesDir, options.tableRows),
    ...checkExpressions(recipe),
    ...checkDataFields(recipe, options.catalog),
    ...checkStepOutputFields(recipe, options.catalog, options.tableRows),
    ...checkStepTriggerFields(recipe, options.catalog),
  ];
  return findings.length > 0 ? { problems: toProblems(file, inDocumentOrder(data, findings)) } : { definition: recipe, problems: [] };
}
