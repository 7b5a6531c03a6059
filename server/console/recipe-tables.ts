import { join } from 'node:path';
import { html } from 'hono/html';
import type { Recipe } from '../../schemas/recipe.ts';
import type { TableProblem } from '../engine/table-keys.ts';
import type { Tables } from '../engine/tables.ts';
import type { TableFilesCheck } from '../recipes/check-table-files.ts';
import { tablesReadBy } from '../recipes/tables-read.ts';
import { displayFolder, displayPath } from '../find-files.ts';
import type { Html } from './console-layout.ts';

/** The tables as the recipes pages show them: the ones the runs read, and the files on disk now. */
export interface TablesShown {
  /** The tables the runs read: read at start, never again (Engine.tables). */
  atStart: Pick<Tables, 'rows'>;
  /** The folder they were read from (TABLES_DIR); undefined when they were given in code. */
  dir: string | undefined;
  /** The table files as they are on disk now, checked as `validate` and a start check them; undefined when not checked. */
  onDisk?: TableFilesCheck | undefined;
}

const rows = (n: number): string => `${n} ${n === 1 ? 'row' : 'rows'}`;
/** A table's file as messages name a file: inside the working folder, relative to it. */
const fileOf = (dir: string, table: string): string => displayPath(join(dir, `${table}.json`));

/**
 * The tables a recipe reads, each with its rows and file as read at start; with the files on disk
 * checked, a table with a problem there links to its words (the tables section), and a table changed
 * there without one says the next start reads it.
 */
export function tablesRead(recipe: Recipe, t: TablesShown): Html {
  const names = tablesReadBy(recipe);
  if (names.length === 0) return html`<span class="muted">reads no table</span>`;
  return html`<ul class="tables-read">${names.map((name) => {
    const atStart = t.atStart.rows(name) ?? [];
    const problem = t.onDisk?.problems.some((p) => p.table === name);
    const now = t.onDisk?.tables?.rows(name);
    const changed = now !== undefined && JSON.stringify(now) !== JSON.stringify(atStart);
    return html`<li>${name} ${rows(atStart.length)}${t.dir === undefined ? '' : html` <span class="muted">${fileOf(t.dir, name)}</span>`}${
      problem ? html` <a class="error-words" href="#table-${name}">a problem on disk now</a>` : changed ? html` <span class="muted">changed on disk since the start: the next start reads ${rows(now.length)}</span>` : ''
    }</li>`;
  })}</ul>`;
}

/**
 * The tables section of the recipes page: the running process read its tables at start and never
 * again (an edit waits for the next start, which refuses a problem), then the files on disk now with
 * each problem in the words `validate` prints, grouped by table.
 */
export function tablesSection(t: TablesShown): Html {
  if (t.dir === undefined) return html`<h2 id="tables">Tables</h2><p class="muted">This runtime was given its tables in code; there are no table files to check.</p>`;
  const problems = t.onDisk?.problems ?? [];
  const byTable = new Map<string, TableProblem[]>();
  for (const p of problems) byTable.set(p.table, [...(byTable.get(p.table) ?? []), p]);
  // The folder's own lines (no table named) last.
  const tables = [...byTable.keys()].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)));
  const dir = t.dir;
  return html`<h2 id="tables">Tables</h2>
<p class="muted">This process read its tables once, at its start, from ${displayFolder(dir)} (TABLES_DIR), and does not start on a problem with them; its runs read those rows until the next start, so an edit of a table file changes nothing here until then. Below, the table files as they are on disk now, checked as <code>partnerflow validate</code> and a start check them: a problem shows here before a restart is refused.</p>
${
  problems.length === 0
    ? html`<p>The table files on disk have no problem.</p>`
    : html`<div role="alert"><p class="error-words">${tables.length} ${tables.length === 1 ? 'table file on disk has' : 'table files on disk have'} problems; a start would be refused:</p>
${tables.map((name) => html`<h3${name ? html` id="table-${name}"` : ''}>${name ? fileOf(dir, name) : displayFolder(dir)}</h3><ul class="problems">${byTable.get(name)!.map((p) => html`<li>${p.message}</li>`)}</ul>`)}</div>`
}`;
}
