import { DateTime } from 'luxon';
import type { BusinessCalendar } from './business-calendar.ts';

/**
 * How far ahead the business calendar's holidays go, and the warnings when that is not far enough. A
 * day after the last listed year counts only weekends as days off: New Year's Day of a year ops have
 * not entered yet would be a business day, and a reminder (D14) or an escalation (D10) would fire on it.
 */

/** The file ops keep the calendar in, as the warnings name it. */
export const CALENDAR_TABLE = 'recipes/tables/business-calendar.json';

/**
 * Days before the calendar's last day from which the start warns: a quarter, so that ops have time to
 * enter the next year's holidays, and D14's 28-day reminders computed today still fall inside it.
 */
export const CALENDAR_WARN_DAYS = 90;

/**
 * The last day the calendar covers: 31 December of the year of its latest holiday (holidays are listed
 * by whole years). Null when it lists no holiday at all (a calendar of weekends only: nothing to run out).
 */
export function calendarLastDay(calendar: BusinessCalendar): string | null {
  if (calendar.holidays.length === 0) return null;
  const latest = calendar.holidays.reduce((max, h) => (h.date > max ? h.date : max), calendar.holidays[0]!.date);
  return `${latest.slice(0, 4)}-12-31`;
}

/** The start's warning when the calendar ends within CALENDAR_WARN_DAYS of `now` (or has ended), else null. */
export function calendarEndingWarning(calendar: BusinessCalendar, now: number): string | null {
  const last = calendarLastDay(calendar);
  if (!last) return null;
  const today = DateTime.fromMillis(now, { zone: calendar.timezone }).startOf('day');
  const days = Math.round(DateTime.fromISO(last, { zone: calendar.timezone }).diff(today, 'days').days);
  if (days > CALENDAR_WARN_DAYS) return null;
  const when = days < 0 ? `ended ${-days} days ago` : `ends in ${days} days`;
  return `${CALENDAR_TABLE}: its holidays go up to ${last}, which ${when}: add the next year's holidays, or days after ${last} count only weekends as days off`;
}

/** The warning when a computed time falls after the calendar's last day (its day's holidays are not known), else null. */
export function beyondCalendarWarning(calendar: BusinessCalendar, at: number, what: string): string | null {
  const last = calendarLastDay(calendar);
  if (!last) return null;
  const day = DateTime.fromMillis(at, { zone: calendar.timezone }).toISODate()!;
  if (day <= last) return null;
  return `${what} falls on ${day}, after the last day of ${CALENDAR_TABLE} (${last}): holidays of that day are not known, only weekends move it; add the next year's holidays`;
}
