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
  it('accepts good rows, a row without phone too (D22: the routing, knowing the partner type, applies the phone rule), and imports a row without an explicit yes as not opted in', () => {
    const csv = [
      HEADER,
      'Ann@Example.com,Ann,Lee,Acme,+1 555 0100,yes,0015e00000LTWRE,Cloud Expo,2026-03-02',
      'bob@example.com,Bob,Ray,Acme,,yes,,Cloud Expo,2026-03-02',
      'cy@example.com,Cy,Doe,"Doe, Inc.",+1 555 0101,partner only,,Cloud Expo,2026-03-02',
    ].join('\r\n');
    const check = checkLeadImport(bytes(csv), 1024 * 1024);
    expect(check.accepted.map((a) => [a.row, a.email, a.opted_in, a.crm_partner_id, a.company, a.phone])).toEqual([
      [1, 'ann@example.com', true, '0015e00000LTWREAA5', 'Acme', '+1 555 0100'],
      [2, 'bob@example.com', true, null, 'Acme', null],
      [3, 'cy@example.com', false, null, 'Doe, Inc.', '+1 555 0101'],
    ]);
    expect(check.refused).toEqual([]);
    expect(check.not_opted_in).toEqual([{ row: 3, email: 'cy@example.com', opted_in: 'partner only' }]);
  });

  it('D21, D22: refuses a visited_on further from the import day than the window (a year typed wrong), naming the date, the days and the table column; the window bounds are accepted', () => {
    const csv = [
      HEADER,
      'a@example.com,,,,+1 555 0100,yes,,Expo,2062-03-02',
      'b@example.com,,,,+1 555 0100,yes,,Expo,1926-03-02',
      'c@example.com,,,,+1 555 0100,yes,,Expo,2026-03-03',
      'd@example.com,,,,+1 555 0100,yes,,Expo,2025-03-02',
      'e@example.com,,,,+1 555 0100,yes,,Expo,2026-03-04',
      'f@example.com,,,,+1 555 0100,yes,,Expo,2025-03-01',
    ].join('\n');
    const check = checkLeadImport(bytes(csv), 1024 * 1024, { today: '2026-03-02', daysBefore: 365, daysAfter: 1 });
    expect(check.accepted.map((a) => a.email)).toEqual(['c@example.com', 'd@example.com']);
    expect(check.refused).toEqual([
      { row: 1, line: 2, reason: 'visited_on 2062-03-02 is 13149 days after the import (2026-03-02), more than the 1 the lead-routing table allows (date_window_days_after): is the year right?' },
      { row: 2, line: 3, reason: 'visited_on 1926-03-02 is 36525 days before the import (2026-03-02), more than the 365 the lead-routing table allows (date_window_days_before): is the year right?' },
      { row: 5, line: 6, reason: 'visited_on 2026-03-04 is 2 days after the import (2026-03-02), more than the 1 the lead-routing table allows (date_window_days_after): is the year right?' },
      { row: 6, line: 7, reason: 'visited_on 2025-03-01 is 366 days before the import (2026-03-02), more than the 365 the lead-routing table allows (date_window_days_before): is the year right?' },
    ]);
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

  it('D22: names trailing commas in the header (two columns without a name, as Excel exports cleared columns) once, not also as an empty column given twice', () => {
    const error = refusal(() => checkLeadImport(bytes(`${HEADER},,\na@example.com,,,,1,yes,,Expo,2026-03-02,,\n`), 1024 * 1024));
    expect(error.message).toBe(`line 1: wrong header (2 columns without a name (a comma at the end of the line?)); expected the columns ${HEADER} in any order; nothing was imported`);
  });

  it('tells a semicolon-separated file apart from a wrong header', () => {
    const error = refusal(() => checkLeadImport(bytes(`${HEADER.replaceAll(',', ';')}\na@example.com;;;;1;yes;;Expo;2026-03-02\n`), 1024 * 1024));
    expect(error.message).toBe('line 1: the columns are separated by semicolons (;), not commas: save the file as "CSV UTF-8 (comma delimited)"; nothing was imported');
  });

  // review7 M3: Excel turns a long number without "+" into scientific notation; the digits are gone.
  it('D22: refuses a phone in Excel scientific notation (4.98956E+11) or an email in the phone column, naming the value and what happened; real formats are accepted', () => {
    const csv = [
      HEADER,
      'mia@initech.example,Mia,Wong,Initech,4.98956E+11,yes,0015e00000NWCLD001,Cloud Summit Munich,2026-12-01',
      'ed@initech.example,Ed,Po,Initech,4.98956e11,yes,,Cloud Summit Munich,2026-12-01',
      'jo@initech.example,Jo,Li,Initech,"4,98956E+11",yes,,Cloud Summit Munich,2026-12-01',
      'al@initech.example,Al,Bo,Initech,al2@initech.example,yes,,Cloud Summit Munich,2026-12-01',
      'de@initech.example,De,Ra,Initech,+49 89 555 0101,yes,,Cloud Summit Munich,2026-12-01',
      'us@initech.example,Us,Ra,Initech,(555) 010-0101 x12,yes,,Cloud Summit Munich,2026-12-01',
      'uk@initech.example,Uk,Ra,Initech,+44 (0)20 5555 0100 ext. 3,yes,,Cloud Summit Munich,2026-12-01',
      'fr@initech.example,Fr,Ra,Initech,01.23.45.67.89,yes,,Cloud Summit Munich,2026-12-01',
      'vn@initech.example,Vn,Ra,Initech,1-800-FLOWERS,yes,,Cloud Summit Munich,2026-12-01',
    ].join('\r\n');
    const check = checkLeadImport(bytes(csv), 1024 * 1024);
    expect(check.refused).toEqual([
      { row: 1, line: 2, reason: 'phone "4.98956E+11" is a number in Excel\'s scientific notation: its digits are lost; export the file again with the phone column formatted as text (D22)' },
      { row: 2, line: 3, reason: 'phone "4.98956e11" is a number in Excel\'s scientific notation: its digits are lost; export the file again with the phone column formatted as text (D22)' },
      { row: 3, line: 4, reason: 'phone "4,98956E+11" is a number in Excel\'s scientific notation: its digits are lost; export the file again with the phone column formatted as text (D22)' },
      { row: 4, line: 5, reason: 'phone "al2@initech.example" is an email address, not a phone number: are the columns swapped? (D22)' },
    ]);
    expect(check.accepted.map((a) => a.phone)).toEqual(['+49 89 555 0101', '(555) 010-0101 x12', '+44 (0)20 5555 0100 ext. 3', '01.23.45.67.89', '1-800-FLOWERS']);
  });

  // review7 L1: an address pasted from a web page or a CRM carries invisible characters.
  it('removes invisible characters (zero-width space, joiners, BOM, word joiner, no-break space) from the email before it is checked and compared: the same person twice is refused as a repeat', () => {
    const variants = ['mia@initech.example\u200b', '\u200cmia@initech.example', 'mia\u200d@initech.example', '\ufeffmia@initech.example', 'mia@initech.\u2060example', 'mia@initech.example\u00a0', 'mi\u00ada@initech.example'];
    const csv = [HEADER, 'mia@initech.example,Mia,Wong,Initech,+49 89 555 0101,yes,0015e00000NWCLD001,Cloud Summit Munich,2026-12-01', ...variants.map((e) => `${e},Mia,Wong,Initech,+49 89 555 0101,yes,0015e00000NWCLD001,Cloud Summit Munich,2026-12-01`)].join('\n');
    const check = checkLeadImport(bytes(csv), 1024 * 1024);
    expect(check.accepted.map((a) => a.email)).toEqual(['mia@initech.example']);
    expect(check.refused.map((r) => [r.row, r.reason])).toEqual(variants.map((_, i) => [i + 2, 'email mia@initech.example is on row 1 already for CRM Partner ID 0015e00000NWCLD001']));
  });

  it('removes invisible characters from the CRM Partner ID, phone and date too, and an email written in decomposed Unicode is the same address', () => {
    const csv = [
      HEADER,
      'j\u00fcrgen@m\u00fcller.example,J\u00fcrgen,M\u00fcller,M\u00fcller GmbH,\u200b+49 89 555 0101,yes\u200b,0015e00000LTWRE\u200b,Expo,2026-12-01\u200b',
      'ju\u0308rgen@mu\u0308ller.example,J\u00fcrgen,M\u00fcller,M\u00fcller GmbH,+49 89 555 0101,yes,0015e00000LTWREAA5,Expo,2026-12-01',
    ].join('\n');
    const check = checkLeadImport(bytes(csv), 1024 * 1024);
    expect(check.accepted.map((a) => [a.email, a.phone, a.crm_partner_id, a.visited_on, a.opted_in])).toEqual([['j\u00fcrgen@m\u00fcller.example', '+49 89 555 0101', '0015e00000LTWREAA5', '2026-12-01', true]]);
    expect(check.refused.map((r) => [r.row, r.reason])).toEqual([[2, 'email j\u00fcrgen@m\u00fcller.example is on row 1 already for CRM Partner ID 0015e00000LTWREAA5']]);
  });

  // review7 L2: Excel writes a cell with Alt+Enter as a quoted multi-line field.
  it('folds a line break inside a field (a quoted multi-line cell) to one space: every field is a single line', () => {
    const csv = [
      HEADER,
      'mia@initech.example,"Mia\nAnn","Wong\r\n",' + '"Initech, Zweigstelle\r\nM\u00fcnchen",+49 89 555 0101,yes,,"Cloud Summit\n\nMunich",2026-12-01',
    ].join('\r\n');
    const check = checkLeadImport(bytes(csv), 1024 * 1024);
    expect(check.refused).toEqual([]);
    expect(check.accepted.map((a) => [a.first_name, a.last_name, a.company, a.event])).toEqual([['Mia Ann', 'Wong', 'Initech, Zweigstelle M\u00fcnchen', 'Cloud Summit Munich']]);
  });

  // review7 L3: what an Excel export in another format looks like.
  it('tells a tab-separated file (Excel "Unicode Text" or "Text (Tab delimited)") apart from a wrong header', () => {
    const error = refusal(() => checkLeadImport(bytes(`${HEADER.replaceAll(',', '\t')}\na@example.com\t\t\t\t1\tyes\t\tExpo\t2026-03-02\n`), 1024 * 1024));
    expect(error.message).toBe('line 1: the columns are separated by tabs, not commas (a "Unicode Text" or "Text (Tab delimited)" export): save the file as "CSV UTF-8 (comma delimited)"; nothing was imported');
  });

  it('reads a first line "sep=," (Excel writes it to say the separator is a comma) as Excel means it: the header is on line 2', () => {
    const check = checkLeadImport(bytes(`sep=,\r\n${HEADER}\r\na@example.com,,,,1,yes,,Expo,2026-03-02\r\nb@example.com,,,,,yes,,Expo,2026-03-02\r\n`), 1024 * 1024);
    expect(check.accepted.map((a) => [a.row, a.line, a.email])).toEqual([[1, 3, 'a@example.com'], [2, 4, 'b@example.com']]);
    expect(check.refused).toEqual([]);
  });

  it('refuses a first line "sep=;" or "sep=<tab>" saying what it is, not as a wrong header', () => {
    const semicolon = refusal(() => checkLeadImport(bytes(`sep=;\n${HEADER.replaceAll(',', ';')}\na@example.com;;;;1;yes;;Expo;2026-03-02\n`), 1024 * 1024));
    expect(semicolon.message).toBe('line 1: "sep=;" says the columns are separated by ";", not commas: save the file as "CSV UTF-8 (comma delimited)"; nothing was imported');
    const tab = refusal(() => checkLeadImport(bytes(`sep=\t\n${HEADER.replaceAll(',', '\t')}\n`), 1024 * 1024));
    expect(tab.message).toBe('line 1: "sep=\\t" says the columns are separated by a tab, not commas: save the file as "CSV UTF-8 (comma delimited)"; nothing was imported');
  });

  it('reads spaces around a quoted field ("Mia" , and , "Wong") as padding, like the spaces around an unquoted value: the row is imported', () => {
    const check = checkLeadImport(bytes(`${HEADER}\n"mia@initech.example", "Mia" , "Wong",Initech,+49 89 555 0101,yes,,Expo,2026-03-02\n`), 1024 * 1024);
    expect(check.refused).toEqual([]);
    expect(check.accepted.map((a) => [a.email, a.first_name, a.last_name])).toEqual([['mia@initech.example', 'Mia', 'Wong']]);
  });

  it('refuses an email with two dots in a row or a dot next to the @ (mia@x..example, .mia@x.example), which Marketo would skip later', () => {
    const check = checkLeadImport(bytes([HEADER, 'mia@x..example,,,,1,yes,,Expo,2026-03-02', '.mia@x.example,,,,1,yes,,Expo,2026-03-02', 'mia.@x.example,,,,1,yes,,Expo,2026-03-02', 'mia@.x.example,,,,1,yes,,Expo,2026-03-02', 'mia.wong@x.example,,,,1,yes,,Expo,2026-03-02'].join('\n')), 1024 * 1024);
    expect(check.refused.map((r) => [r.row, r.reason])).toEqual([
      [1, 'email "mia@x..example" is not an email address'],
      [2, 'email ".mia@x.example" is not an email address'],
      [3, 'email "mia.@x.example" is not an email address'],
      [4, 'email "mia@.x.example" is not an email address'],
    ]);
    expect(check.accepted.map((a) => a.email)).toEqual(['mia.wong@x.example']);
  });
});
