import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { MARKETO_ACTIVITY_TYPES } from '../marketo/marketo-lead-fields.ts';
import { NotFoundError } from '../kit/http-errors.ts';
import { emailKey } from './email-key.ts';
import { readMarketoLeadsOfEmail } from './find-marketo-lead.ts';
import type { LeadsConnection } from './leads-connection.ts';

/**
 * `leads.write_interesting_moment` (D21): writes a lead's interesting moment once, safely repeatable.
 * A smart-campaign trigger is not idempotent (each call runs the flow again: one more moment), and a
 * trigger that timed out or answered 500 may still have run. So before each trigger the lead's
 * Interesting Moment activities since `since` are read, and a moment with this very text means it is
 * written: nothing is triggered again. The text names the partner, the event and the date, so a moment
 * of another routing never matches.
 *
 * Given the `email`, a lead Marketo no longer has (1004 from the trigger: ops merged duplicates since
 * the routing read the lead) is followed to the email's lead now, the one that remains, where the
 * moment is looked for again before the trigger.
 *
 * Known limit: Marketo runs a requested campaign's flow asynchronously (usually within seconds); a
 * retry sooner than that would not see the moment yet. The recipe's first retry waits minutes.
 */
export const writeInterestingMoment = defineAction({
  description: 'Writes a lead\'s interesting moment through a requestable smart campaign with a {{my.…}} token, unless the lead already has a moment with this text since `since` (safe to retry).',
  input: z.object({
    campaign_id: z.number().int().positive().describe('The requestable smart campaign whose flow writes the moment from the token.'),
    lead_id: z.number().int().positive().describe('The Marketo lead, as an earlier step read it.'),
    email: z
      .string()
      .min(3)
      .optional()
      .describe("The lead's email: when Marketo no longer has lead_id (1004: merged or deleted since it was read), the moment goes on the first of the email's Marketo leads now (after a merge, the lead that remains)."),
    text: z.string().min(1).describe('The moment, e.g. "CHANNEL LEAD with Northwind Cloud visited Booth at Cloud Expo on 2026-03-02".'),
    token: z.string().regex(/^\{\{my\.[^{}]+\}\}$/, 'a program token, written {{my.Name}}').default('{{my.Interesting Moment}}'),
    since: z.iso.datetime({ offset: true }).describe('Look for the moment from this time (the routing run\'s start).'),
  }),
  output: z.object({
    written: z.boolean().describe('False when the lead already had this moment: nothing was triggered.'),
    lead_id: z.number().int().describe('The Marketo lead that has the moment: lead_id, or the lead of the email that remains.'),
  }),
  idempotent: true,
  uses: ['marketo'],
  run: async (input, ctx: ActionContext<LeadsConnection>) => {
    const written = await writeOnce(ctx, input, input.lead_id).catch((error: unknown) => {
      if (input.email === undefined || !(error instanceof NotFoundError && error.code === '1004')) throw error;
      return undefined;
    });
    if (written) return written;
    // Merged or deleted since it was read: the lead the email has now (a merge moves the losers' activities to it).
    const email = emailKey(input.email!);
    const leadId = (await readMarketoLeadsOfEmail(ctx, email)).leads[0]!.id;
    ctx.note(`Marketo no longer has lead ${input.lead_id} (1004: merged or deleted since it was read): the moment goes on lead ${leadId} of ${email}`);
    return writeOnce(ctx, input, leadId);
  },
});

/** Looks for the moment on the lead since `since`, and triggers the campaign for it when there is none. */
async function writeOnce(ctx: ActionContext<LeadsConnection>, input: { campaign_id: number; text: string; token: string; since: string }, leadId: number): Promise<{ written: boolean; lead_id: number }> {
  const client = ctx.connection.marketo().client;
  const call = { signal: ctx.signal, note: ctx.note };
  const type = MARKETO_ACTIVITY_TYPES.interestingMoment.id;
  let token = await client.activitiesPagingToken(input.since, call);
  for (;;) {
    const page = await client.activitiesPage(token, [type], { ...call, leadIds: [leadId] });
    const same = page.activities.find((a) => a.leadId === leadId && describes(a, input.text));
    if (same) {
      ctx.note(`lead ${leadId} has this moment already (activity of ${same.activityDate}): not triggered again`);
      return { written: false, lead_id: leadId };
    }
    if (!page.moreResult) break;
    token = page.nextPageToken;
  }
  await client.triggerCampaign(input.campaign_id, [leadId], [{ name: input.token, value: input.text }], call);
  return { written: true, lead_id: leadId };
}

/** Whether an Interesting Moment activity holds this text (its Description, or its primary attribute). */
function describes(activity: { primaryAttributeValue?: string | null | undefined; attributes?: Array<{ name: string; value: unknown }> | undefined }, text: string): boolean {
  const description = activity.attributes?.find((a) => a.name === 'Description')?.value;
  return description === text || activity.primaryAttributeValue === text;
}
