import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EmailTemplates } from '../../connectors/email/email-templates.ts';

const templates = new EmailTemplates(fileURLToPath(new URL('.', import.meta.url)));

const ops = { ops_name: 'Partner Lead Operations' };
const lead = { email: 'twin@client.example', company: 'Fourth Coffee', crm_partner_id: '0015e00000NWCLD001' };
const partner = { id: 101, name: 'Northwind Cloud', type: 'Channel' };
const source = 'from the web form Cloud Migration Assessment';

describe('lead-routing emails to ops (D20, D27)', () => {
  it('lead-several-in-marketo names the Marketo leads to merge and says the share is on each', async () => {
    const email = await templates.render('lead-several-in-marketo', { ops, lead, partner, source, marketo_ids: [5, 9] });
    expect(email.subject).toBe('Partner lead twin@client.example is 2 Marketo leads: shared with Northwind Cloud on each, merge them');
    expect(email.text).toContain('Marketo has 2 leads with this email: 5, 9.');
    expect(email.text).toContain('Merge these Marketo leads into one');
  });

  it('lead-routing-failed says a skip by Marketo is no outage, and what a retry does then; an outage reads as before', async () => {
    const base = { ops, lead, partner, source, run_id: 'run_1', step: 'channel.share_with_partner', done: [], not_done: ['Marketo: the lead is not yet assigned to the partner'] };
    const skipped = await templates.render('lead-routing-failed', { ...base, error_name: 'MarketoLeadsSkipped', error: 'marketo: the updateOnly by id skipped 1 of 2 leads (id 9: 1004 Lead not found); the other 1 was written' });
    expect(skipped.text).toContain('stopped at step channel.share_with_partner (Marketo answered but skipped a lead, which retrying does not change');
    expect(skipped.text).toContain('id 9: 1004 Lead not found');
    expect(skipped.text).toContain('a lead merged or deleted since (1004) stays skipped');
    const outage = await templates.render('lead-routing-failed', { ...base, error_name: 'ServerError', error: 'prm 503' });
    expect(outage.text).toContain('stopped at step channel.share_with_partner after retrying with backoff:');
    expect(outage.text).not.toContain('stays skipped');
  });

  it('lead-routing-failed of a routing whose writes read the Marketo leads again (lead-routing v7): a retry suffices after a merge, nothing is set by hand', async () => {
    const base = { ops, lead, partner, source, run_id: 'run_1', step: 'share_with_partner', done: [], not_done: ['Marketo: the lead is not yet assigned to the partner'], marketo_leads_read_when_written: true };
    const refused = await templates.render('lead-routing-failed', { ...base, error_name: 'MarketoLeadsSkipped', error: "marketo: the updateOnly by id skipped 1 of 1 lead (id 9: 1003 Invalid value 'x' for field 'partnerType' (string))" });
    expect(refused.text).toContain('stopped at step share_with_partner (Marketo answered but refused a value for a lead, which retrying alone does not change');
    expect(refused.text).toContain('the retry reads the leads of the email again and writes the lead that remains');
    expect(refused.text).not.toContain('by hand.');
    expect(refused.text).not.toContain('stays skipped');
    const outage = await templates.render('lead-routing-failed', { ...base, error_name: 'ServerError', error: 'marketo POST /rest/v1/leads.json failed: 500' });
    expect(outage.text).toContain('stopped at step share_with_partner after retrying with backoff:');
    expect(outage.text).toContain('Merging duplicate Marketo leads meanwhile is fine: the retry writes the lead that remains.');
  });
});
