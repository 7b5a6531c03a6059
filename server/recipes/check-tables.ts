import { existsSync } from 'node:fs';
import { z } from 'zod';
import { KNOWN_TABLES } from '../../schemas/tables.ts';
import type { Recipe } from '../../schemas/recipe.ts';
import type { ConnectorCatalog } from '../engine/connector-registry.ts';
import type { Tables } from '../engine/tables.ts';
import { displayFolder } from '../find-files.ts';
import { didYouMean } from './closest-name.ts';
import type { Finding } from './recipe-problem.ts';
import { tableReadsOf } from './tables-read.ts';
import { walkSteps } from './walk-steps.ts';

/**
 * Every `lookup` step must read a table that exists in TABLES_DIR; otherwise it would fail every run. So
 * must an action that reads a table (`tableInput`) and a poll trigger's input (`$tables.<name>`).
 * Its `where` must name columns of the table: a misspelt column matches no row, and the lookup would
 * read as "nothing" at run time without a word. The columns are the row schema's for a known table,
 * else (a table of the user's own, given `tableRows`) every column some row has: a table's rows need
 * not all have every column, so only a column no row has is refused (review 8, F7: `regoin` passed,
 * and the one-row-per-key check then read every row as the same key, undefined, with advice to delete
 * rows). A table without rows says nothing of its columns.
 */
export function checkTables(recipe: Recipe, tables: readonly string[], tablesDir?: string, tableRows?: Pick<Tables, 'rows'>, catalog?: ConnectorCatalog): Finding[] {
  const findings: Finding[] = [];
  for (const { step, path } of walkSteps(recipe)) {
    if (step.type !== 'lookup') continue;
    if (!tables.includes(step.table)) {
      findings.push({ path: [...path, 'table'], message: `unknown table "${step.table}"${didYouMean(step.table, tables) || knownTables(tables, tablesDir)}` });
      continue;
    }
    const columns = knownColumns(step.table) ?? columnsOfRows(tableRows?.rows(step.table));
    if (!columns) continue;
    if (typeof step.where !== 'object') continue;
    for (const column of Object.keys(step.where)) {
      if (columns.includes(column)) continue;
      findings.push({ path: [...path, 'where', column], message: `table ${step.table} has no column "${column}"${didYouMean(column, columns) || `; columns: ${columns.join(', ')}`}` });
    }
  }
  // A table an action or a poll's input reads (tableReadsOf; a timer's offsets table has its own check): it must exist.
  for (const read of tableReadsOf(recipe, catalog)) {
    if (read.lookup || read.path[0] === 'trigger' && read.path[1] === 'offsets' || tables.includes(read.table)) continue;
    findings.push({ path: read.path, message: `unknown table "${read.table}"${didYouMean(read.table, tables) || knownTables(tables, tablesDir)}` });
  }
  return findings;
}

/** Every column some row has, in the order the rows first name them; undefined without rows. */
export function columnsOfRows(rows: readonly Record<string, unknown>[] | undefined): string[] | undefined {
  if (!rows || rows.length === 0) return undefined;
  return [...new Set(rows.flatMap((row) => Object.keys(row)))];
}

/** The columns of a table with a known row schema (schemas/tables.ts); undefined for another table. */
export function knownColumns(table: string): string[] | undefined {
  const schema = KNOWN_TABLES[table];
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
}

/**
 * What follows "unknown table" when no name is close: the tables there are, or, when there are none,
 * the folder they were read from. No tables at all is mostly `validate` run outside the repository,
 * where the default ./recipes/tables does not exist: naming the folder and TABLES_DIR says what to fix.
 */
export function knownTables(tables: readonly string[], tablesDir?: string): string {
  if (tablesDir === undefined) return tables.length > 0 ? `; tables: ${tables.join(', ')}` : '; there are no tables';
  const shown = displayFolder(tablesDir);
  // A recipe folder of one's own reads the tables of TABLES_DIR, which may not be where the user looks.
  if (tables.length > 0) return `; the tables in ${shown} (TABLES_DIR): ${tables.join(', ')}`;
  return existsSync(tablesDir) ? `: the tables folder ${shown} (TABLES_DIR) has no tables` : `: the tables folder ${shown} (TABLES_DIR) does not exist`;
}
