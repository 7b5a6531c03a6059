import { describe, expect, it } from 'vitest';
import { checkLeadImport, LeadImportRefused } from './lead-import-file.ts';

const HEADER = 'email,first_name,last_name,company,phone,opted_in,crm_partner_id,event,visited_on';
const bytes = (text: string) => new TextEncoder().encode(text);
const refusal = (f: () => unknown): LeadImportRefused => {
  try {
    f();
  } catch (error) {
    if (error instanceof LeadImportRefused) return error;
    throw error;
  }
  throw new Error('not refused');
};

describe('checkLeadImport (D22)', () => {
  it('accepts good rows, refuses a row without phone with its row number, and imports a row without an explicit yes as not opted in', () => {
    const csv = [
      HEADER,
      'Ann@Example.com,Ann,Lee,Acme,+1 555 0100,yes,0015e00000LTWRE,Cloud Expo,2026-03-02',
      'bob@example.com,Bob,Ray,Acme,,yes,,Cloud Expo,2026-03-02',
      'cy@example.com,Cy,Doe,"Doe, Inc.",+1 555 0101,partner only,,Cloud Expo,2026-03-02',
    ].join('\r\n');
    const check = checkLeadImport(bytes(csv), 1024 * 1024);
    expect(check.accepted.map((a) => [a.row, a.email, a.opted_in, a.crm_partner_id, a.company])).toEqual([
      [1, 'ann@example.com', true, '0015e00000LTWREAA5', 'Acme'],
      [3, 'cy@example.com', false, null, 'Doe, Inc.'],
    ]);
    expect(check.refused).toEqual([{ row: 2, line: 3, reason: 'phone is missing: a phone number is required for the PRM sync (D22)' }]);
    expect(check.not_opted_in).toEqual([{ row: 3, email: 'cy@example.com', opted_in: 'partner only' }]);
  });

  it('refuses a bad CRM Partner ID, a bad date, a repeated email, a short row, each naming its row', () => {
    const csv = [
      HEADER,
      'a@example.com,,,,1,yes,12345,Expo,2026-03-02',
      'b@example.com,,,,1,yes,,Expo,02/03/2026',
      'c@example.com,,,,1,yes,,Expo,2026-03-02',
      'C@example.com,,,,1,yes,,Expo,2026-03-02',
      'd@example.com,1',
    ].join('\n');
    const check = checkLeadImport(bytes(csv), 1024 * 1024);
    expect(check.refused.map((r) => [r.row, r.reason.slice(0, 40)])).toEqual([
      [1, 'CRM Partner ID "12345" is not a Salesfor'],
      [2, 'visited_on "02/03/2026" is not a date (Y'],
      [4, 'email c@example.com is on row 3 already'],
      [5, 'has 2 fields, the header has 9'],
    ]);
  });

  it('D20, D24: accepts the same email for two partners of a joint booth; refuses it again for the same partner (its 15-character ID too), naming the row and partner', () => {
    const csv = [
      HEADER,
      'ann@example.com,Ann,Lee,,1,yes,0015e00000LTWREAA5,Expo,2026-03-02',
      'Ann@example.com,Ann,Lee,,1,yes,a0B5g00000AbCdEfGH,Expo,2026-03-02',
      'ann@example.com,Ann,Lee,,1,yes,0015e00000LTWRE,Expo,2026-03-02',
      'ann@example.com,Ann,Lee,,1,yes,,Expo,2026-03-02',
      'ann@example.com,Ann,Lee,,1,yes,,Expo,2026-03-02',
    ].join('\n');
    const check = checkLeadImport(bytes(csv), 1024 * 1024);
    expect(check.accepted.map((a) => [a.row, a.email, a.crm_partner_id])).toEqual([
      [1, 'ann@example.com', '0015e00000LTWREAA5'],
      [2, 'ann@example.com', 'a0B5g00000AbCdEfGH'],
      [4, 'ann@example.com', null],
    ]);
    expect(check.refused.map((r) => [r.row, r.reason])).toEqual([
      [3, 'email ann@example.com is on row 1 already for CRM Partner ID 0015e00000LTWREAA5'],
      [5, 'email ann@example.com is on row 4 already'],
    ]);
  });

  it('refuses a visited_on that has the form of a date but is no day of the calendar (31 February)', () => {
    const check = checkLeadImport(bytes([HEADER, 'e@example.com,,,,1,yes,,Expo,2026-02-31'].join('\n')), 1024 * 1024);
    expect(check.refused.map((r) => [r.row, r.reason])).toEqual([[1, 'visited_on "2026-02-31" is not a date (YYYY-MM-DD)']]);
  });

  it('refuses the whole file for a wrong header, naming line 1 and the columns', () => {
    const error = refusal(() => checkLeadImport(bytes('mail,phone\nx@example.com,1\n'), 1024));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^line 1: wrong header \(unknown column\(s\) "mail"; missing email, first_name/);
  });

  it('refuses a file that is not UTF-8 (Latin-1), naming the first line that is not', () => {
    const latin1 = Buffer.concat([Buffer.from(`${HEADER}\nok@example.com,,,,1,yes,,Expo,2026-03-02\n`), Buffer.from('j@example.com,J\xfcrgen,,,1,yes,,Expo,2026-03-02\n', 'latin1')]);
    const error = refusal(() => checkLeadImport(latin1, 1024 * 1024));
    expect([error.status, error.line]).toEqual([415, 3]);
    expect(error.message).toContain('line 3: the file is not UTF-8');
  });

  it('refuses a file over the size limit whole, naming the limit and the line it passes it on', () => {
    const csv = `${HEADER}\n${'x'.repeat(2000)}\n`;
    const error = refusal(() => checkLeadImport(bytes(csv), 1024));
    expect(error.status).toBe(413);
    expect(error.message).toContain('over the limit of 1024 (LEAD_IMPORT_MAX_BYTES); it passes the limit on line 2');
  });

  it('refuses a quote never closed, naming its line; nothing is imported', () => {
    const error = refusal(() => checkLeadImport(bytes(`${HEADER}\na@example.com,"Ann,,,1,yes,,Expo,2026-03-02\n`), 1024 * 1024));
    expect(error.message).toMatch(/^line 2: a quoted field is never closed/);
  });

  it('D22: refuses alone a row with a value longer than a Marketo field holds (a 1.1 MB company), naming the column; the rows around it are accepted', () => {
    const csv = [
      HEADER,
      'a@example.com,A,B,Acme,+1 555 0100,yes,,Expo,2026-03-02',
      `b@example.com,B,C,${'x'.repeat(1_100_000)},+1 555 0101,yes,,Expo,2026-03-02`,
      `c@example.com,C,D,Acme,+1 555 0102,yes,,${'E'.repeat(256)},2026-03-02`,
      'd@example.com,D,E,Acme,+1 555 0103,yes,,Expo,2026-03-02',
    ].join('\n');
    const check = checkLeadImport(bytes(csv), 10 * 1024 * 1024);
    expect(check.accepted.map((a) => a.row)).toEqual([1, 4]);
    expect(check.refused).toEqual([
      { row: 2, line: 3, reason: "company is 1100000 characters, over the 255 a Marketo field holds" },
      { row: 3, line: 4, reason: "event is 256 characters, over the 255 a Marketo field holds" },
    ]);
  });

  it('skips a line of spaces or of empty fields as blank, rather than refusing it as a short row', () => {
    const check = checkLeadImport(bytes([HEADER, 'a@example.com,,,,1,yes,,Expo,2026-03-02', '   ', ',,,,,,,,', 'b@example.com,,,,1,yes,,Expo,2026-03-02', ''].join('\n')), 1024 * 1024);
    expect(check.refused).toEqual([]);
    expect(check.accepted.map((a) => a.email)).toEqual(['a@example.com', 'b@example.com']);
  });

  it('names a trailing comma in the header as a column without a name, not unknown column ""', () => {
    const error = refusal(() => checkLeadImport(bytes(`${HEADER},\na@example.com,,,,1,yes,,Expo,2026-03-02,\n`), 1024 * 1024));
    expect(error.message).toMatch(/^line 1: wrong header \(a column without a name \(a comma at the end of the line\?\)\)/);
  });

  it('tells a semicolon-separated file apart from a wrong header', () => {
    const error = refusal(() => checkLeadImport(bytes(`${HEADER.replaceAll(',', ';')}\na@example.com;;;;1;yes;;Expo;2026-03-02\n`), 1024 * 1024));
    expect(error.message).toBe('line 1: the columns are separated by semicolons (;), not commas: save the file as "CSV UTF-8 (comma delimited)"; nothing was imported');
  });
});
