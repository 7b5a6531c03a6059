import { describe, expect, it } from 'vitest';
import { MdfClaim } from './mdf-claim.ts';
import { MdfRequest } from './mdf-request.ts';
import { isEmailAddress } from './prm-fields.ts';

/** MDF-1002 as a PRM delivers it, each test changing one field the way a real PRM may send it. */
const request = {
  id: 2,
  mdfNumber: 'MDF-1002',
  partnerId: 11,
  submittedByEmail: 'field@contoso.example',
  activityRegion: 'AMER',
  status: 'Open',
  activityName: 'Partner Roadshow Chicago',
  deliveryMode: 'In Person',
  startDate: '2026-06-02',
  endDate: '2026-06-04',
  totalCost: 12000,
  amountRequested: 6000,
  created: '2026-03-02T09:00:00Z',
  updated: '2026-03-02T09:00:00Z',
};
const read = (set: Record<string, unknown>) => MdfRequest.parse({ ...request, ...set });

describe('MdfRequest: a field in an unexpected form is read, never a refused record (D6)', () => {
  it('D7: reads Submitted By Email trimmed; an address is kept as today, anything else kept as typed (blank as null) and told apart by isEmailAddress', () => {
    expect(read({ submittedByEmail: ' field@contoso.example ' }).submittedByEmail).toBe('field@contoso.example');
    for (const typed of ['not-an-email', 'jane@', 'Jane Doe <jane@contoso.example>']) {
      const kept = read({ submittedByEmail: ` ${typed}` }).submittedByEmail;
      expect(kept).toBe(typed);
      expect(isEmailAddress(kept)).toBe(false);
    }
    expect(read({ submittedByEmail: '' }).submittedByEmail).toBeNull();
    expect(read({ submittedByEmail: null }).submittedByEmail).toBeNull();
    expect(isEmailAddress('field@contoso.example')).toBe(true);
  });

  it('reads a number field left blank ("" or spaces) as missing, as the blank text and date fields are', () => {
    expect(read({ totalCost: '' }).totalCost).toBeNull();
    expect(read({ amountRequested: '  ' }).amountRequested).toBeNull();
  });

  it('reads a number sent as a string that is plainly one number as that number: "2500", " 2500.50 ", "2,500.00"', () => {
    expect(read({ totalCost: '2500' }).totalCost).toBe(2500);
    expect(read({ totalCost: ' 2500.50 ' }).totalCost).toBe(2500.5);
    expect(read({ totalCost: '12,000.00' }).totalCost).toBe(12000);
    expect(read({ targetContacts: '300' }).targetContacts).toBe(300);
  });

  it('keeps a number it cannot read for sure as the text sent, for the check to tell the partner: "2,500" (2.5 or 2500?), "USD 2500", "abc"', () => {
    expect(read({ totalCost: '2,500' }).totalCost).toBe('2,500');
    expect(read({ totalCost: ' USD 2500 ' }).totalCost).toBe('USD 2500');
    expect(read({ amountRequested: 'abc' }).amountRequested).toBe('abc');
  });

  it('trims a region, a delivery mode and a country, and reads the delivery mode in any letter case', () => {
    const r = read({ activityRegion: 'AMER ', deliveryMode: ' virtual', activityCountry: ' de ' });
    expect(r).toMatchObject({ activityRegion: 'AMER', deliveryMode: 'Virtual', activityCountry: 'de' });
  });

  it('D13: reads the country UK, which ISO 3166-1 reserves for the United Kingdom, as GB (the code target-markets holds)', () => {
    expect(read({ activityCountry: ' uk ' }).activityCountry).toBe('GB');
    expect(read({ activityCountry: 'UK' }).activityCountry).toBe('GB');
    expect(read({ activityCountry: 'UA' }).activityCountry).toBe('UA');
  });

  it('D8: reads a region code in any letter case as the code in capitals (the approvers table holds capitals only)', () => {
    expect(read({ activityRegion: ' emea ' }).activityRegion).toBe('EMEA');
    expect(read({ activityRegion: 'Amer' }).activityRegion).toBe('AMER');
  });

  it('reads a region, delivery mode or country outside the expected values as sent (the recipe tells the partner or ops), not a refused record', () => {
    expect(read({ activityRegion: 'North America', deliveryMode: 'Hybrid', activityCountry: 'Germany' })).toMatchObject({
      activityRegion: 'North America',
      deliveryMode: 'Hybrid',
      activityCountry: 'Germany',
    });
  });

  it('reads a date sent as a date-time at midnight as its date, with or without a zone: the date part is the date picked', () => {
    expect(read({ startDate: '2026-06-02T00:00:00', endDate: '2026-06-04T00:00:00.000Z' })).toMatchObject({ startDate: '2026-06-02', endDate: '2026-06-04' });
    expect(read({ startDate: '2026-06-02 00:00:00', endDate: '2026-06-04T00:00:00+02:00' })).toMatchObject({ startDate: '2026-06-02', endDate: '2026-06-04' });
    expect(read({ startDate: ' 2026-06-02 ' }).startDate).toBe('2026-06-02');
  });

  it('keeps a date-time at another hour as sent (midnight UTC shown in New York is 19:00 the day before: which day is meant is not known), and anything else not a date', () => {
    expect(read({ endDate: '2026-06-03T19:00:00-05:00' }).endDate).toBe('2026-06-03T19:00:00-05:00');
    expect(read({ endDate: '04/06/2026' }).endDate).toBe('04/06/2026');
    expect(read({ endDate: '2026-02-30' }).endDate).toBe('2026-02-30');
  });

  it('still refuses what is not an MDF request at all: no MDF number', () => {
    expect(MdfRequest.safeParse({ ...request, mdfNumber: undefined }).success).toBe(false);
  });
});

describe('MdfClaim: a field in an unexpected form is read, never a refused claim (D15-D18)', () => {
  const claim = { id: 1, mdfNumber: 'MDF-0901', status: 'Open', created: '2026-04-20T09:00:00Z', updated: '2026-04-20T09:00:00Z' };
  const readClaim = (set: Record<string, unknown>) => MdfClaim.parse({ ...claim, ...set });

  it('reads a blank Claim Amount as missing, a number sent as a string as the number, and keeps one it cannot read', () => {
    expect(readClaim({ amount: '', actualCosts: ' ' })).toMatchObject({ amount: null, actualCosts: null });
    expect(readClaim({ amount: '8000.50', actualCosts: '16,000.00' })).toMatchObject({ amount: 8000.5, actualCosts: 16000 });
    expect(readClaim({ amount: 'eight thousand' }).amount).toBe('eight thousand');
  });

  it('reads a Paid Date sent as a date-time at midnight as its date', () => {
    expect(readClaim({ paidDate: '2026-04-10T00:00:00Z' }).paidDate).toBe('2026-04-10');
  });

  it('keeps an attachment of a kind it does not know (an invoice) as sent, and reads the known kinds in any case and spacing', () => {
    const read = readClaim({
      attachments: [
        { name: 'pop.pdf', kind: ' pop ', url: 'https://prm.vendor.example/files/pop.pdf' },
        { name: 'leads.csv', kind: 'lead list', url: 'https://prm.vendor.example/files/leads.csv' },
        { name: 'invoice.pdf', kind: 'Invoice', url: 'https://prm.vendor.example/files/invoice.pdf' },
      ],
    });
    expect(read.attachments?.map((a) => a.kind)).toEqual(['POP', 'Lead List', 'Invoice']);
  });

  it('keeps a Missing POP value outside the known picklist as ops wrote it (trimmed), so the partner is asked for that item', () => {
    expect(readClaim({ missingPop: ' Invoice copy ' }).missingPop).toBe('Invoice copy');
    expect(readClaim({ missingPop: 'lead list' }).missingPop).toBe('Lead List');
  });

  it('reads a claim status with surrounding spaces, and still refuses one that is none of Open, Approved, Denied, Paid', () => {
    expect(readClaim({ status: 'Approved ' }).status).toBe('Approved');
    expect(MdfClaim.safeParse({ ...claim, status: 'Rejected' }).success).toBe(false);
  });
});
