import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { isBusinessDay, type BusinessCalendar } from './business-calendar.ts';
import { beyondCalendarWarning, calendarEndingWarning, calendarLastDay } from './business-calendar-coverage.ts';
import { loadTables } from './tables.ts';

const CAL: BusinessCalendar = { timezone: 'Europe/Berlin', weekend: [6, 7], holidays: [{ date: '2026-01-01', name: "New Year's Day" }, { date: '2026-12-25', name: 'Christmas Day' }] };

describe('how far the business calendar goes (D14, D10)', () => {
  it('covers the years of its holidays; no holidays, nothing to run out', () => {
    expect(calendarLastDay(CAL)).toBe('2026-12-31');
    expect(calendarLastDay({ ...CAL, holidays: [] })).toBeNull();
  });

  it('the start warns, naming the table, when the calendar ends within 90 days, and not before', () => {
    expect(calendarEndingWarning(CAL, Date.parse('2026-09-01T10:00:00Z'))).toBeNull();
    expect(calendarEndingWarning(CAL, Date.parse('2026-10-15T10:00:00Z'))).toBe(
      "recipes/tables/business-calendar.json: its holidays go up to 2026-12-31, which ends in 77 days: add the next year's holidays, or days after 2026-12-31 count only weekends as days off",
    );
    expect(calendarEndingWarning(CAL, Date.parse('2027-01-10T10:00:00Z'))).toContain('which ended 10 days ago');
  });

  it('a timer computed after the last day is named with its day', () => {
    expect(beyondCalendarWarning(CAL, Date.parse('2026-12-31T08:00:00Z'), 'timer r for MDF-1, offset 2 after 2026-12-29,')).toBeNull();
    expect(beyondCalendarWarning(CAL, Date.parse('2027-01-01T08:00:00Z'), 'timer r for MDF-1, offset 2 after 2026-12-30,')).toBe(
      "timer r for MDF-1, offset 2 after 2026-12-30, falls on 2027-01-01, after the last day of recipes/tables/business-calendar.json (2026-12-31): holidays of that day are not known, only weekends move it; add the next year's holidays",
    );
  });

  it('the shipped calendar has the 2027 holidays of the kinds 2026 has (New Year, Easter, Labour Day, Christmas)', () => {
    const { calendar } = loadTables(join(import.meta.dirname, '../../recipes/tables'));
    const day = (iso: string) => DateTime.fromISO(iso, { zone: calendar.timezone });
    for (const holiday of ['2027-01-01', '2027-03-26', '2027-03-29', '2027-12-24', '2027-12-31']) expect(isBusinessDay(day(holiday), calendar)).toBe(false);
    expect(calendarLastDay(calendar)).toBe('2027-12-31');
  });
});
