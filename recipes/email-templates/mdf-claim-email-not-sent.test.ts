import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EmailTemplates } from '../../connectors/email/email-templates.ts';

const templates = new EmailTemplates(fileURLToPath(new URL('.', import.meta.url)));

/** The data a claim recipe's on_error step passes when a partner email was refused for good. */
function refused(extra: Record<string, unknown>) {
  return {
    ops: { ops_name: 'MDF Operations', ops_email: 'mdf.ops@vendor.example' },
    claim: { id: 41, mdfNumber: 'MDF-0902', title: 'Security Webinar Week' },
    what: 'your MDF claim is paid',
    error: 'hard bounce',
    refused_for_good: true,
    retried_for: '12 hours',
    ...extra,
  };
}

describe('mdf-claim-email-not-sent: which address failed and what to correct', () => {
  it('the Submitted By Email was refused for good: ops check that field of the request', async () => {
    const email = await templates.render('mdf-claim-email-not-sent', refused({ to: 'field@contoso.example', from: 'submitted_by_email' }));
    expect(email.text).toContain('could not be sent to field@contoso.example, the Submitted By Email of MDF request MDF-0902.');
    expect(email.text).toContain('Check the submitter email of the request in the PRM (its Submitted By Email;');
    expect(email.text).not.toContain('contact email');
  });

  it("the partner's contact email was refused for good: ops check the contact email, not the submitter's", async () => {
    const email = await templates.render('mdf-claim-email-not-sent', refused({ to: 'ops@northwind.example', from: 'partner_contact_email' }));
    expect(email.text).toContain("could not be sent to ops@northwind.example, the partner's contact email in the PRM (the Submitted By Email of MDF request MDF-0902 is no email address).");
    expect(email.text).toContain("Check the partner's contact email in the PRM");
    expect(email.text).not.toContain('Check the submitter email');
  });

  it('the partner had no address and the email to ops in its place failed: names the ops address, never "sent to ."', async () => {
    const email = await templates.render('mdf-claim-email-not-sent', refused({ to: 'mdf.ops@vendor.example', from: 'ops' }));
    expect(email.text).toContain(
      'could not be sent to the partner, who has no email address in the PRM, nor to mdf.ops@vendor.example in its place (mdf-request-email-not-sent).',
    );
    expect(email.text).toContain("Correct the Submitted By Email of MDF request MDF-0902 or the partner's contact email in the PRM, check the ops_email of the mdf-programme table");
    expect(email.text).not.toContain('sent to .');
    expect(email.text).not.toContain('Check the submitter email');
  });

  it("an older run's data (no `from`) still renders the old wording, and an empty `to` never reads \"sent to .\"", async () => {
    const old = await templates.render('mdf-claim-email-not-sent', refused({ to: 'field@contoso.example' }));
    expect(old.text).toContain('could not be sent to field@contoso.example. The email provider refused it for good');
    expect(old.text).toContain('Check the submitter email of the request in the PRM (the provider stops sending');
    const empty = await templates.render('mdf-claim-email-not-sent', refused({ to: '' }));
    expect(empty.text).toContain('could not be sent to the partner, who has no email address in the PRM, nor to ops in its place.');
    expect(empty.text).not.toContain('sent to .');
  });

  it('an email not taken after retries says so, whichever address', async () => {
    const email = await templates.render('mdf-claim-email-not-sent', refused({ to: 'ops@northwind.example', from: 'partner_contact_email', refused_for_good: false }));
    expect(email.text).toContain('did not take it for the 12 hours its sending was retried');
    expect(email.text).toContain('Check the email provider, then tell the partner.');
  });
});
