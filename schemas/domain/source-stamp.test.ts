import { describe, expect, it } from 'vitest';
import { stampMillis } from './source-stamp.ts';

const nine = Date.UTC(2026, 2, 2, 9, 0, 0);

describe('stampMillis: a source system stamp as epoch ms', () => {
  it.each([
    ['the PRM ISO time', '2026-03-02T09:00:00.000Z', nine],
    ['the PRM zone-less form, in UTC', '2026-03-02 09:00:00', nine],
    ['a zone-less ISO time, in UTC (not local time)', '2026-03-02T09:00:00', nine],
    ['a zone-less ISO time with milliseconds', '2026-03-02T09:00:00.250', nine + 250],
    ['Salesforce, offset without a colon', '2026-03-02T09:00:00.000+0000', nine],
    ['an offset east of UTC', '2026-03-02T10:00:00+01:00', nine],
    ['an offset without a colon west of UTC', '2026-03-02 04:00:00-0500', nine],
    ['milliseconds already', nine, nine],
  ])('reads %s', (_what, stamp, expected) => {
    expect(stampMillis(stamp)).toBe(expected);
  });

  it.each([['not a time', 'yesterday'], ['empty', ''], ['a non-finite number', Number.NaN], ['null', null], ['an object', {}]])(
    'gives undefined for %s',
    (_what, stamp) => {
      expect(stampMillis(stamp)).toBeUndefined();
    },
  );

  it('reads a zone-less stamp as UTC when the runtime runs in another zone', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(new Date(2026, 2, 2).getTimezoneOffset()).toBe(300);
      expect(stampMillis('2026-03-02T09:00:00')).toBe(nine);
      expect(stampMillis('2026-03-02 09:00:00')).toBe(nine);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('orders the PRM and Salesforce forms of nearby stamps', () => {
    expect(stampMillis('2026-03-02 09:00:01')!).toBeGreaterThan(stampMillis('2026-03-02T09:00:00.000+0000')!);
  });
});
