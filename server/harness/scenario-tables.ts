import { matchesWhere } from './expectations.ts';
import { createTables, TableError, type Row, type Tables } from '../engine/tables.ts';
import { didYouMean } from '../recipes/closest-name.ts';

/**
 * A scenario's tables: the shipped ones with the seed's replacements, which ops can edit mid-scenario
 * (`change_table`). The runtime reads rows at each lookup, so a run retried after the edit sees it.
 */
export class ScenarioTables implements Tables {
  readonly #rows: Map<string, Row[]>;
  readonly calendar: Tables['calendar'];

  /** What the start would say of the tables as the recipes read them (table-keys.ts); a change_table it refuses is not made. */
  readonly #check: (tables: Pick<Tables, 'rows'>) => string[];

  constructor(shipped: Tables, seed: { tables?: Record<string, Row[]> | undefined; calendar?: unknown }, check: (tables: Pick<Tables, 'rows'>) => string[] = () => []) {
    this.#check = check;
    const rows: Record<string, Row[]> = {};
    for (const name of shipped.names()) rows[name] = [...(shipped.rows(name) ?? [])];
    // A seed table a typo away from a table of TABLES_DIR is that table misspelt: seeded under its own
    // name, no recipe read it (they read TABLES_DIR's) and the scenario failed later without a word why.
    const misspelt = Object.keys(seed.tables ?? {}).flatMap((name) => {
      const meant = rows[name] === undefined ? didYouMean(name, shipped.names()) : '';
      return meant ? [`seed.tables.${name}: there is no table "${name}" in TABLES_DIR${meant}: no recipe would read these rows`] : [];
    });
    if (misspelt.length > 0) throw new TableError(misspelt.join('\n'));
    Object.assign(rows, seed.tables ?? {});
    const checked = createTables(rows, seed.calendar ?? shipped.calendar, 'scenario seed tables');
    this.#rows = new Map(checked.names().map((name) => [name, [...checked.rows(name)!]]));
    this.calendar = checked.calendar;
  }

  rows(name: string): readonly Row[] | undefined {
    return this.#rows.get(name);
  }

  names(): string[] {
    return [...this.#rows.keys()].sort();
  }

  /**
   * Ops' edit of one table: rows added, or the rows matching `where` changed or removed. Returns what is
   * wrong with it (an unknown table, no row matching, a row the table's schema refuses); the table is
   * unchanged then.
   */
  change(edit: { table: string; add?: Row[] | undefined; where?: Row | undefined; set?: Row | undefined; remove?: boolean | undefined }): string[] {
    const current = this.#rows.get(edit.table);
    if (!current) return [`change_table: there is no table "${edit.table}"${didYouMean(edit.table, this.names())}; the tables: ${this.names().join(', ')}`];
    let next = [...current];
    if (edit.where !== undefined) {
      const where = edit.where;
      const matches = (row: Row) => matchesWhere(row, where);
      if (!next.some(matches)) return [`change_table: no row of ${edit.table} has ${JSON.stringify(where)} (${next.length} rows)`];
      next = edit.remove ? next.filter((row) => !matches(row)) : next.map((row) => (matches(row) ? { ...row, ...edit.set } : row));
    }
    next.push(...(edit.add ?? []));
    let checked: Row[];
    try {
      // The table's schema checks the rows as it checks the file; the message names the row.
      checked = [...createTables({ [edit.table]: next }, this.calendar, 'change_table').rows(edit.table)!];
    } catch (error) {
      if (error instanceof TableError) return error.message.split('\n');
      throw error;
    }
    // As a restart on the edited file would: a second row for a key a lookup reads is refused.
    const problems = this.#check({ rows: (name) => (name === edit.table ? checked : this.#rows.get(name)) });
    if (problems.length > 0) return problems;
    this.#rows.set(edit.table, checked);
    return [];
  }
}
