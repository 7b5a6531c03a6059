import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { LeadsConnection } from './leads-connection.ts';

/** What an attempt kept for the next (ActionContext.saveProgress): the leads it stamped, by PRM id. */
const MarkProgress = z.object({ marked_ids: z.array(z.number().int()) });

/** How many leads are stamped between two saves of the progress (and once more when an attempt fails). */
const SAVE_EVERY = 100;

/**
 * `leads.mark_recall_reminded` (D24): sets the PRM leads' Recall Reminder Date once their partner's
 * reminder went out (or ops were told it could not: no contact email, an address refused for good).
 * The reminder reads only leads without it, so no lead is reminded twice; the recall reads only leads
 * whose date is at least recall_day - reminder_day days old, so none is recalled before its notice.
 * A lead that already has one keeps it, and so does a lead an earlier attempt of this step stamped
 * (kept as progress with the step's journal entry): a retry after a partial failure (a PRM 500 on the
 * 40th lead) stamps only the rest, with the same `at` (lead-recall v17 takes it once, after the
 * email), so every lead of the partner carries the time its email went out.
 */
export const markRecallReminded = defineAction({
  description: "Sets the PRM leads' Recall Reminder Date (D24), leaving a date already set and the leads an earlier attempt of the step stamped.",
  input: z.object({
    leads: z.array(z.object({ id: z.coerce.number().int().positive(), recallReminderDate: z.string().nullable().optional() }).loose()).describe('The PRM leads reminded, as leads.list_inactive_leads lists them.'),
    at: z.iso.datetime({ offset: true }).describe('When the reminder went out (or ops were told it could not): one time for all the leads of the partner, taken once before this step (lead-recall v17: reminded_at), so that a retried attempt stamps the same time.'),
  }),
  output: z.object({ marked: z.number().int() }),
  idempotent: true,
  uses: ['prm'],
  async run(input, ctx: ActionContext<LeadsConnection>) {
    const prm = ctx.connection.prm();
    const earlier = MarkProgress.safeParse(ctx.progress);
    const done = new Set<number>(earlier.success ? earlier.data.marked_ids : []);
    const before = done.size;
    const save = () => ctx.saveProgress?.({ marked_ids: [...done] } satisfies z.infer<typeof MarkProgress>);
    let sinceSave = 0;
    try {
      for (const lead of input.leads) {
        if (lead.recallReminderDate || done.has(lead.id)) continue;
        await prm.updatePartnerLead(lead.id, { RecallReminderDate: input.at }, { signal: ctx.signal, note: ctx.note });
        done.add(lead.id);
        if (++sinceSave === SAVE_EVERY) {
          sinceSave = 0;
          await save();
        }
      }
    } catch (error) {
      // The next attempt skips what this one stamped. Not kept when the store is what failed.
      if (done.size > before) await save()?.catch(() => {});
      throw error;
    }
    const marked = done.size;
    ctx.note(`${marked} lead${marked === 1 ? '' : 's'} marked reminded at ${input.at}${before > 0 ? ` (${before} by an earlier attempt, not stamped again)` : ''}`);
    return { marked };
  },
});
