import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { pollInput, pollPage } from '../kit/poll-page.ts';
import type { MarketoConnection } from './marketo-connection.ts';

/** One change of a lead field in Marketo (a Change Data Value activity). */
export const LeadFieldChange = z.object({
  id: z.string().describe('The activity id (marketoGUID): the dedup key.'),
  lead_id: z.number().int(),
  activity_date: z.string().describe('When it happened, as Marketo writes it (2026-04-20T09:00:00Z): the poll cursor.'),
  field: z.string().describe('The field changed, by API name (e.g. leadStatus).'),
  old_value: z.unknown(),
  new_value: z.unknown(),
});
export type LeadFieldChange = z.infer<typeof LeadFieldChange>;

/**
 * `marketo.list_lead_changes` (a `poll` action, D24, D25): the changes of the named lead fields at or
 * after `since`, a page (up to 300) at a time. The first page of a poll asks Marketo for a paging token
 * from `since` (`GET /v1/activities/pagingtoken.json?sinceDatetime=`), then reads
 * `GET /v1/activities/leadchanges.json?nextPageToken=&fields=`; each following page reads from the token
 * the previous one answered, until `moreResult` is false.
 *
 * Marketo filters by field itself, so a poll reads only the changes asked for: the runtime's own writes
 * to other fields (Impartner Partner Account, Marketing Suspended, Last Partner Activity) and the
 * interesting moments never come back as items. At the first poll (no watermark yet) it starts at
 * `start_at`: set it to the day the recipe goes live, so that no change between two first polls is lost.
 */
export const listLeadChanges = defineAction({
  description: 'Marketo lead field changes (Change Data Value) of the named fields at or after `since` (a poll action over the activities paging token).',
  input: z.object({
    ...pollInput,
    fields: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a lead field API name, e.g. leadStatus')).min(1).max(10).describe('The lead fields whose changes are wanted (API names, 1 to 10), e.g. ["leadStatus"].'),
    start_at: z.iso.datetime({ offset: true }).describe('Where the first poll starts (no watermark yet): the day the recipe went live.'),
  }),
  output: pollPage(LeadFieldChange),
  idempotent: true,
  run: async (input, ctx: ActionContext<MarketoConnection>) => {
    const { client } = ctx.connection;
    const call = { signal: ctx.signal, note: ctx.note };
    const token = input.page ?? (await client.activitiesPagingToken(input.since ?? input.start_at, call));
    const page = await client.leadChangesPage(token, input.fields, call);
    const wanted = new Set(input.fields.map((f) => f.toLowerCase()));
    const items = page.changes.flatMap((a) =>
      a.fields
        .filter((f) => wanted.has(f.name.toLowerCase()))
        .map(
          (f): LeadFieldChange => ({
            id: `${a.marketoGUID ?? String(a.id)}:${f.name}`,
            lead_id: a.leadId,
            activity_date: a.activityDate,
            field: f.name,
            old_value: f.oldValue ?? null,
            new_value: f.newValue ?? null,
          }),
        ),
    );
    return { items, next_page: page.moreResult ? page.nextPageToken : null };
  },
});
