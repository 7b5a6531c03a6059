import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { LeadsConnection } from './leads-connection.ts';

/**
 * `leads.mark_recall_reminded` (D24): sets the PRM leads' Recall Reminder Date once their partner's
 * reminder went out (or ops were told it could not: no contact email, an address refused for good).
 * The reminder reads only leads without it, so no lead is reminded twice; the recall reads only leads
 * whose date is at least recall_day - reminder_day days old, so none is recalled before its notice.
 * A lead that already has one keeps it (a retried run moves no notice later).
 */
export const markRecallReminded = defineAction({
  description: "Sets the PRM leads' Recall Reminder Date (D24), leaving a date already set.",
  input: z.object({
    leads: z.array(z.object({ id: z.coerce.number().int().positive(), recallReminderDate: z.string().nullable().optional() }).loose()).describe('The PRM leads reminded, as leads.list_inactive_leads lists them.'),
    at: z.iso.datetime({ offset: true }).describe('When: the scheduled time of the reminder run.'),
  }),
  output: z.object({ marked: z.number().int() }),
  idempotent: true,
  uses: ['prm'],
  async run(input, ctx: ActionContext<LeadsConnection>) {
    const prm = ctx.connection.prm();
    let marked = 0;
    for (const lead of input.leads) {
      if (lead.recallReminderDate) continue;
      await prm.updatePartnerLead(lead.id, { RecallReminderDate: input.at }, { signal: ctx.signal, note: ctx.note });
      marked += 1;
    }
    ctx.note(`${marked} lead${marked === 1 ? '' : 's'} marked reminded at ${input.at}`);
    return { marked };
  },
});
