import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { PrmClient } from './prm-client.ts';
import { LeadShareWindow, PRM_LEAD_PAGE_SIZE, syncedBetweenFilter } from './lead-share-window.ts';
import { withTextOnOneLine } from './one-line.ts';

/**
 * A lead as the PRM client validated it when it arrived (its page's schema): checked again for being a
 * record, not copied field by field (z.record rebuilds every lead: 100,000 per D23 digest).
 */
export const LeadRecord = z.custom<Record<string, unknown>>((value) => value !== null && typeof value === 'object' && !Array.isArray(value), { message: 'a lead record' });

/**
 * `prm.list_leads_synced_between`: one partner's leads synced to the PRM in the window (D23), oldest
 * first: what its digest lists. One partner's day, not the whole day, is held. A line break typed in the
 * portal in a text field (a name, a company) is folded to a space (oneLine), so each lead stays one
 * line of the digest.
 */
export const listLeadsSyncedBetween = defineAction({
  description: "One partner's leads synced to the PRM in a window (Partner Synced Date after `from`, at or before `to`), by id; line breaks in their text fields folded to a space.",
  input: LeadShareWindow.extend({ partner_id: z.coerce.number().int().positive().describe('The PRM partner account id.') }),
  output: z.object({ leads: z.array(LeadRecord), count: z.number().int() }),
  idempotent: true,
  readOnly: true,
  async run(input, ctx: ActionContext<PrmClient>) {
    const leads: Array<Record<string, unknown>> = [];
    const filter = syncedBetweenFilter(input, input.partner_id);
    for await (const lead of ctx.connection.listPartnerLeads({ signal: ctx.signal, note: ctx.note, filter, orderby: 'Id asc', pageSize: PRM_LEAD_PAGE_SIZE })) {
      leads.push(withTextOnOneLine(lead));
    }
    return { leads, count: leads.length };
  },
});
