import type { Row } from './tables.ts';

/**
 * Checks across the rows of the D10 and D13 tables that a row schema alone cannot make: one budget
 * per region and quarter, one row per target market, one lead per region, approval levels numbered
 * once each, with level 1 for all requests. Two rows for one key would make a lookup pick whichever
 * comes first, silently; so the start is refused, naming the file, the row and the row it repeats.
 * Returns the problem, or null.
 */
export function programmeTableProblem(tables: ReadonlyMap<string, Row[]>, origin: string): string | null {
  const unique: Array<[table: string, columns: string[]]> = [
    ['mdf-budgets', ['region', 'quarter']],
    ['target-markets', ['region', 'country']],
    ['regional-marketing-leads', ['region']],
    ['approval-levels', ['level']],
  ];
  for (const [table, columns] of unique) {
    const rows = tables.get(table);
    if (!rows) continue;
    const seen = new Map<string, number>();
    for (const [i, row] of rows.entries()) {
      const key = JSON.stringify(columns.map((c) => row[c]));
      const first = seen.get(key);
      if (first !== undefined) {
        const named = columns.map((c) => `${c} ${JSON.stringify(row[c])}`).join(', ');
        return `${origin}/${table}: rows[${i}]: repeats rows[${first}] (${named}); keep one row for it`;
      }
      seen.set(key, i);
    }
  }
  const levels = tables.get('approval-levels');
  if (levels && levels.length > 0) {
    const first = levels.findIndex((row) => row.level === 1);
    if (first < 0) return `${origin}/approval-levels: no row has level 1, the level every request passes (the CMM, applies_to "all")`;
    if (levels[first]!.applies_to !== 'all' || levels[first]!.approver !== 'cmm') {
      return `${origin}/approval-levels: rows[${first}]: level 1 is the CMM's and applies to all requests (approver "cmm", applies_to "all")`;
    }
  }
  return null;
}

/** D9 for the second level: leave rows may also name a regional marketing lead (their manager decides meanwhile). */
export function leadEmails(tables: ReadonlyMap<string, Row[]>): string[] {
  return (tables.get('regional-marketing-leads') ?? []).map((row) => String(row.lead_email).toLowerCase());
}
