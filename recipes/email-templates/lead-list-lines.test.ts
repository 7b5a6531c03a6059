import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EmailTemplates } from '../../connectors/email/email-templates.ts';

const templates = new EmailTemplates(fileURLToPath(new URL('.', import.meta.url)));
const partner = { partner_id: 101, name: 'Northwind Cloud' };
/** A PRM lead whose company and last name someone typed on two lines in the portal (imports and web forms fold them; the PRM does not). */
const twoLines = { email: 'mia@initech.example', firstName: 'Mia', lastName: 'Wong\n', company: 'Initech, Zweigstelle\r\n  München', phone: '+49 89 555 0101' };
const other = { email: 'ben@client-b.example', firstName: 'Ben', company: 'Client B' };
const leadLines = (text: string) => text.split('\n').filter((line) => line.startsWith('- '));

describe('the recall reminder\'s lead list: one line per lead, whatever the PRM holds (review 7, L2)', () => {
  it('lead-recall-reminder (D24): a company with a line break stays on its lead\'s line', async () => {
    const email = await templates.render('lead-recall-reminder', { partner, leads: [{ ...twoLines, days_since: 24 }, { ...other, days_since: 23 }], days_since: 23, days_since_max: 24, days_left: 7 });
    expect(leadLines(email.text)).toEqual(['- Mia Wong <mia@initech.example>, Initech, Zweigstelle München (shared 24 days ago)', '- Ben <ben@client-b.example>, Client B (shared 23 days ago)']);
  });
});
