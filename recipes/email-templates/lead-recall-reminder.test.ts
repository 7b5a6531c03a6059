import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EmailTemplates } from '../../connectors/email/email-templates.ts';

const templates = new EmailTemplates(fileURLToPath(new URL('.', import.meta.url)));
const partner = { partner_id: 101, name: 'Northwind Cloud' };

describe('lead-recall-reminder: how long ago the leads were shared (D24, review7 M2)', () => {
  it('one lead: its own age (lead-recall v16 passes each lead\'s days_since and the range)', async () => {
    const email = await templates.render('lead-recall-reminder', { partner, leads: [{ email: 'mia@initech.example', firstName: 'Mia', days_since: 31 }], days_since: 31, days_since_max: 31, days_left: 7 });
    expect(email.subject).toBe('1 lead will be recalled from Northwind Cloud in 7 days');
    expect(email.text).toContain('this lead, shared with you 31 days ago, has had no follow-up');
    expect(email.text).toContain('- Mia <mia@initech.example>\n');
  });

  it('leads of different ages: the range in the sentence and each lead\'s age on its line', async () => {
    const email = await templates.render('lead-recall-reminder', {
      partner,
      leads: [
        { email: 'ana@client-a.example', firstName: 'Ana', days_since: 23 },
        { email: 'ben@client-b.example', firstName: 'Ben', company: 'Client B', days_since: 1 },
      ],
      days_since: 1,
      days_since_max: 23,
      days_left: 7,
    });
    expect(email.text).toContain('these 2 leads, shared with you 1 to 23 days ago, have had no follow-up');
    expect(email.text.split('\n').filter((line) => line.startsWith('- '))).toEqual(['- Ana <ana@client-a.example> (shared 23 days ago)', '- Ben <ben@client-b.example>, Client B (shared 1 day ago)']);
  });

  it('a run of lead-recall v15 in flight (only the table\'s days_since, no ages per lead) still renders as before', async () => {
    const email = await templates.render('lead-recall-reminder', { partner, leads: [{ email: 'ana@client-a.example' }, { email: 'ben@client-b.example' }], days_since: 23, days_left: 7 });
    expect(email.text).toContain('these 2 leads, shared with you 23 days ago, have had no follow-up');
    expect(email.text.split('\n').filter((line) => line.startsWith('- '))).toEqual(['- <ana@client-a.example>', '- <ben@client-b.example>']);
  });

  it('D24: a notice of one day (reminder_day 29, recall_day 30) says "in 1 day", not "in 1 days"', async () => {
    const email = await templates.render('lead-recall-reminder', { partner, leads: [{ email: 'mia@initech.example', firstName: 'Mia', days_since: 29 }], days_since: 29, days_since_max: 29, days_left: 1 });
    expect(email.subject).toBe('1 lead will be recalled from Northwind Cloud in 1 day');
    expect(email.text).toContain('it will be recalled in 1 day and followed up by our own team.');
    const young = await templates.render('lead-recall-reminder', { partner, leads: [{ email: 'mia@initech.example', days_since: 1 }], days_since: 1, days_since_max: 1, days_left: 1 });
    expect(young.text).toContain('this lead, shared with you 1 day ago, has had no follow-up');
  });
});
