import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { LeadsConnection } from './leads-connection.ts';
import { emailKey } from './email-key.ts';
import { PartnerLeadInput } from './partner-lead.ts';

/**
 * `leads.sync_to_prm` (D20, D23): shares a Channel lead with its partner as a PRM lead, keyed by email and
 * partner account. Partner Synced Date is set at the first sync and kept after: the digest (D23) and the
 * recall (D24, D25) count from when the partner got the lead, not from a later re-import. A lead the
 * partner lost to a recall (Recalled Date set) and shared with it again is a fresh share: a new Partner
 * Synced Date and the Recalled Date cleared, so it is in the next digest (D23) and reminded and recalled
 * on its own schedule (D24, D25).
 */
export const syncLeadToPrm = defineAction({
  description: "Creates or updates the partner's PRM lead (by email and partner account), setting Partner Synced Date at the first sync.",
  input: z.object({ lead: PartnerLeadInput, partner_id: z.number().int().positive() }),
  output: z.object({ id: z.number().int(), created: z.boolean(), partner_synced_date: z.string() }),
  // Found again by email and partner before a create, so a repeat updates the one lead.
  idempotent: true,
  uses: ['prm'],
  run: async ({ lead, partner_id }, ctx: ActionContext<LeadsConnection>) => {
    const prm = ctx.connection.prm();
    const call = { signal: ctx.signal, note: ctx.note };
    const email = emailKey(lead.email);
    const fields = {
      FirstName: lead.first_name ?? null,
      LastName: lead.last_name ?? null,
      Company: lead.company ?? null,
      Phone: lead.phone,
      CrmPartnerId: lead.crm_partner_id,
      ...(lead.interesting_moment ? { InterestingMoment: lead.interesting_moment } : {}),
    };
    let existing = null;
    for await (const found of prm.listPartnerLeads({ ...call, filter: `Email eq '${email.replaceAll("'", "''")}' and PartnerAccountId eq ${partner_id}`, pageSize: 1 })) {
      existing = found;
      break;
    }
    if (existing) {
      // A retry after this update landed finds the lead no longer recalled and keeps the new date.
      const reshared = !!existing.recalledDate;
      const synced = (!reshared && existing.partnerSyncedDate) || new Date(ctx.clock.now()).toISOString();
      const updated = await prm.updatePartnerLead(existing.id, { ...fields, PartnerSyncedDate: synced, ...(reshared ? { RecalledDate: null, RecallReminderDate: null } : {}) }, call);
      ctx.note(`${reshared ? `shared again PRM lead ${updated.id} recalled on ${existing.recalledDate}` : `updated PRM lead ${updated.id}`} of partner ${partner_id} (synced ${synced})`);
      return { id: updated.id, created: false, partner_synced_date: synced };
    }
    const synced = new Date(ctx.clock.now()).toISOString();
    const created = await prm.createPartnerLead({ ...fields, Email: email, PartnerAccountId: partner_id, PartnerSyncedDate: synced }, call);
    ctx.note(`created PRM lead ${created.id} for partner ${partner_id}`);
    return { id: created.id, created: true, partner_synced_date: synced };
  },
});
