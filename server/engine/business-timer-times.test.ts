import { describe, expect, it } from 'vitest';
import type { BusinessCalendar } from './business-calendar.ts';
import { BERLIN_EASTER_2026 } from '../../test/support/berlin-calendar.ts';
import { catchUpAfterEvent, catchUpTimeOf, fireTimeOf, recordDay, type CatchUpRules } from './business-timer-times.ts';

const BERLIN = BERLIN_EASTER_2026;
const NEW_YORK: BusinessCalendar = { timezone: 'America/New_York', weekend: [6, 7], holidays: [{ date: '2026-07-03', name: 'Independence Day (observed)' }] };

/** D14's trigger: 09:00, the next business day, a late reminder until 17:00 and 10 minutes after its event. */
const D14: CatchUpRules = { at: '09:00', on_non_business_day: 'next_business_day', catch_up: { until: '17:00', wait: 'PT10M' } };

const late = (from: string, rules: CatchUpRules = D14, calendar = BERLIN) => new Date(catchUpTimeOf(Date.parse(from), rules, calendar)).toISOString();
const afterEvent = (from: string, rules: CatchUpRules = D14, calendar = BERLIN) => new Date(catchUpAfterEvent(Date.parse(from), rules, calendar)).toISOString();

describe('when a late business timer goes out (D14, README "Late timers")', () => {
  it('at night: at 09:00 that business day, in the calendar zone (summer time)', () => {
    // Tuesday 2026-03-31 02:00 in Berlin.
    expect(late('2026-03-31T00:00:00Z')).toBe('2026-03-31T07:00:00.000Z');
    expect(afterEvent('2026-03-31T00:00:00Z')).toBe('2026-03-31T07:00:00.000Z');
  });

  it('within the window of a business day: at once, or the wait after its event (the approval email goes first)', () => {
    // Wednesday 2026-04-01 11:00 in Berlin.
    expect(late('2026-04-01T09:00:00Z')).toBe('2026-04-01T09:00:00.000Z');
    expect(afterEvent('2026-04-01T09:00:00Z')).toBe('2026-04-01T09:10:00.000Z');
    // 09:00 exactly is in the window: a timer on time is never moved.
    expect(late('2026-04-01T07:00:00Z')).toBe('2026-04-01T07:00:00.000Z');
  });

  it('at or after the window\'s end (the wait included): 09:00 of the next business day, after weekends and holidays', () => {
    // 16:55 + 10 minutes is past 17:00 on Wednesday: Thursday 09:00.
    expect(afterEvent('2026-04-01T14:55:00Z')).toBe('2026-04-02T07:00:00.000Z');
    // 17:00 on Thursday before Easter: Good Friday, the weekend and Easter Monday are skipped.
    expect(late('2026-04-02T15:00:00Z')).toBe('2026-04-07T07:00:00.000Z');
    // Saturday of the Easter weekend.
    expect(afterEvent('2026-04-04T10:00:00Z')).toBe('2026-04-07T07:00:00.000Z');
    // Easter Monday, a holiday on a weekday, at 10:00.
    expect(late('2026-04-06T08:00:00Z')).toBe('2026-04-07T07:00:00.000Z');
  });

  it('across a change of summer time: 09:00 local after it, not the UTC hour before it', () => {
    // Saturday 2026-03-28 (UTC+1) -> Monday 2026-03-30 09:00 (UTC+2).
    expect(late('2026-03-28T11:00:00Z')).toBe('2026-03-30T07:00:00.000Z');
    // Saturday 2026-10-24 (UTC+2) -> Monday 2026-10-26 09:00 (UTC+1).
    expect(late('2026-10-24T11:00:00Z')).toBe('2026-10-26T08:00:00.000Z');
    // 23:30 in Berlin is still the day before in UTC: the day is the calendar zone's.
    expect(late('2026-03-31T21:30:00Z')).toBe('2026-04-01T07:00:00.000Z');
  });

  it('in another zone, with its own holidays', () => {
    // Monday 2026-03-09 23:00 in New York (summer time since Sunday) -> Tuesday 09:00 EDT.
    expect(late('2026-03-10T03:00:00Z', D14, NEW_YORK)).toBe('2026-03-10T13:00:00.000Z');
    // Thursday 2026-07-02 18:00 -> Monday 2026-07-06 09:00 (Friday is the observed holiday).
    expect(late('2026-07-02T22:00:00Z', D14, NEW_YORK)).toBe('2026-07-06T13:00:00.000Z');
  });

  it('same_day: any day is a sending day, the window still holds', () => {
    const rules: CatchUpRules = { ...D14, on_non_business_day: 'same_day' };
    // Saturday 2026-04-04 02:00 in Berlin -> Saturday 09:00; 18:00 -> Sunday 09:00.
    expect(late('2026-04-04T00:00:00Z', rules)).toBe('2026-04-04T07:00:00.000Z');
    expect(late('2026-04-04T16:00:00Z', rules)).toBe('2026-04-05T07:00:00.000Z');
  });

  it('its own window: another `at` and `until`, and a late timer without a wait', () => {
    const rules: CatchUpRules = { at: '07:30', on_non_business_day: 'next_business_day', catch_up: { until: '12:00' } };
    expect(afterEvent('2026-04-01T09:59:00Z', rules)).toBe('2026-04-01T09:59:00.000Z'); // 11:59
    expect(afterEvent('2026-04-01T10:00:00Z', rules)).toBe('2026-04-02T05:30:00.000Z'); // 12:00 -> Thursday 07:30
  });

  it('a catch-up time is a time a timer on time could have: the window opens at fireTimeOf\'s hour', () => {
    const slot = fireTimeOf(recordDay('2026-03-20', BERLIN)!, 14, D14, BERLIN);
    expect(catchUpTimeOf(slot, D14, BERLIN)).toBe(slot);
    expect(catchUpTimeOf(slot - 1, D14, BERLIN)).toBe(slot);
  });
});
