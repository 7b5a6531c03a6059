import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { InactiveLeadsInput, recallableLeads } from './inactive-partner-leads.ts';
import type { LeadsConnection } from './leads-connection.ts';

/** `leads.list_inactive_leads`: one partner's untouched leads of the window (D24), by id: what its recall reminder lists. */
export const listInactiveLeads = defineAction({
  description: "One partner's leads synced in a window and untouched since (not exempt, not recalled), by id.",
  input: InactiveLeadsInput.extend({ partner_id: z.coerce.number().int().positive().describe('The PRM partner account id.') }),
  output: z.object({ leads: z.array(z.record(z.string(), z.unknown())), count: z.number().int() }),
  idempotent: true,
  uses: ['prm', 'marketo'],
  async run(input, ctx: ActionContext<LeadsConnection>) {
    const leads: Array<Record<string, unknown>> = [];
    for await (const lead of recallableLeads(ctx.connection.prm(), ctx.connection.marketo().client, input, { signal: ctx.signal, note: ctx.note })) leads.push(lead);
    return { leads, count: leads.length };
  },
});
