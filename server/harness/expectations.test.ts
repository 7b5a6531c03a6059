import { describe, expect, it } from 'vitest';
import { checkNoEmailsTo, isAddressedTo, type MailboxEmail } from './expectations.ts';

/** Blind copies reach their recipients: a scenario's `no_emails_to` and `click` count them, as a fault's `to` does. */
const blindCopied: MailboxEmail = { to: ['marketing@adatum.example'], cc: [], bcc: ['Director.Emea@vendor.example'], subject: 'Approval needed: MDF-9101', text: '', html: '' };

describe('scenario expectations: Bcc', () => {
  it('no_emails_to fails for an address that was only blind-copied, naming the email and its Bcc', () => {
    expect(checkNoEmailsTo(['director.emea@vendor.example'], [blindCopied])).toEqual([
      'expected no email to director.emea@vendor.example, but this was sent:\n    - to marketing@adatum.example (Bcc Director.Emea@vendor.example): "Approval needed: MDF-9101"',
    ]);
    expect(checkNoEmailsTo(['someone.else@vendor.example'], [blindCopied])).toEqual([]);
  });

  it('an email counts as addressed to a Bcc recipient only when Bcc is asked for (click asks for To, Cc and Bcc)', () => {
    expect(isAddressedTo(blindCopied, 'director.emea@vendor.example')).toBe(false);
    expect(isAddressedTo(blindCopied, 'director.emea@vendor.example', { cc: true, bcc: true })).toBe(true);
  });
});
