import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { CallOptions } from '../kit/http-client.ts';
import { PARTNER_LEAD_FIELDS } from '../marketo/marketo-lead-fields.ts';
import type { MarketoClient } from '../marketo/marketo-client.ts';
import { LeadShareWindow, PRM_LEAD_PAGE_SIZE, syncedBetweenFilter } from '../prm/lead-share-window.ts';
import { LeadRecord } from '../prm/list-leads-synced-between.ts';
import { withTextOnOneLine } from '../prm/one-line.ts';
import type { PrmPartnerLead } from '../prm/prm-records.ts';
import { emailKey } from './email-key.ts';
import { isExemptSource } from './inactive-partner-leads.ts';
import type { LeadsConnection } from './leads-connection.ts';

/** Ids per `Id in (…)` read of the PRM: a URL far below the usual 8 KB limit. */
const LEADS_BY_ID_PER_CALL = 100;

/**
 * `leads.list_digest_leads` (D23, D26): one partner's leads of a lead-share digest, what its email lists.
 *
 * D23, never zero, never twice: with `lead_ids` (the leads the digest's count, `prm.summarize_leads_synced`,
 * found this partner holding when it read the window), the partner gets exactly those: a lead ops gave
 * to another partner after the count is still in this partner's digest (read by id), and a lead given to
 * this partner after the count is left out (it is in the digest of the partner that held it then). Each
 * partner's read comes later than the count, after the partners before it (their emails retried for up
 * to 12 hours): read by current holder alone, a lead moved from a partner not yet read to one already
 * read was in no digest, and one moved the other way in two. Without `lead_ids` (a count made by an
 * older version), the partner's current leads, as before.
 *
 * D26: each lead is marked `recallExempt` when its Lead Acquisition Source is the exempt one, on a Marketo
 * lead with its email (read 300 at a time, as the recall reads it) or on the PRM lead: the recall never
 * takes those back, so the digest does not tell the partner it will. A line break typed in the portal
 * in a text field is folded to a space (oneLine), so each lead stays one line of the digest.
 */
export const listDigestLeads = defineAction({
  description: "One partner's leads of a lead-share digest: those the digest's count found it holding (lead_ids), each marked recallExempt when its Lead Acquisition Source is the exempt one (D26).",
  input: LeadShareWindow.extend({
    partner_id: z.coerce.number().int().positive().describe('The PRM partner account id.'),
    lead_ids: z.array(z.number().int().positive()).nullish().describe("D23: the PRM lead ids the digest's count found this partner holding (summary.lead_ids); without it (null: a count of an older version), the partner's leads now."),
    exempt_source: z.string().min(1).optional().describe('D26: the Lead Acquisition Source whose leads are never recalled (the lead-share table); without it, no lead is marked.'),
  }),
  output: z.object({ leads: z.array(LeadRecord), count: z.number().int(), exempt_count: z.number().int() }),
  idempotent: true,
  readOnly: true,
  uses: ['prm', 'marketo'],
  async run(input, ctx: ActionContext<LeadsConnection>) {
    const prm = ctx.connection.prm();
    const call = { signal: ctx.signal, note: ctx.note };
    const counted = input.lead_ids ? new Set(input.lead_ids) : null;
    const leads: PrmPartnerLead[] = [];
    let movedIn = 0;
    for await (const lead of prm.listPartnerLeads({ ...call, filter: syncedBetweenFilter(input, input.partner_id), orderby: 'Id asc', pageSize: PRM_LEAD_PAGE_SIZE })) {
      if (counted && !counted.has(lead.id)) movedIn += 1;
      else leads.push(lead);
    }
    if (counted) {
      const found = new Set(leads.map((lead) => lead.id));
      const movedAway = [...counted].filter((id) => !found.has(id));
      for (let i = 0; i < movedAway.length; i += LEADS_BY_ID_PER_CALL) {
        const ids = movedAway.slice(i, i + LEADS_BY_ID_PER_CALL);
        for await (const lead of prm.listPartnerLeads({ ...call, filter: `Id in (${ids.join(', ')}) and ${syncedBetweenFilter(input)}`, orderby: 'Id asc', pageSize: PRM_LEAD_PAGE_SIZE })) leads.push(lead);
      }
      if (movedAway.length > 0) ctx.note(`${movedAway.length} lead(s) this partner held at the digest's count were given to another partner (or left the window) since: listed here, where the count put them`);
      if (movedIn > 0) ctx.note(`${movedIn} lead(s) given to this partner after the digest's count: left out, they are in the digest of the partner that held them then`);
      leads.sort((a, b) => a.id - b.id);
    }
    const exempt = input.exempt_source === undefined ? new Set<string>() : await exemptInMarketo(ctx.connection.marketo().client, leads, input.exempt_source, call);
    let exemptCount = 0;
    const lines = leads.map((lead) => {
      const recallExempt = input.exempt_source !== undefined && (isExemptSource(lead.leadAcquisitionSource, input.exempt_source) || exempt.has(emailKey(lead.email)));
      if (recallExempt) exemptCount += 1;
      return { ...withTextOnOneLine(lead), recallExempt };
    });
    return { leads: lines, count: lines.length, exempt_count: exemptCount };
  },
});

/** The emails of the leads whose Marketo lead (any of them) has the exempt Lead Acquisition Source (D26), read 300 emails at a time. */
async function exemptInMarketo(marketo: MarketoClient, leads: readonly PrmPartnerLead[], exemptSource: string, call: CallOptions): Promise<Set<string>> {
  const exempt = new Set<string>();
  const emails = [...new Set(leads.map((lead) => emailKey(lead.email)))].filter((email) => email !== '');
  const source = PARTNER_LEAD_FIELDS.leadAcquisitionSource.name;
  // leadsBy cuts the emails into calls of 300 at most (fewer for Marketo's 8 KB URL limit).
  for await (const lead of marketo.leadsBy('email', emails, ['email', source], call)) {
    if (isExemptSource(lead[source], exemptSource)) exempt.add(emailKey(String(lead.email ?? '')));
  }
  return exempt;
}
