import type { Recipe } from '../../schemas/recipe.ts';
import { columnsOfRows } from '../recipes/check-tables.ts';
import { didYouMean } from '../recipes/closest-name.ts';
import { walkSteps } from '../recipes/walk-steps.ts';
import { offsetRowsProblems } from './business-timer-times.ts';
import { isExpression } from './expression.ts';
import { NO_KEY, repeatedRows } from './repeated-rows.ts';
import { valueKey } from './same-value.ts';
import type { Tables } from './tables.ts';

/** One way the recipes read a table for one row: by these columns, some with a value written in the recipe. */
interface LookupKey {
  table: string;
  columns: string[];
  /** Columns the recipe gives a literal value: only the rows with it can match. */
  fixed: Map<string, unknown>;
  /** `step owner of recipe mdf-activity-followup`, one per lookup that reads the table so. */
  readers: string[];
}

/**
 * README "One row per key in every lookup table" (review 6), for every table a recipe reads, the
 * user's own included: a `lookup` with `where` given as column values (their values may be
 * expressions; the columns are written in the recipe) that takes one row (`mode` first) reads the
 * table by those columns, so two rows with the same values there would leave one of them read and
 * the other ignored without a word (ops appending a new owner below the old one would change
 * nothing). Such a table is refused at start, in `validate` and in `test`, naming the table, the
 * key, both rows and which to delete. A `where` written as one expression says nothing of columns
 * and is not judged (`leave` rows overlap by design); `mode: all` reads every row. A row without a
 * value (missing or null) in a column the recipe computes is never read (a value of nothing matches
 * no row) and repeats nothing; a column no row has is named as such (review 8). The offsets table
 * of a `timer` trigger is held to its own rule: whole days above zero, each day once. Returns one
 * line per problem, none when the tables are fine.
 */
export function recipeTableProblems(recipes: readonly { definition: Recipe }[], tables: Pick<Tables, 'rows'>, origin: string): string[] {
  return tableProblemsOfRecipes(recipes, tables, origin).map((p) => p.message);
}

/** A problem of recipeTableProblems with the table it is about (`validate` counts the tables with problems). */
export interface TableProblem {
  table: string;
  message: string;
}

/** recipeTableProblems, each line with its table. */
export function tableProblemsOfRecipes(recipes: readonly { definition: Recipe }[], tables: Pick<Tables, 'rows'>, origin: string): TableProblem[] {
  const keys = new Map<string, LookupKey>();
  const problems: TableProblem[] = [];
  for (const { definition: recipe } of recipes) {
    for (const { step } of walkSteps(recipe)) {
      if (step.type !== 'lookup' || typeof step.where !== 'object' || step.mode === 'all') continue;
      const where = step.where as Record<string, unknown>;
      const columns = Object.keys(where).sort();
      const fixed = new Map(columns.filter((c) => isLiteral(where[c])).map((c) => [c, where[c]]));
      const id = JSON.stringify([step.table, columns, [...fixed].map(([c, v]) => [c, valueKey(v)])]);
      const reader = `step ${step.id} of recipe ${recipe.name}`;
      const known = keys.get(id);
      if (known) {
        if (!known.readers.includes(reader)) known.readers.push(reader);
      } else keys.set(id, { table: step.table, columns, fixed, readers: [reader] });
    }
    const { trigger } = recipe;
    if (trigger.type === 'timer' && !Array.isArray(trigger.offsets)) {
      const rows = tables.rows(trigger.offsets.table);
      const { table, column } = trigger.offsets;
      if (rows) problems.push(...offsetRowsProblems(rows, table, column, recipe.name).map((message) => ({ table, message })));
    }
  }
  for (const key of keys.values()) problems.push(...repeatedKeys(key, tables.rows(key.table) ?? [], origin).map((message) => ({ table: key.table, message })));
  return problems;
}

/** A `where` value written in the recipe (a string, number, boolean or null that is no expression). */
function isLiteral(value: unknown): boolean {
  return value === null || ['number', 'boolean'].includes(typeof value) || (typeof value === 'string' && !isExpression(value));
}

function repeatedKeys(key: LookupKey, rows: readonly Record<string, unknown>[], origin: string): string[] {
  // A column no row has: every row would be "the same key" (none), and the advice to delete rows wrong
  // (review 8, F7). validate and the start refuse the recipe for it (check-tables.ts); this is for a
  // table edited under the recipes (a scenario's change_table) or recipes given in code.
  const columns = columnsOfRows(rows);
  const missing = columns ? key.columns.filter((c) => !columns.includes(c)) : [];
  if (columns && missing.length > 0) {
    const readers = `${key.readers.join(' and ')} ${key.readers.length === 1 ? 'looks' : 'look'}`;
    return missing.map(
      (c) => `${origin}/${key.table}: the table has no column "${c}"${didYouMean(c, columns) || `; columns: ${columns.join(', ')}`}; ${readers} it up by ${c}: correct the column in the recipe, or add it to the rows`,
    );
  }
  const keyOf = (row: Record<string, unknown>) => {
    if ([...key.fixed].some(([column, value]) => valueKey(row[column]) !== valueKey(value))) return NO_KEY;
    // A row without a value in a column the recipe computes is never read: a value of nothing matches
    // no row (interpreter.ts lookup), and a value never equals a missing or null cell.
    if (key.columns.some((c) => !key.fixed.has(c) && (row[c] === undefined || row[c] === null))) return NO_KEY;
    return JSON.stringify(key.columns.map((c) => valueKey(row[c])));
  };
  return repeatedRows(rows, keyOf).map(({ index: i, first }) => {
    const row = rows[i]!;
    const named = key.columns.length === 0 ? 'any row: the lookup names no column' : key.columns.map((c) => `${c} ${valueKey(row[c])}`).join(', ');
    const by = key.columns.length === 0 ? 'without a column' : `by ${key.columns.join(' and ')}`;
    const readers = `${key.readers.join(' and ')} ${key.readers.length === 1 ? 'looks' : 'look'}`;
    return `${origin}/${key.table}: rows[${i}]: repeats rows[${first}] (${named}); ${readers} the table up ${by} and reads one row per key: keep one, delete rows[${first}] if rows[${i}] replaces it (else delete rows[${i}])`;
  });
}
