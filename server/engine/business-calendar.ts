import { DateTime, Duration } from 'luxon';
import { z } from 'zod';
import { timeZoneProblem } from '../../schemas/schedule-cron.ts';

/**
 * The business calendar ops maintain (`recipes/tables/business-calendar.json`): which weekdays are the
 * weekend and which dates are holidays, in one time zone. "2 business days" (D10) is counted on it.
 */
export const BusinessCalendar = z
  .object({
    timezone: z.string().default('UTC'),
    /** ISO weekdays that are not worked: 1 = Monday … 7 = Sunday. @default [6, 7] */
    weekend: z.array(z.number().int().min(1).max(7)).default([6, 7]),
    holidays: z.array(z.object({ date: z.iso.date(), name: z.string() }).strict()).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (DateTime.now().setZone(c.timezone).isValid) return;
    // The value and the zone it is a typo of, as a schedule's time zone is refused (schedule-cron.ts).
    ctx.addIssue({ code: 'custom', path: ['timezone'], message: timeZoneProblem(c.timezone) ?? `unknown time zone "${c.timezone}" (an IANA name such as Europe/Berlin or UTC)` });
  })
  .refine((c) => c.weekend.length < 7, { message: 'a week needs at least one working day', path: ['weekend'] });
export type BusinessCalendar = z.output<typeof BusinessCalendar>;

export const DEFAULT_CALENDAR: BusinessCalendar = { timezone: 'UTC', weekend: [6, 7], holidays: [] };

/** Whether a calendar day (in the calendar's zone) is worked. */
export function isBusinessDay(day: DateTime, calendar: BusinessCalendar): boolean {
  if (calendar.weekend.includes(day.weekday)) return false;
  const iso = day.toISODate();
  return !calendar.holidays.some((h) => h.date === iso);
}

/**
 * Adds business days, keeping the time of day: Friday 10:00 + 2 business days is Tuesday 10:00; a
 * holiday in between pushes it one day further. A start on a day that is not worked (weekend or
 * holiday) counts from the start (00:00 in the calendar's zone) of the next working day, so Saturday
 * 10:00 + 2 business days is Wednesday 00:00: never earlier than Friday 23:00 + 2 (Tuesday 23:00). D10.
 */
export function addBusinessDays(fromMs: number, days: number, calendar: BusinessCalendar): number {
  if (!Number.isInteger(days) || days < 0) throw new RangeError(`business days must be a whole number ≥ 0, got ${days}`);
  let day = DateTime.fromMillis(fromMs, { zone: calendar.timezone });
  if (!isBusinessDay(day, calendar)) {
    do day = day.plus({ days: 1 }).startOf('day');
    while (!isBusinessDay(day, calendar));
  }
  let left = days;
  while (left > 0) {
    day = day.plus({ days: 1 });
    if (isBusinessDay(day, calendar)) left--;
  }
  return day.toMillis();
}

/** Adds an ISO 8601 duration in the calendar's zone, so "P1D" across a DST change is one calendar day. */
export function addIsoDuration(fromMs: number, iso: string, timezone = 'UTC'): number {
  const duration = Duration.fromISO(iso);
  if (!duration.isValid) throw new RangeError(`not an ISO 8601 duration: ${iso}`);
  return DateTime.fromMillis(fromMs, { zone: timezone }).plus(duration).toMillis();
}
