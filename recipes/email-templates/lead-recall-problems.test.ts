import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EmailTemplates } from '../../connectors/email/email-templates.ts';

const templates = new EmailTemplates(fileURLToPath(new URL('.', import.meta.url)));

/** The data lead-recall's `tell_ops` step passes, with nothing to report but `handed_over`. */
function recallDay(handedOver: Array<{ email: string; recalled_from: string; handed_to: string; salesforce: string }>) {
  return { ops: { ops_name: 'Partner Lead Operations' }, day: '2026-04-02', days_left: 7, partners: [], not_in_marketo: [], several_in_marketo: [], left_with_other_partner: [], handed_over: handedOver };
}

describe('lead-recall-problems: joint-booth hand-overs (D25)', () => {
  it('names each hand-over with what became of its Salesforce Lead, and escapes what it names in the HTML part', async () => {
    const email = await templates.render(
      'lead-recall-problems',
      recallDay([
        { email: 'ann.lee@client.example', recalled_from: '102', handed_to: '101', salesforce: 'handed over' },
        { email: 'bo.ruiz@client.example', recalled_from: '102', handed_to: '101', salesforce: 'no Lead' },
        { email: 'cy.ng@client.example', recalled_from: '102', handed_to: '105', salesforce: 'refused' },
        { email: "o'neil&co@client.example", recalled_from: '102', handed_to: '106', salesforce: "left as it was: no CRM Partner ID on the remaining partner's PRM lead" },
      ]),
    );
    expect(email.subject).toBe('Lead recall 2026-04-02: leads handed over to another partner');
    expect(email.text.split('\n').filter((line) => line.startsWith('- '))).toEqual([
      '- ann.lee@client.example: recalled from PRM account 102, handed over to PRM account 101; its Salesforce Lead too',
      '- bo.ruiz@client.example: recalled from PRM account 102, handed over to PRM account 101; Salesforce has no Lead for it',
      "- cy.ng@client.example: recalled from PRM account 102, handed over to PRM account 105 in Marketo only: Salesforce refused to update its Lead (the recall step's salesforce_refused says why)",
      "- o'neil&co@client.example: recalled from PRM account 102, handed over to PRM account 106 in Marketo only: its Salesforce Lead was left as it was, because PRM account 106's PRM lead has no CRM Partner ID (set it in the PRM, then the Lead's PartnerAccountId to that partner's Account)",
    ]);
    expect(email.html).toContain('- o&#39;neil&amp;co@client.example: recalled from PRM account 102');
    expect(email.html).not.toContain("o'neil&co");
  });
});
