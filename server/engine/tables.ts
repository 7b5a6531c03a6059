import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { BusinessCalendar, DEFAULT_CALENDAR } from './business-calendar.ts';
import { KNOWN_TABLES, TableFile } from '../../schemas/tables.ts';
import type { z } from 'zod';
import { formatIssues, formatPath } from '../../schemas/format-issues.ts';
import { didYouMean } from '../recipes/closest-name.ts';
import { formatJsonFileProblem, parseJsonText } from '../json-duplicate-keys.ts';
import { leadEmails, programmeTableProblems } from './programme-table-checks.ts';
import { repeatedRows } from './repeated-rows.ts';

export type Row = Record<string, unknown>;

/** The ops-maintained tables a recipe's `lookup` steps read, and the business calendar. */
export interface Tables {
  rows(name: string): readonly Row[] | undefined;
  names(): string[];
  readonly calendar: BusinessCalendar;
}

/** A table file that failed its schema; the message names the file and the JSON path. */
export class TableError extends Error {
  override name = 'TableError';
}

/**
 * Builds tables from rows in memory (scenarios seed them this way), checking the known schemas. Every
 * problem of every table is reported at once (review 6: ops fixing three mistakes in three runs), one
 * line each, in one TableError; a table whose rows fail their schema is left out of the checks across
 * tables, which would only repeat its mistake.
 */
export function createTables(tables: Record<string, Row[]>, calendar: unknown = DEFAULT_CALENDAR, origin = 'tables', earlier: readonly string[] = []): Tables {
  const problems = [...earlier];
  const checked = new Map<string, Row[]>();
  for (const [name, rows] of Object.entries(tables)) {
    const schema = KNOWN_TABLES[name];
    const before = problems.length;
    const parsed = rows.map((row, i) => {
      if (!schema) return row;
      const result = schema.safeParse(row);
      if (!result.success) problems.push(...rowIssues(result.error.issues, row, i).map((issue) => `${origin}/${name}: ${issue}`));
      return result.data as Row;
    });
    if (problems.length === before) checked.set(name, parsed);
  }
  for (const check of [checkLeaveNamesApprovers, checkReminderDaysOnce, checkLeadShareDays, checkDigestSettle, checkOnTimeReminder]) problems.push(...check(checked, origin));
  problems.push(...programmeTableProblems(checked, origin));
  const parsedCalendar = BusinessCalendar.safeParse(calendar);
  if (!parsedCalendar.success) problems.push(`${origin}/business-calendar: ${formatIssues(parsedCalendar.error.issues)}`);
  if (problems.length > 0) throw new TableError(problems.join('\n'));
  return {
    rows: (name) => checked.get(name),
    names: () => [...checked.keys()].sort(),
    calendar: parsedCalendar.data!,
  };
}

/**
 * A row's schema issues as ops read them: the path, the value given (quoted, so a trailing space
 * shows, and said) and what to write. A number given as text says to write it without quotes or
 * separators, with the number it would be (`"250,000"`: 250000).
 */
function rowIssues(issues: readonly z.core.$ZodIssue[], row: Row, index: number): string[] {
  return issues.map((issue) => {
    const path = formatPath(['rows', index, ...issue.path]);
    const value = issue.path.length === 1 ? row[issue.path[0] as string] : undefined;
    if (value === undefined || (typeof value === 'object' && value !== null)) return `${path}: ${issue.message}`;
    if (issue.code === 'invalid_type' && issue.expected === 'number' && typeof value === 'string') {
      const number = Number(value.replace(/[\s,_']/g, ''));
      return `${path}: ${JSON.stringify(value)}: a number written without quotes or separators, e.g. ${value.trim() !== '' && Number.isFinite(number) ? number : 1000}`;
    }
    return `${path}: ${JSON.stringify(value)}${spacesOf(value)}: ${issue.message}`;
  });
}

/** ` (it has a trailing space)` for `"LATAM "`: a value that looks right but for spaces. */
function spacesOf(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.trim() === value) return '';
  const leading = /^\s/.test(value);
  const trailing = /\s$/.test(value);
  return ` (it has ${leading && trailing ? 'a leading and a trailing space' : leading ? 'a leading space' : 'a trailing space'})`;
}

/** Loads `<dir>/*.json` (rows files) and `<dir>/business-calendar.json`, reporting the problems of every file at once. */
export function loadTables(dir: string): Tables {
  const tables: Record<string, Row[]> = {};
  const problems: string[] = [];
  let calendar: unknown = DEFAULT_CALENDAR;
  if (!existsSync(dir)) return createTables({}, calendar, dir);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const path = join(dir, file);
    // A number ops changed by adding the key again below the old one would be read, or not, by position: refused.
    const read = parseJsonText(readFileSync(path, 'utf8'));
    if (read.problems.length > 0) {
      problems.push(...read.problems.map((problem) => formatJsonFileProblem(path, problem)));
      continue;
    }
    const json = read.value;
    const name = basename(file, '.json');
    if (name === 'business-calendar') {
      calendar = json;
      continue;
    }
    const parsed = TableFile.safeParse(json);
    if (!parsed.success) {
      // One line a problem, as a row's problems are.
      problems.push(...parsed.error.issues.map((issue) => `${path}: ${formatIssues([issue])}`));
      continue;
    }
    tables[name] = parsed.data.rows;
  }
  return createTables(tables, calendar, dir, problems);
}

/**
 * D9: a leave row counts only for an approver the approvers table names (the recipe looks leave up by
 * the region's approver) or a regional marketing lead (the second level of a flexi request, D10, D13),
 * or the manager of either (their secondary, whose leave at the same time ops are told of). A row for anyone else, a typo or a person who left, would silently keep a
 * CMM on leave as the approver, so it is refused at start, naming the file and the row. Addresses are
 * compared in lower case (the schemas lower them).
 */
function checkLeaveNamesApprovers(tables: Map<string, Row[]>, origin: string): string[] {
  const leave = tables.get('leave');
  const approvers = tables.get('approvers');
  if (!leave || !approvers) return [];
  const known = new Set([...approvers.map((row) => String(row.approver_email).toLowerCase()), ...leadEmails(tables)]);
  // D9: a secondary's own leave counts too (the approval recipe tells ops when the approver and their manager are both away).
  const managers = new Set([...approvers, ...(tables.get('regional-marketing-leads') ?? [])].map((row) => String(row.manager_email ?? '').toLowerCase()));
  return leave.flatMap((row, i) => {
    const email = String(row.approver_email).toLowerCase();
    if (known.has(email) || managers.has(email)) return [];
    return [
      `${origin}/leave: rows[${i}].approver_email: ${email} is not an approver in the approvers table${didYouMean(email, known) || ` (approvers: ${[...known].sort().join(', ')})`}; add the approver there or correct the address`,
    ];
  });
}

/**
 * D24, D25: how many days back the lead recall's daily reads go when the lead-share table names no
 * `look_back_days`: the 30-day recall plus two months to catch up a reminder or a recall an outage or a
 * table change delayed.
 */
export const DEFAULT_LOOK_BACK_DAYS = 90;

/**
 * D24, D25: the lead-share table's days are whole days above zero, and the reminder comes before the
 * recall. A reminder_day at or after recall_day would recall every lead without its reminder ever going
 * out, so the table is refused at start (or at the edit), naming the row and the days. look_back_days
 * (DEFAULT_LOOK_BACK_DAYS when absent) bounds the reminder's and the recall's reads: the leads a
 * partner worked are never recalled, and without a bound they would stay in every day's read for
 * good. The recall takes the leads shared after (scheduled - look_back_days) and at or before
 * (scheduled - recall_day): with look_back_days at or below recall_day that window is empty and no lead
 * is ever recalled (review 4: 30 and 30 were accepted and recalled nothing), so it is refused the same
 * way. Refused rather than widened behind ops' back: the bound is theirs, and one day more than
 * recall_day recalls on time but drops a recall that comes late, which the message says.
 */
function checkLeadShareDays(tables: Map<string, Row[]>, origin: string): string[] {
  const rows = tables.get('lead-share');
  if (!rows) return [];
  const problems: string[] = [];
  const withDefaults = rows.map((given) => (given.look_back_days === undefined ? { ...given, look_back_days: DEFAULT_LOOK_BACK_DAYS } : given));
  withDefaults.forEach((row, i) => {
    const notDays = (['reminder_day', 'recall_day', 'look_back_days'] as const).find((column) => {
      const days = row[column];
      return typeof days !== 'number' || !Number.isInteger(days) || days <= 0;
    });
    if (notDays) {
      problems.push(`${origin}/lead-share: rows[${i}].${notDays} is ${JSON.stringify(row[notDays])}, not a whole number of days above zero`);
      return;
    }
    if ((row.reminder_day as number) >= (row.recall_day as number)) {
      problems.push(
        `${origin}/lead-share: rows[${i}].reminder_day: ${String(row.reminder_day)} is not before recall_day ${String(row.recall_day)}; D24 reminds the partner before the recall (e.g. reminder_day 23, recall_day 30)`,
      );
      return;
    }
    if ((row.look_back_days as number) <= (row.recall_day as number)) {
      problems.push(
        `${origin}/lead-share: rows[${i}].look_back_days: ${String(row.look_back_days)} is not longer than recall_day ${String(row.recall_day)}; the reminder and the recall read only the leads shared after the run's scheduled time minus look_back_days, and the recall takes those shared recall_day days or more before it, so no lead would ever be recalled. Leave room for a recall that comes late (a reminder caught up late is recalled recall_day - reminder_day days after it): e.g. look_back_days ${DEFAULT_LOOK_BACK_DAYS}, recall_day 30`,
      );
    }
  });
  tables.set('lead-share', withDefaults);
  return problems;
}

/**
 * D23 (review 7, H2): `digest_settle_minutes`, how long after its window's end the lead-share digest
 * reads it (10 when absent). A lead's Partner Synced Date is taken before its PRM write, which the PRM
 * client resends for up to 210 s (PrmClient.longestCallMs): a settle of 3 minutes or less would miss a
 * lead dated just before the window's end, in no digest. Refused, naming the row, not raised quietly.
 */
function checkDigestSettle(tables: Map<string, Row[]>, origin: string): string[] {
  const problems: string[] = [];
  (tables.get('lead-share') ?? []).forEach((row, i) => {
    const minutes = row.digest_settle_minutes;
    if (minutes === undefined || (typeof minutes === 'number' && Number.isInteger(minutes) && minutes >= 4)) return;
    problems.push(
      `${origin}/lead-share: rows[${i}].digest_settle_minutes: ${JSON.stringify(minutes)} is not a whole number of minutes of at least 4; the lead-share digest reads its window this long after the window's end; a lead's Partner Synced Date is taken before its PRM write, which the PRM client can resend for up to 210 s (3 attempts of 30 s, 2 waits of up to 60 s), so a shorter settle misses leads dated just before the end (e.g. digest_settle_minutes 10)`,
    );
  });
  return problems;
}

/**
 * D24, D25 (lead-recall v17): `on_time_reminder_minutes`, how long after its run's scheduled time a
 * recall reminder still counts as on time (60 when absent). The recall on a lead's recall day reads the
 * reminders dated up to this long after their own run's scheduled time (an on-time reminder leaves
 * seconds or minutes after 07:30) and waits until their notice is over; one sent later is recalled by
 * the next day's run. Whole minutes from 0 (never wait: every reminder sent after its run's time is
 * recalled the next day) to under a day: the recall runs daily, and a day or more would have one day's
 * recall wait for leads the next day's recall reads too. Refused, naming the row, not clamped.
 */
function checkOnTimeReminder(tables: Map<string, Row[]>, origin: string): string[] {
  const problems: string[] = [];
  (tables.get('lead-share') ?? []).forEach((row, i) => {
    if (!('on_time_reminder_minutes' in row)) return;
    const minutes = row.on_time_reminder_minutes;
    if (typeof minutes === 'number' && Number.isInteger(minutes) && minutes >= 0 && minutes < 1440) return;
    problems.push(
      `${origin}/lead-share: rows[${i}].on_time_reminder_minutes: ${JSON.stringify(minutes)} is not a whole number of minutes from 0 to 1439; the recall on a lead's recall day reads the reminders sent up to this long after their run's scheduled time and waits until their notice is over, a reminder sent later is recalled by the next day's run; the recall runs every day, so a day or more would have one day's recall wait for leads the next day's recall reads too (e.g. on_time_reminder_minutes 60)`,
    );
  });
  return problems;
}

/** D14: each reminder day once; a repeated day would read as one reminder where ops meant two. */
function checkReminderDaysOnce(tables: Map<string, Row[]>, origin: string): string[] {
  const rows = tables.get('claim-reminders') ?? [];
  return repeatedRows(rows, (row) => row.days_after_end).map(
    ({ index: i, first }) => `${origin}/claim-reminders: rows[${i}].days_after_end: ${String(rows[i]!.days_after_end)} is already in rows[${first}]; each reminder day once`,
  );
}
