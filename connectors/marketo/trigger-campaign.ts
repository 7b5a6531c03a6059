import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { MARKETO_LIMITS } from './marketo-limits.ts';
import type { MarketoConnection } from './marketo-connection.ts';

/**
 * `marketo.trigger_campaign`: requests a smart campaign for up to 100 leads with its `{{my.…}}` tokens
 * (`POST /v1/campaigns/<id>/trigger.json`). This is how an interesting moment is written (D21): the
 * API has no call for it, so a campaign whose flow has the Interesting Moment step is run with the
 * text in a token.
 *
 * One step is one call (at most 100 leads): the call is not idempotent (each one runs the flow again,
 * one more interesting moment), so a step that failed halfway through several calls could not be
 * retried without writing some moments twice.
 */
export const triggerCampaign = defineAction({
  description: 'Requests a Marketo smart campaign for up to 100 leads with {{my.…}} tokens (writes an interesting moment, D21).',
  input: z.object({
    campaign_id: z.number().int().positive().describe('The smart campaign id; the campaign must be requestable (a "Campaign is Requested" trigger with source Web Service API).'),
    lead_ids: z
      .array(z.number().int().positive())
      .min(1)
      .max(MARKETO_LIMITS.campaignBatchSize, `at most ${MARKETO_LIMITS.campaignBatchSize} leads a step: Marketo takes 100 a call, and a trigger is not safe to repeat`),
    tokens: z
      .array(
        z.object({
          name: z.string().regex(/^\{\{my\.[^{}]+\}\}$/, 'a program token, written {{my.Name}}'),
          value: z.string(),
        }),
      )
      .default([])
      .describe('Program tokens the campaign flow reads, e.g. [{ "name": "{{my.Interesting Moment}}", "value": "CHANNEL LEAD with …" }].'),
  }),
  output: z.object({ campaign_id: z.number().int(), leads: z.number().int() }),
  run: async (input, ctx: ActionContext<MarketoConnection>) => {
    await ctx.connection.client.triggerCampaign(input.campaign_id, input.lead_ids, input.tokens, { signal: ctx.signal, note: ctx.note });
    return { campaign_id: input.campaign_id, leads: input.lead_ids.length };
  },
});
