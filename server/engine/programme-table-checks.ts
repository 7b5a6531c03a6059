import { repeatedRows } from './repeated-rows.ts';
import type { Row } from './tables.ts';

/**
 * Checks across the rows of the tables that a row schema alone cannot make: one budget per region and
 * quarter, one row per target market, one lead per region, approval levels numbered once each, one
 * approver row per region (D8), one row per programme (D4, D5), a single row in lead-share (D23-D26)
 * and lead-routing (D20, D21), and exactly the levels the approval recipe reads (see
 * `approvalLevelsProblem`). Two rows for one key would make a lookup pick whichever comes first,
 * silently (ops appending a new CMM below the old one would change nothing); so the start is refused,
 * naming the file, the row and the row it repeats. A one-row table without its row is refused too. Returns every problem (none: the tables are fine).
 */
export function programmeTableProblems(tables: ReadonlyMap<string, Row[]>, origin: string): string[] {
  const problems: string[] = [];
  const unique: Array<[table: string, columns: string[]]> = [
    ['mdf-budgets', ['region', 'quarter']],
    ['target-markets', ['region', 'country']],
    ['regional-marketing-leads', ['region']],
    ['approval-levels', ['level']],
    ['approvers', ['region']],
    ['mdf-programme', ['programme']],
    // One-row tables: the recipes read them with `where: true`, so any second row repeats the first.
    ['lead-share', []],
    ['lead-routing', []],
  ];
  for (const [table, columns] of unique) {
    const rows = tables.get(table);
    if (!rows) continue;
    // A one-row table kept with its row deleted would fail every digest and recall at its lookup, days later.
    if (columns.length === 0 && rows.length === 0) problems.push(`${origin}/${table}: has no row; the recipes read its one row (every column its description names): add it`);
    for (const { index: i, first } of repeatedRows(rows, (row) => JSON.stringify(columns.map((c) => row[c])))) {
      const row = rows[i]!;
      const named = columns.length === 0 ? 'the table has one row' : columns.map((c) => `${c} ${JSON.stringify(row[c])}`).join(', ');
      problems.push(`${origin}/${table}: rows[${i}]: repeats rows[${first}] (${named}); keep one row for it`);
    }
  }
  const levels = approvalLevelsProblem(tables, origin);
  return levels ? [...problems, levels] : problems;
}

/** The levels `mdf-request-approval` reads (D10): the row each must be, as ops would write it. */
const READ_LEVELS: Record<number, { approver: string; applies_to: string; who: string }> = {
  1: { approver: 'cmm', applies_to: 'all', who: "level 1 is the CMM's and applies to all requests" },
  2: { approver: 'regional_marketing_lead', applies_to: 'flexi', who: "level 2 is the regional marketing lead's (regional-marketing-leads table) and applies to flexi requests" },
};

/**
 * D10, D13: the approval recipe reads exactly two levels: level 1, the CMM, for every request, and
 * level 2, the region's marketing lead, for flexi requests. A row that says anything else (a level 3,
 * level 2 decided by the CMM, level 2 for all requests) would be accepted and silently ignored, so ops
 * would believe a rule applies that does not: it is refused at start, naming the row and the field.
 * Level 2 must exist as soon as a request can be flexi (a target-markets table is there: a request
 * whose country it does not list is flexi); without it a flexi request would fail after the CMM's
 * approval. Supporting more levels or other approvers means changing the recipe, not the table.
 */
function approvalLevelsProblem(tables: ReadonlyMap<string, Row[]>, origin: string): string | null {
  const levels = tables.get('approval-levels');
  if (!levels || levels.length === 0) return null;
  const file = `${origin}/approval-levels`;
  const read = 'the approval recipe reads level 1 (approver "cmm", applies_to "all") and level 2 (approver "regional_marketing_lead", applies_to "flexi")';
  for (const [i, row] of levels.entries()) {
    const level = Number(row.level);
    const expected = READ_LEVELS[level];
    if (!expected) return `${file}: rows[${i}].level: ${String(row.level)} is not a level ${read}; remove the row (more levels need a change of mdf-request-approval)`;
    for (const field of ['approver', 'applies_to'] as const) {
      if (row[field] !== expected[field]) {
        return `${file}: rows[${i}].${field}: ${expected.who} (approver "${expected.approver}", applies_to "${expected.applies_to}"), not ${field} ${JSON.stringify(row[field])}; ${read}`;
      }
    }
  }
  if (!levels.some((row) => row.level === 1)) return `${file}: no row has level 1, the level every request passes (the CMM, applies_to "all")`;
  if (tables.has('target-markets') && !levels.some((row) => row.level === 2)) {
    return `${file}: no row has level 2 (approver "regional_marketing_lead", applies_to "flexi"): a request whose activity country is not a target market of its region (target-markets) is flexi and needs it (D10, D13); add the row`;
  }
  return null;
}

/** D9 for the second level: leave rows may also name a regional marketing lead (their manager decides meanwhile). */
export function leadEmails(tables: ReadonlyMap<string, Row[]>): string[] {
  return (tables.get('regional-marketing-leads') ?? []).map((row) => String(row.lead_email).toLowerCase());
}
