import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { MARKETO_ACTIVITY_TYPES } from '../marketo/marketo-lead-fields.ts';
import type { LeadsConnection } from './leads-connection.ts';

/**
 * `leads.write_interesting_moment` (D21): writes a lead's interesting moment once, safely repeatable.
 * A smart-campaign trigger is not idempotent (each call runs the flow again: one more moment), and a
 * trigger that timed out or answered 500 may still have run. So before each trigger the lead's
 * Interesting Moment activities since `since` are read, and a moment with this very text means it is
 * written: nothing is triggered again. The text names the partner, the event and the date, so a moment
 * of another routing never matches.
 *
 * Known limit: Marketo runs a requested campaign's flow asynchronously (usually within seconds); a
 * retry sooner than that would not see the moment yet. The recipe's first retry waits minutes.
 */
export const writeInterestingMoment = defineAction({
  description: 'Writes a lead\'s interesting moment through a requestable smart campaign with a {{my.…}} token, unless the lead already has a moment with this text since `since` (safe to retry).',
  input: z.object({
    campaign_id: z.number().int().positive().describe('The requestable smart campaign whose flow writes the moment from the token.'),
    lead_id: z.number().int().positive(),
    text: z.string().min(1).describe('The moment, e.g. "CHANNEL LEAD with Northwind Cloud visited Booth at Cloud Expo on 2026-03-02".'),
    token: z.string().regex(/^\{\{my\.[^{}]+\}\}$/, 'a program token, written {{my.Name}}').default('{{my.Interesting Moment}}'),
    since: z.iso.datetime({ offset: true }).describe('Look for the moment from this time (the routing run\'s start).'),
  }),
  output: z.object({ written: z.boolean().describe('False when the lead already had this moment: nothing was triggered.') }),
  idempotent: true,
  uses: ['marketo'],
  run: async (input, ctx: ActionContext<LeadsConnection>) => {
    const client = ctx.connection.marketo().client;
    const call = { signal: ctx.signal, note: ctx.note };
    const type = MARKETO_ACTIVITY_TYPES.interestingMoment.id;
    let token = await client.activitiesPagingToken(input.since, call);
    for (;;) {
      const page = await client.activitiesPage(token, [type], { ...call, leadIds: [input.lead_id] });
      const same = page.activities.find((a) => a.leadId === input.lead_id && describes(a, input.text));
      if (same) {
        ctx.note(`lead ${input.lead_id} has this moment already (activity of ${same.activityDate}): not triggered again`);
        return { written: false };
      }
      if (!page.moreResult) break;
      token = page.nextPageToken;
    }
    await client.triggerCampaign(input.campaign_id, [input.lead_id], [{ name: input.token, value: input.text }], call);
    return { written: true };
  },
});

/** Whether an Interesting Moment activity holds this text (its Description, or its primary attribute). */
function describes(activity: { primaryAttributeValue?: string | null | undefined; attributes?: Array<{ name: string; value: unknown }> | undefined }, text: string): boolean {
  const description = activity.attributes?.find((a) => a.name === 'Description')?.value;
  return description === text || activity.primaryAttributeValue === text;
}
