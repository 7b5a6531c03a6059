import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { PrmClient } from './prm-client.ts';
import { describePartners, LeadShareWindow, PartnerSummary, PRM_LEAD_PAGE_SIZE, syncedBetweenFilter } from './lead-share-window.ts';

/** The most leads without a Partner Synced Date an ops report names one by one (the count is always exact). */
const MAX_NAMED_UNDATED = 200;

/**
 * `prm.summarize_leads_synced`: the partners with leads synced to the PRM in the window (D23), each with
 * its name, Partner Contact Email and how many leads, and the leads created in the window without a
 * Partner Synced Date. The leads are streamed page by page (500 a page) and only counted, so a day of
 * 100,000 leads holds one page and one number per partner; the partners are read once each.
 */
export const summarizeLeadsSynced = defineAction({
  description: 'Partners with leads synced to the PRM in a window (counted, streamed page by page), and the leads created then without a Partner Synced Date.',
  input: LeadShareWindow,
  output: z.object({
    partners: z.array(PartnerSummary).describe('Each partner with at least one lead in the window, by partner id.'),
    lead_count: z.number().int(),
    lead_ids: z
      .record(z.string(), z.array(z.number().int()))
      .describe("D23: each partner's leads as this read found them (partner id → PRM lead ids): the digest lists each lead for the partner that held it at this read, so a lead ops move to another partner while the digests go out is in one digest, never none or two (leads.list_digest_leads)."),
    undated_count: z.number().int().describe('Leads created in the window without a Partner Synced Date.'),
    undated_leads: z.array(z.object({ id: z.number().int(), email: z.string(), partner_id: z.number().int().nullable() })).describe(`The first ${MAX_NAMED_UNDATED} of them.`),
    unreachable_leads: z
      .array(z.object({ id: z.number().int(), email: z.string(), partner_id: z.number().int() }))
      .describe(`The leads of the partners without a usable contact (no digest goes to them), the first ${MAX_NAMED_UNDATED}: ops forward them.`),
  }),
  idempotent: true,
  readOnly: true,
  async run(input, ctx: ActionContext<PrmClient>) {
    const prm = ctx.connection;
    const call = { signal: ctx.signal, note: ctx.note };
    const counts = new Map<number, number>();
    const leadIds: Record<string, number[]> = {};
    let leadCount = 0;
    for await (const lead of prm.listPartnerLeads({ ...call, filter: syncedBetweenFilter(input), orderby: 'Id asc', pageSize: PRM_LEAD_PAGE_SIZE })) {
      const partner = lead.partnerAccountId ?? 0;
      counts.set(partner, (counts.get(partner) ?? 0) + 1);
      (leadIds[String(partner)] ??= []).push(lead.id);
      leadCount += 1;
    }
    const partners = await describePartners(prm, counts, call);
    // Named for ops, who forward them by hand: a count alone cannot be acted on.
    const unreachable: Array<{ id: number; email: string; partner_id: number }> = [];
    for (const partner of partners.filter((p) => p.contact_email === null)) {
      if (unreachable.length >= MAX_NAMED_UNDATED) break;
      const filter = partner.partner_id > 0 ? syncedBetweenFilter(input, partner.partner_id) : `PartnerAccountId eq null and ${syncedBetweenFilter(input)}`;
      for await (const lead of prm.listPartnerLeads({ ...call, filter, orderby: 'Id asc', pageSize: PRM_LEAD_PAGE_SIZE })) {
        if (unreachable.length >= MAX_NAMED_UNDATED) break;
        unreachable.push({ id: lead.id, email: lead.email, partner_id: partner.partner_id });
      }
    }
    const undated: Array<{ id: number; email: string; partner_id: number | null }> = [];
    let undatedCount = 0;
    const undatedFilter = `PartnerSyncedDate eq null and created gt '${input.from}' and created le '${input.to}'`;
    for await (const lead of prm.listPartnerLeads({ ...call, filter: undatedFilter, orderby: 'Id asc', pageSize: PRM_LEAD_PAGE_SIZE })) {
      undatedCount += 1;
      if (undated.length < MAX_NAMED_UNDATED) undated.push({ id: lead.id, email: lead.email, partner_id: lead.partnerAccountId ?? null });
    }
    return { partners, lead_count: leadCount, lead_ids: leadIds, undated_count: undatedCount, undated_leads: undated, unreachable_leads: unreachable };
  },
});
