import { z } from 'zod';

/**
 * How a partner lead's fields are cleaned, wherever the lead comes from: a booth-scan file (the list
 * import, server/leads/lead-import-file.ts) or a web form (`leads.web_form.submitted`,
 * connectors/leads/web-form-events.ts). One definition, so the two paths can never differ on what is
 * the same person or the same phone (D20, D22):
 * - every field is one line: a line break (Excel's Alt+Enter, a textarea) and the spaces around it
 *   become one space, so a company on two lines is not two lines of a digest;
 * - no-break spaces are spaces;
 * - invisible format characters, which a value pasted from a web page or a CRM carries (zero-width
 *   space U+200B, joiners U+200C/D, word joiner U+2060, BOM U+FEFF, soft hyphen, direction marks: all
 *   of Unicode's Cf), are removed from the identifying fields (email, phone, CRM Partner ID, ...):
 *   `mia@initech.example` with one is the same person. In names, company and event only the zero-width
 *   space, word joiner and BOM are removed (the joiners spell words in some scripts);
 * - then the value is trimmed;
 * - an email is compared in NFC and lower case: "ü" typed or composed of "u" and a combining mark is
 *   the same person.
 */

const LINE_BREAK = /[\r\n\v\f\u0085\u2028\u2029]/;

/** The value on one line: each line break and the spaces around it are one space. */
function oneLine(raw: string): string {
  // Split and trimmed, not one regex around the break: linear on a long run of spaces.
  return LINE_BREAK.test(raw)
    ? raw
        .split(LINE_BREAK)
        .map((part) => part.trim())
        .filter((part) => part !== '')
        .join(' ')
    : raw;
}

/** An identifying field (email, phone, CRM Partner ID, a flag, a date): one line, no invisible character, trimmed. */
export function cleanKeyField(raw: string): string {
  return oneLine(raw).replace(/[\u00a0\u2007\u202f]/g, ' ').replace(/\p{Cf}/gu, '').trim();
}

/** A text field shown as is (names, company, event, form): one line, without zero-width space, word joiner or BOM, trimmed. */
export function cleanTextField(raw: string): string {
  return oneLine(raw).replace(/[\u00a0\u2007\u202f]/g, ' ').replace(/[\u200b\u2060\ufeff]/g, '').trim();
}

/** The email a lead is known by: cleaned as an identifying field, in NFC, in lower case. */
export function leadEmail(raw: string): string {
  return cleanKeyField(raw).normalize('NFC').toLowerCase();
}

/**
 * Whether a lead's email (as `leadEmail` gives it) is an address Marketo takes: one @, a dot in the
 * domain, no spaces; two dots in a row, or a dot at the start or next to the @, is none (Marketo skips it).
 */
export function isLeadEmailAddress(email: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) && !/\.\.|^\.|\.@|@\./.test(email);
}

/**
 * Excel shows a long number without "+" (4989555501010) as 4.98956E+11 and saves it so: the digits
 * are gone, and the partner would get a number no one can call.
 */
export const SCIENTIFIC_NOTATION = /^[+-]?\d+(?:[.,]\d+)?e[+-]?\d+$/i;

/** What is wrong with a lead's phone (cleaned as an identifying field), or null when it is a number to call. */
export type PhoneProblem = 'missing' | 'email-address' | 'scientific-notation' | 'no-digits';

/**
 * Why a lead's phone is no number to call, or null when it is one. The list import refuses such a row
 * (D22); the routing treats such a phone from a web form, or in Marketo, as none (lead-routing's
 * `phone`, which applies the same tests in JSONata; lead-fields.test.ts holds the two together).
 */
export function phoneProblem(phone: string): PhoneProblem | null {
  if (!phone) return 'missing';
  // An address in the phone field (columns swapped or shifted) is no number to call either.
  if (phone.includes('@')) return 'email-address';
  if (SCIENTIFIC_NOTATION.test(phone)) return 'scientific-notation';
  // n/a, a dash, "none": what scanners, spreadsheets and site visitors put in an empty field.
  if (!/\d/.test(phone)) return 'no-digits';
  return null;
}

/**
 * Readers for a web form's fields (`leads.web_form.submitted`). A submission is never refused over the
 * form of one field (a webhook answered 400 is lost, and so would be the lead): each field is cleaned
 * as above, and a phone that is no number to call reaches the routing as sent, where it counts as no
 * phone (D22).
 */
const orAsSent =
  (clean: (raw: string) => string, blank: 'null' | 'as-sent') =>
  (value: unknown): unknown => {
    // A form tool that types the field as a number (a phone typed in digits) sends a JSON number.
    if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
    if (typeof value !== 'string') return value;
    const cleaned = clean(value);
    if (cleaned !== '') return cleaned;
    return blank === 'null' ? null : value;
  };

/** A web form's email: cleaned, NFC, lower case (what dedup keys and the Marketo lookup use). */
export const WebFormEmail = z.preprocess((value) => (typeof value === 'string' ? leadEmail(value) : value), z.string().min(3));
/** A web form's text field shown as is (names, company): one line, cleaned; null when blank. */
export const WebFormText = z.preprocess(orAsSent(cleanTextField, 'null'), z.string().nullish());
/** A web form's identifying field (phone, utm_partnerid): cleaned as such; null when blank. */
export const WebFormKey = z.preprocess(orAsSent(cleanKeyField, 'null'), z.string().nullish());
/** A required single-line text (the form's name): cleaned, or as sent when nothing is left of it. */
export const webFormLine = (schema: z.ZodString) => z.preprocess(orAsSent(cleanTextField, 'as-sent'), schema);
