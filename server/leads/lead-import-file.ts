import { IsoDate } from '../../schemas/domain/prm-fields.ts';
import { cleanKeyField, cleanTextField, isLeadEmailAddress, leadEmail, phoneProblem } from '../../schemas/domain/lead-fields.ts';
import { readCrmPartnerId } from '../../schemas/domain/crm-partner-id.ts';
import { MARKETO_LIMITS } from '../../connectors/marketo/marketo-limits.ts';
import { CsvSyntaxError, readCsvRecords } from './csv-records.ts';

/** The columns of a booth-scan CSV (D22), in any order; each exactly once, no other. */
export const LEAD_IMPORT_COLUMNS = ['email', 'first_name', 'last_name', 'company', 'phone', 'opted_in', 'crm_partner_id', 'event', 'visited_on'] as const;

/** What `opted_in` must say for the lead to be opted in to the vendor's own emails (D22), in any case. */
const EXPLICIT_YES = new Set(['yes', 'true']);

/** One accepted row, ready for Marketo and the routing. */
export interface ImportedLead {
  row: number;
  line: number;
  email: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  /**
   * Null when the row has none: the import does not know the partner type, and only a Channel lead is
   * synced to the PRM, which needs a phone (D22, D20); the routing applies that rule after the partner lookup.
   */
  phone: string | null;
  opted_in: boolean;
  /** The 18-character form, or null: a lead without a partner is imported, not routed. */
  crm_partner_id: string | null;
  event: string;
  visited_on: string;
}

/** The import's answer: every row is in one of these lists (none is dropped silently). */
export interface LeadImportCheck {
  accepted: ImportedLead[];
  refused: Array<{ row: number; line: number; reason: string }>;
  /** Accepted rows imported without opting in (their `opted_in` was not an explicit yes), with the value given. */
  not_opted_in: Array<{ row: number; email: string; opted_in: string }>;
}

/**
 * How far a row's `visited_on` may be from the day of the import (D21, D22): the lead-routing table's
 * date_window_days_before and date_window_days_after. A date further off is a typo of the year (2062,
 * 1926) that the interesting moment would carry into Marketo and the PRM: the row is refused.
 */
export interface VisitDateWindow {
  /** The import's day, YYYY-MM-DD in UTC. */
  today: string;
  daysBefore: number;
  daysAfter: number;
}

const DAY_MS = 86_400_000;

/** Why the date is too far from the import's day, or null when it is within the window. */
function visitDateProblem(visitedOn: string, window: VisitDateWindow): string | null {
  const days = Math.round((Date.parse(`${visitedOn}T00:00:00Z`) - Date.parse(`${window.today}T00:00:00Z`)) / DAY_MS);
  if (days > window.daysAfter) {
    return `visited_on ${visitedOn} is ${days} days after the import (${window.today}), more than the ${window.daysAfter} the lead-routing table allows (date_window_days_after): is the year right?`;
  }
  if (-days > window.daysBefore) {
    return `visited_on ${visitedOn} is ${-days} days before the import (${window.today}), more than the ${window.daysBefore} the lead-routing table allows (date_window_days_before): is the year right?`;
  }
  return null;
}

/** A file refused whole: nothing of it is imported. `status` is the HTTP answer. */
export class LeadImportRefused extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    readonly line: number | null,
    message: string,
  ) {
    super(message);
    this.name = 'LeadImportRefused';
  }
}

/**
 * Checks a booth-scan CSV (D22): the whole file first (size, UTF-8, CSV syntax, header), refused whole
 * with the line; then each row, refused alone with its row number and reason. Row 1 is the first line
 * after the header; `line` is the file's line the row starts on.
 */
export function checkLeadImport(bytes: Uint8Array, maxBytes: number, dates?: VisitDateWindow): LeadImportCheck {
  if (bytes.byteLength > maxBytes) {
    throw new LeadImportRefused(413, lineAtByte(bytes, maxBytes), `the file is ${bytes.byteLength} bytes, over the limit of ${maxBytes} (LEAD_IMPORT_MAX_BYTES); it passes the limit on line ${lineAtByte(bytes, maxBytes)}; nothing was imported`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const line = firstLineNotUtf8(bytes);
    throw new LeadImportRefused(415, line, `line ${line}: the file is not UTF-8 (e.g. saved as Latin-1 or UTF-16); save it as CSV UTF-8; nothing was imported`);
  }
  let records;
  try {
    records = readCsvRecords(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new LeadImportRefused(400, error.line, `${error.message}; nothing was imported`);
    throw error;
  }
  // Excel writes a first line "sep=," (and European users add it) to say which character separates the
  // columns: a comma is this file's own, read as Excel means it; another is named as such.
  const sep = records[0]?.line === 1 ? /^sep=(.)$/i.exec(records[0].fields.join(',')) : null;
  if (sep) {
    if (sep[1] !== ',') {
      const what = sep[1] === '\t' ? 'a tab' : JSON.stringify(sep[1]);
      throw new LeadImportRefused(400, 1, `line 1: ${JSON.stringify(sep[0])} says the columns are separated by ${what}, not commas: save the file as "CSV UTF-8 (comma delimited)"; nothing was imported`);
    }
    records.shift();
  }
  const header = records.shift();
  if (!header) throw new LeadImportRefused(400, 1, 'line 1: the file is empty; the first line must be the header: ' + LEAD_IMPORT_COLUMNS.join(','));
  const names = header.fields.map((f) => f.trim().toLowerCase());
  if (names.length === 1 && names[0]!.includes(';') && LEAD_IMPORT_COLUMNS.every((c) => names[0]!.split(';').map((n) => n.trim()).includes(c))) {
    // Spreadsheets in many locales save "CSV" with semicolons.
    throw new LeadImportRefused(400, header.line, `line ${header.line}: the columns are separated by semicolons (;), not commas: save the file as "CSV UTF-8 (comma delimited)"; nothing was imported`);
  }
  if (names.length === 1 && names[0]!.includes('\t') && LEAD_IMPORT_COLUMNS.every((c) => names[0]!.split('\t').map((n) => n.trim()).includes(c))) {
    // Excel's "Unicode Text" and "Text (Tab delimited)" exports.
    throw new LeadImportRefused(400, header.line, `line ${header.line}: the columns are separated by tabs, not commas (a "Unicode Text" or "Text (Tab delimited)" export): save the file as "CSV UTF-8 (comma delimited)"; nothing was imported`);
  }
  const unknown = names.filter((n) => !(LEAD_IMPORT_COLUMNS as readonly string[]).includes(n));
  const missing = LEAD_IMPORT_COLUMNS.filter((c) => !names.includes(c));
  // Columns without a name are told as such (Excel's trailing commas), not as a column "" given twice.
  const twice = names.filter((n, i) => n !== '' && names.indexOf(n) !== i);
  if (unknown.length || missing.length || twice.length) {
    const named = unknown.filter((n) => n !== '');
    const empty = unknown.length - named.length;
    const parts = [
      named.length ? `unknown column(s) ${named.map((n) => JSON.stringify(n)).join(', ')}` : '',
      empty ? `${empty === 1 ? 'a column without a name' : `${empty} columns without a name`} (a comma at the end of the line?)` : '', missing.length ? `missing ${missing.join(', ')}` : '', twice.length ? `twice: ${twice.join(', ')}` : ''].filter(Boolean);
    throw new LeadImportRefused(400, header.line, `line ${header.line}: wrong header (${parts.join('; ')}); expected the columns ${LEAD_IMPORT_COLUMNS.join(',')} in any order; nothing was imported`);
  }
  // A header alone (the wrong sheet exported) would answer 202 with nothing imported, easily read as done.
  if (records.every((record) => record.fields.every((f) => f.trim() === ''))) {
    throw new LeadImportRefused(400, header.line + 1, `line ${header.line + 1}: the file has no rows after the header (only blank lines, if any); nothing was imported`);
  }
  const result: LeadImportCheck = { accepted: [], refused: [], not_opted_in: [] };
  const seen = new Map<string, number>();
  for (const [index, record] of records.entries()) {
    const row = index + 1;
    const refuse = (reason: string) => result.refused.push({ row, line: record.line, reason });
    // A line of spaces (or of empty fields) is a blank line, as a spreadsheet leaves at the end: skipped.
    if (record.fields.every((f) => f.trim() === '')) continue;
    if (record.fields.length !== names.length) {
      refuse(`has ${record.fields.length} fields, the header has ${names.length}`);
      continue;
    }
    const get = (column: (typeof LEAD_IMPORT_COLUMNS)[number]) => cleanField(column, record.fields[names.indexOf(column)]!);
    // Marketo refuses the whole batch of a value over its field length (or over 1 MB a call, 413): one
    // such row must be refused alone, not fail the 299 others of its batch and every batch after it.
    const tooLong = LEAD_IMPORT_COLUMNS.find((column) => get(column).length > MARKETO_LIMITS.stringFieldLength);
    if (tooLong) {
      refuse(`${tooLong} is ${get(tooLong).length} characters, over the ${MARKETO_LIMITS.stringFieldLength} a Marketo field holds`);
      continue;
    }
    // One address in one form (lead-fields.ts): "ü" typed or composed of "u" and a combining mark is the same person.
    const email = leadEmail(get('email'));
    // Two dots in a row, or a dot at the start or next to the @, is no address (Marketo would skip the row later).
    if (!isLeadEmailAddress(email)) {
      refuse(email ? `email ${JSON.stringify(get('email'))} is not an email address` : 'email is missing');
      continue;
    }
    const phone = get('phone');
    // D22 makes a phone mandatory for the PRM sync, which only a Channel partner's lead gets (D20): the
    // partner type is known after the routing's partner lookup, so a row without one is imported and the
    // routing decides (an Alliance lead is routed; a Channel lead is not shared, ops are told by name).
    // A value that is there but no number to call is still refused: the file is wrong where it says something.
    const problem = phone === '' ? null : phoneProblem(phone);
    if (problem) {
      refuse(
        {
          missing: 'phone is missing: a phone number is required for the PRM sync (D22)',
          // Columns swapped or shifted.
          'email-address': `phone ${JSON.stringify(phone)} is an email address, not a phone number: are the columns swapped? (D22)`,
          // Excel writes a long number without "+" so; the partner would get a number no one can call.
          'scientific-notation': `phone ${JSON.stringify(phone)} is a number in Excel's scientific notation: its digits are lost; export the file again with the phone column formatted as text (D22)`,
          // n/a, a dash, "none": what scanners and spreadsheets put in an empty cell.
          'no-digits': `phone ${JSON.stringify(phone)} has no digits: a phone number is required for the PRM sync (D22)`,
        }[problem],
      );
      continue;
    }
    const rawPartner = get('crm_partner_id');
    let crmPartnerId: string | null = null;
    if (rawPartner) {
      const read = readCrmPartnerId(rawPartner);
      if (!read.ok) {
        refuse(read.reason);
        continue;
      }
      crmPartnerId = read.id18;
    }
    // A repeat is the same person for the same partner (or twice without one). The same email with
    // another partner's CRM Partner ID is that partner's share of a joint booth (D20, D24): routed too.
    const repeatKey = `${email}\u0000${crmPartnerId ?? ''}`;
    if (seen.has(repeatKey)) {
      refuse(`email ${email} is on row ${seen.get(repeatKey)} already${crmPartnerId ? ` for CRM Partner ID ${crmPartnerId}` : ''}`);
      continue;
    }
    const event = get('event');
    if (!event) {
      refuse('event is missing: the interesting moment names the event (D21)');
      continue;
    }
    const visitedOn = get('visited_on');
    if (!IsoDate.safeParse(visitedOn).success) {
      refuse(`visited_on ${JSON.stringify(visitedOn)} is not a date (YYYY-MM-DD)`);
      continue;
    }
    const farOff = dates ? visitDateProblem(visitedOn, dates) : null;
    if (farOff) {
      refuse(farOff);
      continue;
    }
    seen.set(repeatKey, row);
    const optedInValue = get('opted_in');
    const optedIn = EXPLICIT_YES.has(optedInValue.toLowerCase());
    if (!optedIn) result.not_opted_in.push({ row, email, opted_in: optedInValue });
    const text = (v: string) => (v === '' ? null : v);
    result.accepted.push({
      row,
      line: record.line,
      email,
      first_name: text(get('first_name')),
      last_name: text(get('last_name')),
      company: text(get('company')),
      phone: text(phone),
      opted_in: optedIn,
      crm_partner_id: crmPartnerId,
      event,
      visited_on: visitedOn,
    });
  }
  return result;
}

/** The columns that identify or are read by the runtime (compared, routed on, parsed), not text shown as is. */
const KEY_COLUMNS = new Set<string>(['email', 'phone', 'crm_partner_id', 'opted_in', 'visited_on']);

/**
 * A field as the import uses it, cleaned as every lead's fields are (lead-fields.ts): one line, no-break
 * spaces as spaces, invisible format characters removed (all of them from the key columns, only the
 * zero-width space, word joiner and BOM from names, company and event), trimmed.
 */
function cleanField(column: string, raw: string): string {
  return KEY_COLUMNS.has(column) ? cleanKeyField(raw) : cleanTextField(raw);
}

/** The 1-based line the byte at this offset is on. */
function lineAtByte(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < Math.min(offset, bytes.byteLength); i++) if (bytes[i] === 0x0a) line += 1;
  return line;
}

/** The first line (1-based) that does not decode as UTF-8: each line is decoded alone, a line break being a byte of its own in UTF-8. */
function firstLineNotUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.byteLength; i++) {
    if (i === bytes.byteLength || bytes[i] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line += 1;
      start = i + 1;
    }
  }
  return line;
}
