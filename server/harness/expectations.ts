import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import type { ExpectedEmail, ExpectedRecord } from '../../schemas/scenario.ts';
import { didYouMean } from '../recipes/closest-name.ts';

/** An email as the simulated mailbox holds it. */
export interface MailboxEmail {
  to: string[];
  cc: string[];
  /** Blind copies: not in the message's headers, but delivered to them all the same. */
  bcc?: string[];
  subject: string;
  text: string;
  html: string;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Addresses compare without regard to letter case, as mail systems deliver them. */
export const sameAddress = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Whether the email is addressed to this address in To (or, with `cc`, in Cc too; with `bcc`, in Bcc too). */
export function isAddressedTo(email: MailboxEmail, address: string, options: { cc?: boolean; bcc?: boolean } = {}): boolean {
  return [...email.to, ...(options.cc ? email.cc : []), ...(options.bcc ? (email.bcc ?? []) : [])].some((a) => sameAddress(a, address));
}

/** Whether the Cc addresses are exactly these, in any order and letter case. */
function sameCc(expected: string[], actual: string[]): boolean {
  const norm = (l: string[]) => [...new Set(l.map((a) => a.toLowerCase()))].sort().join(',');
  return norm(expected) === norm(actual);
}

export function emailMatches(expected: z.output<typeof ExpectedEmail>, email: MailboxEmail): boolean {
  if (!isAddressedTo(email, expected.to)) return false;
  if (expected.subject !== undefined && !email.subject.includes(expected.subject)) return false;
  if (expected.cc !== undefined && !sameCc(expected.cc, email.cc)) return false;
  if (!list(expected.body_contains).every((s) => email.text.includes(s))) return false;
  if (list(expected.body_not_contains).some((s) => email.text.includes(s))) return false;
  if (!list(expected.html_contains).every((s) => email.html.includes(s))) return false;
  return !list(expected.html_not_contains).some((s) => email.html.includes(s));
}

export function describeExpectedEmail(e: z.output<typeof ExpectedEmail>): string {
  const parts = [`to ${e.to}`];
  if (e.subject !== undefined) parts.push(`subject containing "${e.subject}"`);
  if (e.cc !== undefined) parts.push(e.cc.length ? `Cc ${e.cc.join(', ')}` : 'no Cc');
  for (const s of list(e.body_contains)) parts.push(`body containing "${s}"`);
  for (const s of list(e.body_not_contains)) parts.push(`body without "${s}"`);
  for (const s of list(e.html_contains)) parts.push(`HTML containing "${s}"`);
  for (const s of list(e.html_not_contains)) parts.push(`HTML without "${s}"`);
  return `an email ${parts.join(', ')}`;
}

export function describeEmail(email: MailboxEmail): string {
  const bcc = email.bcc ?? [];
  return `to ${email.to.join(', ')}${email.cc.length ? ` (Cc ${email.cc.join(', ')})` : ''}${bcc.length ? ` (Bcc ${bcc.join(', ')})` : ''}: "${email.subject}"`;
}

/** Why an email that was sent does not match what was expected, to point the reader at the difference. */
export function closestMismatch(expected: z.output<typeof ExpectedEmail>, emails: MailboxEmail[]): string | null {
  const same = emails.filter((e) => isAddressedTo(e, expected.to));
  if (same.length === 0) return null;
  // The newest email to that address with the expected subject, else the newest: the one meant, most likely.
  const bySubject = expected.subject === undefined ? same : same.filter((e) => e.subject.includes(expected.subject!));
  const email = (bySubject.length ? bySubject : same).at(-1)!;
  const quoted = (l: string[]) => l.map((m) => `"${m}"`).join(', ');
  if (expected.subject !== undefined && !email.subject.includes(expected.subject)) return `the email to ${expected.to} has subject "${email.subject}"`;
  if (expected.cc !== undefined && !sameCc(expected.cc, email.cc)) {
    return `the email to ${expected.to} ("${email.subject}") has ${email.cc.length ? `Cc ${email.cc.join(', ')}` : 'no Cc'}`;
  }
  const missing = list(expected.body_contains).filter((s) => !email.text.includes(s));
  if (missing.length) return `the email to ${expected.to} ("${email.subject}") lacks ${quoted(missing)}; its body:\n${indent(email.text)}`;
  const present = list(expected.body_not_contains).filter((s) => email.text.includes(s));
  if (present.length) return `the email to ${expected.to} ("${email.subject}") contains ${quoted(present)}`;
  const missingHtml = list(expected.html_contains).filter((s) => !email.html.includes(s));
  if (missingHtml.length) return `the HTML of the email to ${expected.to} ("${email.subject}") lacks ${quoted(missingHtml)}; its HTML:\n${indent(email.html)}`;
  const presentHtml = list(expected.html_not_contains).filter((s) => email.html.includes(s));
  if (presentHtml.length) return `the HTML of the email to ${expected.to} ("${email.subject}") contains ${quoted(presentHtml)}`;
  return null;
}

/** The emails sent to any of these addresses (To, Cc or Bcc: a blind copy reaches them too), as failures of a `no_emails_to`. */
export function checkNoEmailsTo(addresses: readonly string[], emails: readonly MailboxEmail[]): string[] {
  return addresses.flatMap((address) => {
    const sent = emails.filter((e) => isAddressedTo(e, address, { cc: true, bcc: true }));
    return sent.length ? [`expected no email to ${address}, but ${sent.length === 1 ? 'this was' : 'these were'} sent:\n${sent.map((m) => `    - ${describeEmail(m)}`).join('\n')}`] : [];
  });
}

/** Whether a record has every field of `where` with an equal value (a scenario's way to pick records and rows). */
export function matchesWhere(record: Record<string, unknown>, where: Record<string, unknown>): boolean {
  return Object.entries(where).every(([k, v]) => isDeepStrictEqual(record[k], v));
}

/** Checks records of one simulated system against an expectation; returns the failures. */
export function checkRecords(expected: z.output<typeof ExpectedRecord>, records: Array<Record<string, unknown>>): string[] {
  const label = `${expected.system} ${expected.object} where ${JSON.stringify(expected.where)}`;
  const misspelt = misspeltWhereFields(expected.where, records);
  // Nothing matches a misspelt field, so a count of 0 of it would hold whatever the recipes do.
  if (misspelt.length > 0) return misspelt.map((m) => `${label}: no ${expected.object} record has a field "${m.field}"${m.hint}, so where can never match`);
  const matching = records.filter((r) => matchesWhere(r, expected.where));
  const failures: string[] = [];
  if (expected.count !== undefined && matching.length !== expected.count) {
    failures.push(`expected ${expected.count} ${label}, found ${matching.length}`);
  } else if (expected.count === undefined && matching.length === 0) {
    failures.push(`expected a record ${label}, found none (${records.length} ${expected.object} records in all)`);
  }
  for (const record of matching) {
    for (const [field, want] of Object.entries(expected.fields ?? {})) {
      // null expects an empty field, which a system shows as null or leaves out (a Marketo field never set).
      if (!isDeepStrictEqual(record[field], want) && !(want === null && record[field] === undefined)) {
        failures.push(`${label}: ${field} expected ${JSON.stringify(want)}, actual ${JSON.stringify(record[field])}`);
      }
    }
  }
  return failures;
}

/**
 * The `where` fields no record has, when a field the records do have is a typo away: a system leaves a
 * field never set out of a record (Marketo), so a field merely absent everywhere is not judged.
 */
function misspeltWhereFields(where: Record<string, unknown>, records: ReadonlyArray<Record<string, unknown>>): Array<{ field: string; hint: string }> {
  const known = new Set(records.flatMap((r) => Object.keys(r)));
  return Object.keys(where)
    .filter((field) => !known.has(field))
    .map((field) => ({ field, hint: didYouMean(field, known) }))
    .filter((m) => m.hint !== '');
}

export function indent(text: string, by = '      '): string {
  return text
    .replace(/\s+$/, '')
    .split('\n')
    // Blank lines stay blank: trailing spaces would only get in the way of copying the text.
    .map((line) => (line.trim() ? by + line : ''))
    .join('\n');
}
