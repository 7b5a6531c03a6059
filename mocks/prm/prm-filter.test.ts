import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesPrmFilter, parsePrmFilter, PrmFilterError } from './prm-filter.ts';
import { MDF_REQUEST_OBJECT, PARTNER_OBJECT, PRM_OBJECTS } from './prm-objects.ts';

const MDF = PRM_OBJECTS[MDF_REQUEST_OBJECT]!;
const ACCOUNT = PRM_OBJECTS[PARTNER_OBJECT]!;

const request = {
  id: 7,
  mdfNumber: "MDF-1001",
  activityRegion: 'EMEA',
  status: 'Open',
  statusReason: null,
  activityName: "O'Brien Cloud Summit",
  amountRequested: 10000,
  updated: '2026-03-02T09:00:00.000Z',
};
const matches = (filter: string, record: Record<string, unknown> = request) => matchesPrmFilter(record, parsePrmFilter(filter, MDF));

describe('PRM filter expressions', () => {
  it('compares with eq/ne and the symbol forms, mapping PascalCase names to camelCase fields', () => {
    expect(matches("MdfNumber eq 'MDF-1001'")).toBe(true);
    expect(matches("ActivityRegion = 'EMEA'")).toBe(true);
    expect(matches("Status ne 'Open'")).toBe(false);
    expect(matches("Status <> 'Denied'")).toBe(true);
    expect(matches('Id eq 7')).toBe(true);
  });

  it('reads field names and keywords in any case, but compares text case-sensitively', () => {
    expect(matches("mdfnumber EQ 'MDF-1001'")).toBe(true);
    expect(matches("Status eq 'open'")).toBe(false);
  });

  it('orders numbers and times', () => {
    expect(matches('AmountRequested ge 10000 and AmountRequested lt 10001')).toBe(true);
    expect(matches('AmountRequested > 10000')).toBe(false);
    expect(matches("updated >= '2026-03-02T09:00:01Z'")).toBe(false);
    expect(matches("Updated > '2026-03-02T10:59:59+02:00'")).toBe(true);
    expect(matches("Updated > '2026-03-02T11:00:00+02:00'")).toBe(false);
  });

  // The machine running the tests is usually on UTC, where reading a zoneless time as local time would
  // pass too: a zone west of UTC makes that mistake fail.
  describe('in a zone west of UTC', () => {
    const savedTz = process.env.TZ;
    beforeAll(() => {
      process.env.TZ = 'America/Los_Angeles';
    });
    afterAll(() => {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    });

    it('reads the PRM time form without a zone as UTC, not local time', () => {
      expect(new Date(2026, 0, 1).getTimezoneOffset(), 'Node did not take up TZ').toBe(480);
      expect(matches("Updated > '2026-03-02 08:59:59'")).toBe(true);
      expect(matches("Updated < '2026-03-02 09:00:01'")).toBe(true);
      expect(matches("Updated eq '2026-03-02T09:00:00'")).toBe(true);
    });
  });

  it('handles like, in, null, not, and/or precedence and parentheses', () => {
    expect(matches("ActivityName like '%Cloud%'")).toBe(true);
    expect(matches("ActivityName like 'Cloud%'")).toBe(false);
    expect(matches("Status in ('Approved', 'Open')")).toBe(true);
    expect(matches('StatusReason eq null')).toBe(true);
    expect(matches('StatusReason ne null')).toBe(false);
    expect(matches("not Status eq 'Open'")).toBe(false);
    // and binds tighter than or
    expect(matches("Status eq 'Denied' and Id eq 7 or ActivityRegion eq 'EMEA'")).toBe(true);
    expect(matches("Status eq 'Denied' and (Id eq 7 or ActivityRegion eq 'EMEA')")).toBe(false);
  });

  it('reads a doubled quote inside a string', () => {
    expect(matches("ActivityName eq 'O''Brien Cloud Summit'")).toBe(true);
  });

  it('reads API names in any case, and custom fields', () => {
    const partner = { id: 101, crmId: '0015e00000NWCLD001', Budget_Code__cf: 'EM-26' };
    expect(matchesPrmFilter(partner, parsePrmFilter("CrmId eq '0015e00000NWCLD001'", ACCOUNT))).toBe(true);
    expect(matchesPrmFilter(partner, parsePrmFilter("Budget_Code__cf eq 'EM-26'", ACCOUNT))).toBe(true);
  });

  it('refuses what it cannot read, naming the position and the problem', () => {
    const problem = (filter: string) => {
      try {
        parsePrmFilter(filter, MDF);
      } catch (error) {
        expect(error).toBeInstanceOf(PrmFilterError);
        return (error as Error).message;
      }
      throw new Error(`no error for ${filter}`);
    };
    expect(problem("Colour eq 'red'")).toMatch(/position 1: MdfRequest__co has no field 'Colour'/);
    expect(problem("Status equals 'Open'")).toMatch(/expected an operator/);
    expect(problem("Status eq 'Open")).toMatch(/not closed/);
    expect(problem("(Status eq 'Open'")).toMatch(/expected \)/);
    expect(problem("Status eq 'Open' Id eq 1")).toMatch(/unexpected 'Id'/);
    expect(problem('Status eq')).toMatch(/value was expected/);
  });
});
