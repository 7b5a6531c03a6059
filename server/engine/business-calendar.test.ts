import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { addBusinessDays, type BusinessCalendar } from './business-calendar.ts';

const berlin: BusinessCalendar = { timezone: 'Europe/Berlin', weekend: [6, 7], holidays: [{ date: '2026-04-06', name: 'Easter Monday' }] };
const at = (local: string) => DateTime.fromISO(local, { zone: 'Europe/Berlin' }).toMillis();
const local = (ms: number) => DateTime.fromMillis(ms, { zone: 'Europe/Berlin' }).toFormat("ccc yyyy-MM-dd HH:mm");

describe('addBusinessDays (D10)', () => {
  it('keeps the time of day from a working day: Friday 10:00 + 2 is Tuesday 10:00, Friday 23:00 + 2 is Tuesday 23:00', () => {
    expect(local(addBusinessDays(at('2026-03-06T10:00'), 2, berlin))).toBe('Tue 2026-03-10 10:00');
    expect(local(addBusinessDays(at('2026-03-06T23:00'), 2, berlin))).toBe('Tue 2026-03-10 23:00');
  });

  it('D10: a start on a weekend counts from 00:00 of the next working day: Saturday 10:00 + 2 is Wednesday 00:00', () => {
    expect(local(addBusinessDays(at('2026-03-07T10:00'), 2, berlin))).toBe('Wed 2026-03-11 00:00');
    expect(local(addBusinessDays(at('2026-03-08T23:59'), 2, berlin))).toBe('Wed 2026-03-11 00:00');
    // Never earlier than a submission on the Friday before.
    expect(addBusinessDays(at('2026-03-07T10:00'), 2, berlin)).toBeGreaterThan(addBusinessDays(at('2026-03-06T23:00'), 2, berlin));
  });

  it('D10: a start on a holiday counts from 00:00 of the next working day: Easter Monday 15:00 + 2 is Thursday 00:00', () => {
    expect(local(addBusinessDays(at('2026-04-06T15:00'), 2, berlin))).toBe('Thu 2026-04-09 00:00');
    // Saturday before Easter Monday: the next working day is Tuesday.
    expect(local(addBusinessDays(at('2026-04-04T09:00'), 2, berlin))).toBe('Thu 2026-04-09 00:00');
  });

  it('counts the start of the day in the calendar zone, also across a DST change (29 March 2026)', () => {
    // Sunday 29 March, the day clocks go forward: Monday 00:00 CEST + 2 is Wednesday 00:00 CEST (22:00 UTC on Tuesday).
    expect(new Date(addBusinessDays(at('2026-03-29T12:00'), 2, berlin)).toISOString()).toBe('2026-03-31T22:00:00.000Z');
  });

  it('0 business days from a weekend is the start of the next working day; from a working day, the start itself', () => {
    expect(local(addBusinessDays(at('2026-03-07T10:00'), 0, berlin))).toBe('Mon 2026-03-09 00:00');
    expect(local(addBusinessDays(at('2026-03-06T10:00'), 0, berlin))).toBe('Fri 2026-03-06 10:00');
  });

  it('refuses a negative or fractional count', () => {
    expect(() => addBusinessDays(0, -1, berlin)).toThrow(RangeError);
    expect(() => addBusinessDays(0, 1.5, berlin)).toThrow(RangeError);
  });
});
