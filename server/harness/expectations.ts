import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import type { ExpectedEmail, ExpectedRecord } from '../../schemas/scenario.ts';

/** An email as the simulated mailbox holds it. */
export interface MailboxEmail {
  to: string[];
  cc: string[];
  subject: string;
  text: string;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function emailMatches(expected: z.output<typeof ExpectedEmail>, email: MailboxEmail): boolean {
  const to = expected.to.toLowerCase();
  if (!email.to.some((t) => t.toLowerCase() === to)) return false;
  if (expected.subject !== undefined && !email.subject.includes(expected.subject)) return false;
  if (!list(expected.body_contains).every((s) => email.text.includes(s))) return false;
  return !list(expected.body_not_contains).some((s) => email.text.includes(s));
}

export function describeExpectedEmail(e: z.output<typeof ExpectedEmail>): string {
  const parts = [`to ${e.to}`];
  if (e.subject !== undefined) parts.push(`subject containing "${e.subject}"`);
  for (const s of list(e.body_contains)) parts.push(`body containing "${s}"`);
  for (const s of list(e.body_not_contains)) parts.push(`body without "${s}"`);
  return `an email ${parts.join(', ')}`;
}

export function describeEmail(email: MailboxEmail): string {
  return `to ${email.to.join(', ')}: "${email.subject}"`;
}

/** Why an email that was sent does not match what was expected, to point the reader at the difference. */
export function closestMismatch(expected: z.output<typeof ExpectedEmail>, emails: MailboxEmail[]): string | null {
  const to = expected.to.toLowerCase();
  const same = emails.filter((e) => e.to.some((t) => t.toLowerCase() === to));
  if (same.length === 0) return null;
  const email = same[same.length - 1]!;
  if (expected.subject !== undefined && !email.subject.includes(expected.subject)) return `the email to ${expected.to} has subject "${email.subject}"`;
  const missing = list(expected.body_contains).filter((s) => !email.text.includes(s));
  if (missing.length) return `the email to ${expected.to} ("${email.subject}") lacks ${missing.map((m) => `"${m}"`).join(', ')}; its body:\n${indent(email.text)}`;
  const present = list(expected.body_not_contains).filter((s) => email.text.includes(s));
  if (present.length) return `the email to ${expected.to} ("${email.subject}") contains ${present.map((m) => `"${m}"`).join(', ')}`;
  return null;
}

/** Checks records of one simulated system against an expectation; returns the failures. */
export function checkRecords(expected: z.output<typeof ExpectedRecord>, records: Array<Record<string, unknown>>): string[] {
  const label = `${expected.system} ${expected.object} where ${JSON.stringify(expected.where)}`;
  const matching = records.filter((r) => Object.entries(expected.where).every(([k, v]) => isDeepStrictEqual(r[k], v)));
  const failures: string[] = [];
  if (expected.count !== undefined && matching.length !== expected.count) {
    failures.push(`expected ${expected.count} ${label}, found ${matching.length}`);
  } else if (expected.count === undefined && matching.length === 0) {
    failures.push(`expected a record ${label}, found none (${records.length} ${expected.object} records in all)`);
  }
  for (const record of matching) {
    for (const [field, want] of Object.entries(expected.fields ?? {})) {
      if (!isDeepStrictEqual(record[field], want)) {
        failures.push(`${label}: ${field} expected ${JSON.stringify(want)}, actual ${JSON.stringify(record[field])}`);
      }
    }
  }
  return failures;
}

export function indent(text: string, by = '      '): string {
  return text
    .replace(/\s+$/, '')
    .split('\n')
    // Blank lines stay blank: trailing spaces would only get in the way of copying the text.
    .map((line) => (line.trim() ? by + line : ''))
    .join('\n');
}
