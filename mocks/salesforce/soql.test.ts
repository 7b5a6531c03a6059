import { describe, expect, it } from 'vitest';
import { STANDARD_OBJECTS } from './salesforce-objects.ts';
import { parseSoql, SoqlError } from './soql.ts';
import { runSoql } from './soql-run.ts';

const FUND_REQUEST = STANDARD_OBJECTS.get('PartnerFundRequest')!;
const ACCOUNT = STANDARD_OBJECTS.get('Account')!;
const records = [
  { Id: '0Hf5g000000000AAAA', Title: 'Summit', Status: 'Draft', RequestedAmount: 5000, MDF_Number__c: 'MDF-1', CreatedDate: '2026-03-01T10:00:00.000+0000' },
  { Id: '0Hf5g000000000BAAA', Title: 'Roadshow', Status: 'Submitted', RequestedAmount: 12000, MDF_Number__c: 'MDF-2', CreatedDate: '2026-03-05T10:00:00.000+0000' },
  { Id: '0Hf5g000000000CAAA', Title: 'Webinar', Status: 'Approved', RequestedAmount: null, MDF_Number__c: 'mdf-3', CreatedDate: '2026-03-09T10:00:00.000+0000' },
];
const run = (soql: string, object = FUND_REQUEST, rows: Array<Record<string, unknown>> = records) => runSoql(parseSoql(soql), object, rows, '61.0');
const titles = (soql: string) => run(soql).rows.map((r) => r.Title);

describe('SOQL', () => {
  it('projects the selected fields with attributes, in the API names\' case', () => {
    const { totalSize, rows } = run("select id, title FROM partnerfundrequest WHERE mdf_number__c = 'MDF-1'");
    expect(totalSize).toBe(1);
    expect(rows).toEqual([
      { attributes: { type: 'PartnerFundRequest', url: '/services/data/v61.0/sobjects/PartnerFundRequest/0Hf5g000000000AAAA' }, Id: '0Hf5g000000000AAAA', Title: 'Summit' },
    ]);
  });

  it('compares text without regard to case, like Salesforce', () => {
    expect(titles("SELECT Title FROM PartnerFundRequest WHERE MDF_Number__c = 'MDF-3'")).toEqual(['Webinar']);
    expect(titles("SELECT Title FROM PartnerFundRequest WHERE Title LIKE 'road%'")).toEqual(['Roadshow']);
  });

  it('supports != <> < > IN NOT IN, AND/OR/NOT and parentheses', () => {
    expect(titles("SELECT Title FROM PartnerFundRequest WHERE Status != 'Draft'")).toEqual(['Roadshow', 'Webinar']);
    expect(titles('SELECT Title FROM PartnerFundRequest WHERE RequestedAmount > 4000 AND RequestedAmount <= 5000')).toEqual(['Summit']);
    expect(titles("SELECT Title FROM PartnerFundRequest WHERE Status IN ('Draft', 'Approved')")).toEqual(['Summit', 'Webinar']);
    expect(titles("SELECT Title FROM PartnerFundRequest WHERE Status NOT IN ('Draft')")).toEqual(['Roadshow', 'Webinar']);
    expect(titles("SELECT Title FROM PartnerFundRequest WHERE Status = 'Draft' OR (RequestedAmount > 10000 AND NOT Status = 'Approved')")).toEqual(['Summit', 'Roadshow']);
    expect(titles('SELECT Title FROM PartnerFundRequest WHERE RequestedAmount = null')).toEqual(['Webinar']);
  });

  it('compares dateTime literals', () => {
    expect(titles('SELECT Title FROM PartnerFundRequest WHERE CreatedDate > 2026-03-04T00:00:00Z')).toEqual(['Roadshow', 'Webinar']);
  });

  it('orders (nulls first ascending, last descending), limits and offsets', () => {
    expect(titles('SELECT Title FROM PartnerFundRequest ORDER BY RequestedAmount')).toEqual(['Webinar', 'Summit', 'Roadshow']);
    expect(titles('SELECT Title FROM PartnerFundRequest ORDER BY RequestedAmount DESC')).toEqual(['Roadshow', 'Summit', 'Webinar']);
    expect(titles('SELECT Title FROM PartnerFundRequest ORDER BY Title ASC LIMIT 2 OFFSET 1')).toEqual(['Summit', 'Webinar']);
  });

  it('counts with COUNT()', () => {
    expect(run("SELECT COUNT() FROM PartnerFundRequest WHERE Status = 'Draft'")).toEqual({ totalSize: 1, rows: [] });
  });

  it('refuses unknown columns on described objects, but not on objects that take any field', () => {
    expect(() => run('SELECT Colour FROM PartnerFundRequest')).toThrow(/No such column 'Colour' on entity 'PartnerFundRequest'/);
    expect(run('SELECT Name, Industry FROM Account', ACCOUNT, [{ Id: '0015e00000NWCLD001', Name: 'Northwind' }]).rows[0]).toMatchObject({ Name: 'Northwind', Industry: null });
  });

  it('refuses a literal of the wrong type for the field, as Salesforce does', () => {
    expect(() => run('SELECT Id FROM PartnerFundRequest WHERE Status = 5')).toThrow(/must be of type string and should be enclosed in quotes/);
    expect(() => run("SELECT Id FROM PartnerFundRequest WHERE RequestedAmount = '5'")).toThrow(/must be of type double/);
  });

  it('answers MALFORMED_QUERY for what it cannot read', () => {
    for (const soql of ['SELECT FROM PartnerFundRequest', "SELECT Id FROM PartnerFundRequest WHERE Status = 'x", 'SELECT Id PartnerFundRequest', 'SELECT Id FROM PartnerFundRequest LIMIT']) {
      const error = (() => {
        try {
          parseSoql(soql);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error, soql).toBeInstanceOf(SoqlError);
      expect((error as SoqlError).errorCode).toBe('MALFORMED_QUERY');
    }
  });

  it('reads backslash escapes in strings', () => {
    const rows = [{ Id: '0Hf5g000000000DAAA', Title: "O'Brien 100%", Status: 'Draft' }];
    expect(run("SELECT Title FROM PartnerFundRequest WHERE Title = 'O\\'Brien 100%'", FUND_REQUEST, rows).totalSize).toBe(1);
    expect(run("SELECT Title FROM PartnerFundRequest WHERE Title LIKE '%100\\%'", FUND_REQUEST, rows).totalSize).toBe(1);
  });
});
