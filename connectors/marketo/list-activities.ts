import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { pollInput, pollPage } from '../kit/poll-page.ts';
import { MARKETO_LIMITS } from './marketo-limits.ts';
import type { MarketoConnection } from './marketo-connection.ts';

/** One Marketo activity of a lead (a click, a form, a change, an interesting moment). */
export const LeadActivity = z.object({
  id: z.string().describe('The activity id (marketoGUID): the dedup key.'),
  lead_id: z.number().int(),
  activity_type_id: z.number().int(),
  activity_date: z.string().describe('When it happened, as Marketo writes it (2026-04-20T09:00:00Z): the poll cursor.'),
  primary_attribute_value: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()).describe('The activity attributes by name.'),
});
export type LeadActivity = z.infer<typeof LeadActivity>;

/**
 * `marketo.list_activities` (a `poll` action, D24, D25): the activities of the given types at or after
 * `since`, a page (up to 300) at a time. The first page asks Marketo for a paging token from `since`
 * (`GET /v1/activities/pagingtoken.json?sinceDatetime=`), then reads `GET /v1/activities.json?nextPageToken=&activityTypeIds=`;
 * each following page reads from the token the previous one answered, until `moreResult` is false.
 * At the first poll (no watermark) it starts at `start_at`, by default the time of the recipe's first
 * try in this store (`pollStart`: the poll runtime keeps it as the watermark from that try on, so a
 * first poll that fails does not move the start to the next try and lose what happened between): a
 * new poll does not read the instance's whole history.
 */
export const listActivities = defineAction({
  description: 'Marketo lead activities of the given types at or after `since` (a poll action over the activities paging token).',
  input: z.object({
    ...pollInput,
    activity_type_ids: z.array(z.number().int().positive()).min(1).max(MARKETO_LIMITS.activityTypesPerCall).describe('Activity type ids (at most 10), e.g. [11] for Click Email.'),
    lead_ids: z.array(z.number().int().positive()).max(30).optional().describe('Only these leads (at most 30).'),
    start_at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("Where the first poll starts (no watermark yet). Default: the time of the recipe's first poll in this store (go-live)."),
  }),
  output: pollPage(LeadActivity),
  idempotent: true,
  // Marketo writes activity dates to the second: the start is the whole second of the first try, so an
  // activity of that second, after the try, is read rather than lost below a start with milliseconds.
  pollStart: (input, now) => input.start_at ?? new Date(Math.floor(now / 1000) * 1000).toISOString(),
  run: async (input, ctx: ActionContext<MarketoConnection>) => {
    const { client } = ctx.connection;
    const call = { signal: ctx.signal, note: ctx.note, ...(input.lead_ids ? { leadIds: input.lead_ids } : {}) };
    const token = input.page ?? (await client.activitiesPagingToken(input.since ?? input.start_at ?? new Date(ctx.clock.now()).toISOString(), call));
    const page = await client.activitiesPage(token, input.activity_type_ids, call);
    const items = page.activities.map(
      (a): LeadActivity => ({
        id: a.marketoGUID ?? String(a.id),
        lead_id: a.leadId,
        activity_type_id: a.activityTypeId,
        activity_date: a.activityDate,
        primary_attribute_value: a.primaryAttributeValue ?? null,
        attributes: Object.fromEntries((a.attributes ?? []).map((x) => [x.name, x.value])),
      }),
    );
    return { items, next_page: page.moreResult ? page.nextPageToken : null };
  },
});
