import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { MarketoConnection } from './marketo-connection.ts';

/**
 * `marketo.get_leads`: the leads whose field `filter_type` has one of the values (`GET /v1/leads.json`),
 * the values sent 300 a call and the answers paged by `nextPageToken`. An action's output is held in
 * the journal, so it keeps at most `limit` leads and says when it cut; a recipe over many leads reads
 * them through the client's iterator (`MarketoClient.leadsBy`) instead.
 */
export const getLeads = defineAction({
  description: 'Marketo leads whose field has one of the given values (e.g. email, id, crmPartnerID), with the fields asked for.',
  input: z.object({
    filter_type: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a lead field API name, e.g. email').describe('The field to match, e.g. email or id.'),
    filter_values: z.array(z.union([z.string().min(1), z.number()])).min(1).describe('The values to look for; any number, sent 300 a call.'),
    fields: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/)).default([]).describe("Fields to return (API names); Marketo's default set when empty."),
    limit: z.number().int().min(1).max(10_000).default(1_000).describe('Most leads kept in the answer.'),
  }),
  output: z.object({
    leads: z.array(z.object({ id: z.number().int() }).loose()),
    truncated: z.boolean().describe('True when more leads matched than `limit`.'),
  }),
  idempotent: true,
  run: async (input, ctx: ActionContext<MarketoConnection>) => {
    const leads: Array<{ id: number } & Record<string, unknown>> = [];
    for await (const lead of ctx.connection.client.leadsBy(input.filter_type, input.filter_values, input.fields, { signal: ctx.signal, note: ctx.note })) {
      if (leads.length === input.limit) {
        ctx.note(`kept the first ${input.limit} leads; more matched`);
        return { leads, truncated: true };
      }
      leads.push(lead);
    }
    return { leads, truncated: false };
  },
});
