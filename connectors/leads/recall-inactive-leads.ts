import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { MARKETO_LIMITS } from '../marketo/marketo-limits.ts';
import { InactiveLeadsInput, recallableLeadsInMarketo, stillThePartners, type RecallableLead } from './inactive-partner-leads.ts';
import type { LeadsConnection } from './leads-connection.ts';
import { recallSalesforceLeads } from './recall-salesforce-leads.ts';

/**
 * `leads.recall_inactive_leads` (D25, D26): takes back every lead synced in the window that the partner
 * has not touched and that is not from a partner-sponsored event. 300 at a time: Marketo `updateOnly`
 * by email clears the Impartner Partner Account and sets Marketing Suspended = false (scoring and
 * marketing resume), the Salesforce Leads lose their PartnerAccountId and get a Partner Recalled Date
 * (D1: PRM Lead ↔ Salesforce Lead; recall-salesforce-leads.ts), then each PRM lead gets its Recalled
 * Date (the portal stops listing it). A lead shared meanwhile with another partner (its Marketo lead's
 * Impartner Partner Account, or its Salesforce Lead's PartnerAccountId, names that partner) keeps it:
 * only the recalled partner's PRM lead gets its Recalled Date (D25).
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
    left_with_other_partner: z.array(z.string()).describe('Emails shared meanwhile with another partner: recalled in the PRM from this partner only, their Marketo or Salesforce partner fields left to the other partner (D25).'),
    marketo_calls: z.number().int().describe('Marketo update calls (300 leads each); the Last Partner Activity reads come on top, one per 300 candidates.'),
  }),
  idempotent: true,
  uses: ['prm', 'marketo', 'salesforce'],
  async run(input, ctx: ActionContext<LeadsConnection>) {
    const prm = ctx.connection.prm();
    const marketo = ctx.connection.marketo().client;
    const call = { signal: ctx.signal, note: ctx.note };
    const salesforce = ctx.connection.salesforce().client;
    const keyField = ctx.connection.config.salesforceLeadKeyField;
    const notInMarketo: string[] = [];
    const notInSalesforce: string[] = [];
    const salesforceRefused: string[] = [];
    const otherPartner: string[] = [];
    let recalled = 0;
    let calls = 0;
    const flush = async (batch: RecallableLead[]) => {
      if (batch.length === 0) return;
      // D25: only the recalled partner's hold is released; a lead another partner got since stays theirs.
      const ours = batch.filter(stillThePartners);
      otherPartner.push(...batch.filter((r) => !stillThePartners(r)).map((r) => r.lead.email.toLowerCase()));
      const leads = ours.map(({ lead }) => ({ email: lead.email.toLowerCase(), impartnerPartnerAccount: null, marketingSuspended: false }));
      if (leads.length > 0) {
        const results = await marketo.upsertLeads({ action: 'updateOnly', lookupField: 'email', leads }, call);
        calls += 1;
        results.forEach((result, i) => {
          if (result.status !== 'updated' && result.status !== 'created') notInMarketo.push(ours[i]!.lead.email);
        });
      }
      const at = new Date(ctx.clock.now()).toISOString();
      const partners = new Map(ours.map(({ lead }) => [lead.email.toLowerCase(), lead.crmPartnerId]));
      const inSalesforce = await recallSalesforceLeads(salesforce, keyField, leads.map((l) => l.email), at, call, partners);
      notInSalesforce.push(...inSalesforce.notInSalesforce);
      for (const key of inSalesforce.otherPartners) if (!otherPartner.includes(key)) otherPartner.push(key);
      salesforceRefused.push(...inSalesforce.refused);
      // Last: a lead with a Recalled Date is skipped by a later attempt, so Marketo and Salesforce are written first.
      for (const { lead } of batch) await prm.updatePartnerLead(lead.id, { RecalledDate: at }, call);
      recalled += batch.length;
    };
    let batch: RecallableLead[] = [];
    for await (const lead of recallableLeadsInMarketo(prm, marketo, input, call)) {
      batch.push(lead);
      if (batch.length === MARKETO_LIMITS.batchSize) {
        await flush(batch);
        batch = [];
      }
    }
    await flush(batch);
    ctx.note(
      `recalled ${recalled} leads in ${calls} Marketo call${calls === 1 ? '' : 's'}${notInMarketo.length ? `; ${notInMarketo.length} not in Marketo` : ''}${notInSalesforce.length ? `; ${notInSalesforce.length} without a Salesforce Lead` : ''}${salesforceRefused.length ? `; Salesforce refused ${salesforceRefused.join(', ')}` : ''}${otherPartner.length ? `; left with another partner: ${otherPartner.join(', ')}` : ''}`,
    );
    return { recalled, not_in_marketo: notInMarketo, not_in_salesforce: notInSalesforce, salesforce_refused: salesforceRefused, left_with_other_partner: otherPartner, marketo_calls: calls };
  },
});
