import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { describePartners, PartnerSummary } from '../prm/lead-share-window.ts';
import { InactiveLeadsInput, recallableLeads } from './inactive-partner-leads.ts';
import type { LeadsConnection } from './leads-connection.ts';

/**
 * `leads.summarize_inactive_leads`: the partners whose leads synced in the window have had no partner
 * activity (D24), each with its contact and how many; sponsored-event leads (D26) and recalled ones are
 * left out. Streamed and counted: one page and one number per partner are held.
 */
export const summarizeInactiveLeads = defineAction({
  description: 'Partners with leads synced in a window and untouched since (not exempt, not recalled), counted per partner, with each partner\'s contact.',
  input: InactiveLeadsInput,
  output: z.object({ partners: z.array(PartnerSummary), lead_count: z.number().int() }),
  idempotent: true,
  uses: ['prm', 'marketo'],
  async run(input, ctx: ActionContext<LeadsConnection>) {
    const prm = ctx.connection.prm();
    const call = { signal: ctx.signal, note: ctx.note };
    const counts = new Map<number, number>();
    let total = 0;
    for await (const lead of recallableLeads(prm, ctx.connection.marketo().client, input, call)) {
      const partner = lead.partnerAccountId ?? 0;
      counts.set(partner, (counts.get(partner) ?? 0) + 1);
      total += 1;
    }
    return { partners: await describePartners(prm, counts, call), lead_count: total };
  },
});
