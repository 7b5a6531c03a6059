import { DateTime, Duration } from 'luxon';
import type { TimerOffset, TimerTrigger } from '../../schemas/recipe.ts';
import { isBusinessDay, type BusinessCalendar } from './business-calendar.ts';
import { NO_KEY, repeatedRows } from './repeated-rows.ts';
import type { Tables } from './tables.ts';
import type { z } from 'zod';

type Timer = z.output<typeof TimerTrigger>;

/** One offset of a timer trigger: its label in the store and the run (`14`, `P1M`, `3BD`) and its value. */
export interface ResolvedOffset {
  label: string;
  /** What the run's `trigger.data.offset` says: the number of days for a day offset, else the label. */
  value: number | string;
  offset: TimerOffset;
}

/** A timer's offsets cannot be read from its table (a missing table or column, a value that is not whole days). */
export class TimerOffsetsError extends Error {
  override name = 'TimerOffsetsError';
}

/** The offsets of a timer trigger: the list as written, or the table column's whole days in row order. */
export function resolveOffsets(trigger: Timer, tables: Tables, recipe: string): ResolvedOffset[] {
  if (Array.isArray(trigger.offsets)) return trigger.offsets.map(resolved);
  const { table, column } = trigger.offsets;
  const rows = tables.rows(table);
  if (!rows) throw new TimerOffsetsError(`recipe ${recipe}: trigger.offsets.table: there is no table "${table}"`);
  const problems = offsetRowsProblems(rows, table, column, recipe);
  if (problems.length > 0) throw new TimerOffsetsError(problems.join('\n'));
  return rows.map((row) => resolved(row[column] as number));
}

/**
 * What is wrong with the rows of a timer's offsets table: a value that is not whole days above zero,
 * or a day written twice (review 6: the two rows would be one timer where ops meant two, merged
 * without a word). The start (resolveOffsets) and `validate` (table-keys.ts) refuse them alike.
 */
export function offsetRowsProblems(rows: readonly Record<string, unknown>[], table: string, column: string, recipe: string): string[] {
  const wholeDays = (days: unknown): days is number => typeof days === 'number' && Number.isInteger(days) && days > 0;
  const firstOf = new Map(repeatedRows(rows, (row) => (wholeDays(row[column]) ? row[column] : NO_KEY)).map(({ index, first }) => [index, first]));
  return rows.flatMap((row, i) => {
    const days = row[column];
    if (!wholeDays(days)) return [`recipe ${recipe}: table ${table}: rows[${i}].${column} is ${JSON.stringify(days)}, not a whole number of days above zero`];
    const first = firstOf.get(i);
    return first === undefined ? [] : [`recipe ${recipe}: table ${table}: rows[${i}].${column}: ${days} is already in rows[${first}]; a day fires one timer, so write each day once`];
  });
}

function resolved(offset: TimerOffset): ResolvedOffset {
  if (typeof offset === 'number') return { label: String(offset), value: offset, offset };
  if (typeof offset === 'string') return { label: offset, value: offset, offset };
  return { label: `${offset.business_days}BD`, value: `${offset.business_days}BD`, offset };
}

/**
 * The calendar day a record's date names, in the calendar's zone: a `YYYY-MM-DD` date is that day; an
 * ISO time is the day it falls on there. Null when the value is missing or not a date.
 */
export function recordDay(value: unknown, calendar: BusinessCalendar): DateTime | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text)
    ? DateTime.fromISO(text, { zone: calendar.timezone })
    : DateTime.fromISO(text, { setZone: true }).setZone(calendar.timezone);
  return day.isValid ? day.startOf('day') : null;
}

/**
 * When an offset fires for a record's day: that many days (or the duration, or business days) after
 * it, at the trigger's time of day in the calendar's zone; a day that is not a business day moves to
 * the next business day unless the trigger says `same_day`. D14 counts calendar days; only the day the
 * reminder is sent moves (a reminder read on Monday anyway is sent on Monday, not buried under the
 * weekend's mail).
 */
export function fireTimeOf(day: DateTime, offset: TimerOffset, trigger: Pick<Timer, 'at' | 'on_non_business_day'>, calendar: BusinessCalendar): number {
  let target: DateTime;
  if (typeof offset === 'number') target = day.plus({ days: offset });
  else if (typeof offset === 'string') target = day.plus(Duration.fromISO(offset));
  else {
    target = day;
    for (let left = offset.business_days; left > 0; ) {
      target = target.plus({ days: 1 });
      if (isBusinessDay(target, calendar)) left--;
    }
  }
  if (trigger.on_non_business_day !== 'same_day') {
    // The calendar has at least one working day a week (its schema), so this ends.
    while (!isBusinessDay(target, calendar)) target = target.plus({ days: 1 });
  }
  return timeOn(target, trigger.at ?? '09:00');
}

/** A time of day `HH:MM` on a day of the calendar's zone (a time the DST change skips moves forward, as luxon does). */
function timeOn(day: DateTime, time: string): number {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  return day.set({ hour, minute, second: 0, millisecond: 0 }).toMillis();
}

/** What decides when a late timer may go out: the trigger's own timing rules and its catch-up window. */
export type CatchUpRules = Pick<Timer, 'at' | 'on_non_business_day'> & { catch_up: { until: string; wait?: string } };

/**
 * The first moment at or after `from` at which a late timer may go out (README "Late timers"): on a
 * day the trigger fires on (a business day, or any day with `same_day`), between its `at` and its
 * `catch_up.until`; before `at` it is that day's `at`, after `until` (or on a weekend day or holiday)
 * the next such day's `at`. A timer on time fires at `at` on such a day, so this never moves it: only
 * late ones wait for the window, as a partner reads a reminder sent at 02:00 or on Easter Sunday as
 * a robot's, not the vendor's.
 */
export function catchUpTimeOf(from: number, trigger: CatchUpRules, calendar: BusinessCalendar): number {
  const sendsOn = (day: DateTime) => trigger.on_non_business_day === 'same_day' || isBusinessDay(day, calendar);
  let day = DateTime.fromMillis(from, { zone: calendar.timezone }).startOf('day');
  if (sendsOn(day)) {
    const opens = timeOn(day, trigger.at ?? '09:00');
    if (from < opens) return opens;
    if (from < timeOn(day, trigger.catch_up.until)) return from;
  }
  // The calendar has at least one working day a week (its schema), so this ends.
  do day = day.plus({ days: 1 }).startOf('day');
  while (!sendsOn(day));
  return timeOn(day, trigger.at ?? '09:00');
}

/**
 * When a timer that is late when its record becomes known goes out: `catch_up.wait` after the event
 * (its own news, the approval email, goes first), then into the window of catchUpTimeOf.
 */
export function catchUpAfterEvent(now: number, trigger: CatchUpRules, calendar: BusinessCalendar): number {
  return catchUpTimeOf(now + Duration.fromISO(trigger.catch_up.wait ?? 'PT0S').toMillis(), trigger, calendar);
}
