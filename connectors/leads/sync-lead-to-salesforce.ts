import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { LeadsConnection } from './leads-connection.ts';
import { emailKey } from './email-key.ts';
import { PartnerLeadInput } from './partner-lead.ts';

/** What a Salesforce Lead needs and a booth scan may lack (LastName and Company are required there). */
const NOT_PROVIDED = '[not provided]';

/**
 * `leads.sync_to_salesforce` (D1): the PRM lead's Salesforce Lead, upserted by the lead key (its email in
 * lower case) as external ID, with the partner's Account as PartnerAccountId and the Partner Synced Date
 * (a Partner Recalled Date of an earlier recall cleared).
 */
export const syncLeadToSalesforce = defineAction({
  description: 'Creates or updates the Salesforce Lead of a partner lead (upsert by its key, the email in lower case).',
  input: z.object({ lead: PartnerLeadInput, partner_synced_date: z.string(), lead_source: z.string().default('Partner') }),
  output: z.object({ id: z.string(), created: z.boolean() }),
  idempotent: true,
  uses: ['salesforce'],
  run: async ({ lead, partner_synced_date, lead_source }, ctx: ActionContext<LeadsConnection>) => {
    const { client } = ctx.connection.salesforce();
    const keyField = ctx.connection.config.salesforceLeadKeyField;
    const key = emailKey(lead.email);
    const result = await client.upsert(
      'Lead',
      keyField,
      key,
      {
        FirstName: lead.first_name ?? null,
        LastName: lead.last_name || NOT_PROVIDED,
        Company: lead.company || NOT_PROVIDED,
        Email: key,
        Phone: lead.phone,
        LeadSource: lead_source,
        PartnerAccountId: lead.crm_partner_id,
        Partner_Synced_Date__c: partner_synced_date,
        // D25: a lead shared again after a recall is the partner's again.
        Partner_Recalled_Date__c: null,
      },
      { signal: ctx.signal, note: ctx.note },
    );
    ctx.note(`${result.created ? 'created' : 'updated'} Lead ${result.id} (${keyField} = ${key})`);
    return result;
  },
});
