import type { Recipe } from '../../schemas/recipe.ts';
import type { Tables } from '../engine/tables.ts';
import { didYouMean } from './closest-name.ts';
import { columnsOfRows, knownColumns, knownTables } from './check-tables.ts';
import type { Finding } from './recipe-problem.ts';

/**
 * A `timer` trigger whose offsets come from a table must name a table that exists and, for a table
 * with a known row schema, a column of it, and for a table of the user's own (given `tableRows`) a
 * column some row has, as a lookup's `where` is checked: otherwise no timer could ever be computed. (Its
 * events are checked with the other connector names, check-connectors.ts; the values in the rows at start.)
 */
export function checkTimerTrigger(recipe: Recipe, tables: readonly string[], tablesDir?: string, tableRows?: Pick<Tables, 'rows'>): Finding[] {
  const { trigger } = recipe;
  if (trigger.type !== 'timer' || Array.isArray(trigger.offsets)) return [];
  const { table, column } = trigger.offsets;
  if (!tables.includes(table)) {
    return [{ path: ['trigger', 'offsets', 'table'], message: `unknown table "${table}"${didYouMean(table, tables) || knownTables(tables, tablesDir)}` }];
  }
  // review10: a table of one's own was not checked, and its misspelt column said "rows[0].days is
  // undefined" at the end, without the recipe's file, its path or the column meant.
  const columns = knownColumns(table) ?? columnsOfRows(tableRows?.rows(table));
  if (columns && !columns.includes(column)) {
    return [{ path: ['trigger', 'offsets', 'column'], message: `table ${table} has no column "${column}"${didYouMean(column, columns) || `; columns: ${columns.join(', ')}`}` }];
  }
  return [];
}
