import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { MARKETO_LIMITS } from '../marketo/marketo-limits.ts';
import type { PrmPartnerLead } from '../prm/prm-records.ts';
import { InactiveLeadsInput, recallableLeads } from './inactive-partner-leads.ts';
import type { LeadsConnection } from './leads-connection.ts';
import { recallSalesforceLeads } from './recall-salesforce-leads.ts';

/**
 * `leads.recall_inactive_leads` (D25, D26): takes back every lead synced in the window that the partner
 * has not touched and that is not from a partner-sponsored event. 300 at a time: Marketo `updateOnly`
 * by email clears the Impartner Partner Account and sets Marketing Suspended = false (scoring and
 * marketing resume), the Salesforce Leads lose their PartnerAccountId and get a Partner Recalled Date
 * (D1: PRM Lead ↔ Salesforce Lead; recall-salesforce-leads.ts), then each PRM lead gets its Recalled
 * Date (the portal stops listing it).
 *
 * Resumable: a lead with a Recalled Date is skipped, so an attempt after a failure (Marketo's daily
 * quota, 607: the engine waits for the reset without spending an attempt) recalls only the rest. A
 * batch whose Marketo write landed but whose PRM marks did not is written to Marketo again, with the
 * same values: no lead is recalled twice in effect, and none is told twice (nothing is sent).
 */
export const recallInactiveLeads = defineAction({
  description: 'Recalls the untouched, non-exempt leads synced in a window: Marketo updateOnly 300 a call (Impartner Partner Account cleared, Marketing Suspended = false), then the PRM lead\'s Recalled Date.',
  input: InactiveLeadsInput,
  output: z.object({
    recalled: z.number().int().describe('Leads recalled by this attempt.'),
    not_in_marketo: z.array(z.string()).describe('Emails Marketo has no lead for: recalled in the PRM only.'),
    not_in_salesforce: z.array(z.string()).describe('Emails Salesforce has no Lead for (D1): recalled in Marketo and the PRM.'),
    salesforce_refused: z.array(z.string()).describe('Salesforce Leads the org refused to update, with its reason.'),
    marketo_calls: z.number().int().describe('Marketo update calls (300 leads each); the Last Partner Activity reads come on top, one per 300 candidates.'),
  }),
  idempotent: true,
  async run(input, ctx: ActionContext<LeadsConnection>) {
    const prm = ctx.connection.prm();
    const marketo = ctx.connection.marketo().client;
    const call = { signal: ctx.signal, note: ctx.note };
    const salesforce = ctx.connection.salesforce().client;
    const keyField = ctx.connection.config.salesforceLeadKeyField;
    const notInMarketo: string[] = [];
    const notInSalesforce: string[] = [];
    const salesforceRefused: string[] = [];
    let recalled = 0;
    let calls = 0;
    const flush = async (batch: PrmPartnerLead[]) => {
      if (batch.length === 0) return;
      const leads = batch.map((lead) => ({ email: lead.email.toLowerCase(), impartnerPartnerAccount: null, marketingSuspended: false }));
      const results = await marketo.upsertLeads({ action: 'updateOnly', lookupField: 'email', leads }, call);
      calls += 1;
      results.forEach((result, i) => {
        if (result.status !== 'updated' && result.status !== 'created') notInMarketo.push(batch[i]!.email);
      });
      const at = new Date(ctx.clock.now()).toISOString();
      const inSalesforce = await recallSalesforceLeads(salesforce, keyField, leads.map((l) => l.email), at, call);
      notInSalesforce.push(...inSalesforce.notInSalesforce);
      salesforceRefused.push(...inSalesforce.refused);
      // Last: a lead with a Recalled Date is skipped by a later attempt, so Marketo and Salesforce are written first.
      for (const lead of batch) await prm.updatePartnerLead(lead.id, { RecalledDate: at }, call);
      recalled += batch.length;
    };
    let batch: PrmPartnerLead[] = [];
    for await (const lead of recallableLeads(prm, marketo, input, call)) {
      batch.push(lead);
      if (batch.length === MARKETO_LIMITS.batchSize) {
        await flush(batch);
        batch = [];
      }
    }
    await flush(batch);
    ctx.note(
      `recalled ${recalled} leads in ${calls} Marketo call${calls === 1 ? '' : 's'}${notInMarketo.length ? `; ${notInMarketo.length} not in Marketo` : ''}${notInSalesforce.length ? `; ${notInSalesforce.length} without a Salesforce Lead` : ''}${salesforceRefused.length ? `; Salesforce refused ${salesforceRefused.join(', ')}` : ''}`,
    );
    return { recalled, not_in_marketo: notInMarketo, not_in_salesforce: notInSalesforce, salesforce_refused: salesforceRefused, marketo_calls: calls };
  },
});
