import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { pollInput, pollPage } from '../kit/poll-page.ts';
import { PRM_LEAD_PAGE_SIZE } from '../prm/lead-share-window.ts';
import type { PrmPartnerLead } from '../prm/prm-records.ts';
import type { LeadsConnection } from './leads-connection.ts';
import { changedSinceFilter, FIRST_PAGE, nextPosition, STAMP_ORDER, StampPosition } from '../prm/prm-stamp-position.ts';
import { UntouchedStatuses, workedInPrmFilter } from './partner-work.ts';

/** A shared lead the partner has worked in the portal, as the PRM answered it. */
export const WorkedPartnerLead = z.object({
  id: z.number().int(),
  email: z.string(),
  partner_account_id: z.number().int().nullable(),
  partner_synced_date: z.string(),
  status: z.string().nullable(),
  updated: z
    .string()
    .describe("The time of the activity: when the PRM lead last changed (its Updated stamp), or, for a lead the PRM holds without a stamp, the time of the poll that read it (the PRM tells no earlier one)."),
  cursor: z
    .string()
    .describe('The poll cursor: the Updated stamp, or, for a lead without one, the watermark the poll was asked from (`since`, or `start_at` at the first poll), so that such a lead, read again by every poll, never moves the watermark.'),
  partner_state: z.string().describe('A digest of what the partner works (status and notes): in the dedup key, so that each change the partner makes is one run and a write of any other field is none.'),
});
export type WorkedPartnerLead = z.infer<typeof WorkedPartnerLead>;

/**
 * `leads.list_worked_partner_leads` (a `poll` action, D24, D25): the shared, unrecalled PRM leads the
 * partner has worked (a Lead Status other than the untouched ones, or notes), changed at or after
 * `since` (the PRM's `updated >` watermark), oldest first. Work is as partner-work.ts defines it.
 *
 * The PRM filters them itself (`Status`, `PartnerNotes`), so the runtime's own writes to a lead the
 * partner never worked (the sync's contact fields, Partner Synced Date and moment; the recall's
 * Recalled Date) are never items, and the watermark only moves with partner work. A worked lead the
 * runtime writes again is an item again, with the same `partner_state`: the dedup key makes it no run.
 *
 * Pages are read by position, not skip: a lead changed while the pages are read moves to the end of
 * the order (its `updated` is newer) and shifts no page, so none is skipped.
 *
 * A lead the PRM holds without an Updated stamp (imported or migrated into it) matches no `Updated ge`
 * filter: every poll reads such worked leads too, by their own position (prm-stamp-position.ts, as the
 * claim title keys of D15). Nothing tells when their work changes, so each poll reads them again: the
 * dedup key (lead, Partner Synced Date, partner_state) makes a reading of the same work no run, and a
 * change of it one. Their cursor is the watermark asked from, so they never move it, and the time of
 * their activity is the time of the poll that read them.
 */
export const listWorkedPartnerLeads = defineAction({
  description: 'Shared PRM leads the partner worked (Lead Status or notes) changed at or after `since` (a poll action over the PRM `updated` watermark).',
  input: z.object({
    ...pollInput,
    untouched_statuses: UntouchedStatuses,
    start_at: z.iso.datetime({ offset: true }).describe('Where the first poll starts (no watermark yet): the day the recipe went live.'),
    page_size: z.number().int().min(1).max(PRM_LEAD_PAGE_SIZE).default(PRM_LEAD_PAGE_SIZE),
  }),
  output: pollPage(WorkedPartnerLead),
  idempotent: true,
  async run(input, ctx: ActionContext<LeadsConnection>) {
    const prm = ctx.connection.prm();
    const position = input.page ? StampPosition.parse(JSON.parse(input.page)) : FIRST_PAGE;
    const since = input.since ?? input.start_at;
    const filter = changedSinceFilter(`PartnerSyncedDate ne null and RecalledDate eq null and ${workedInPrmFilter(input.untouched_statuses)}`, since, position);
    const leads: PrmPartnerLead[] = [];
    for await (const lead of prm.listPartnerLeads({ signal: ctx.signal, note: ctx.note, filter, orderby: STAMP_ORDER, pageSize: input.page_size })) {
      leads.push(lead);
      // One page per call: the generator reads the next page only when asked for more.
      if (leads.length === input.page_size) break;
    }
    const readAt = new Date(ctx.clock.now()).toISOString();
    const items = leads.map(
      (lead): WorkedPartnerLead => ({
        id: lead.id,
        email: lead.email,
        partner_account_id: lead.partnerAccountId ?? null,
        partner_synced_date: lead.partnerSyncedDate!,
        status: lead.status ?? null,
        updated: lead.updated ?? readAt,
        cursor: lead.updated ?? since,
        partner_state: createHash('sha256').update(`${lead.status ?? ''}\n${lead.partnerNotes ?? ''}`).digest('hex').slice(0, 16),
      }),
    );
    if (leads.length < input.page_size) return { items, next_page: null };
    // The next page starts after the last stamped lead read and after the last one without a stamp (prm-stamp-position.ts).
    const next = nextPosition(
      position,
      leads,
      (last) => `prm: the worked leads listed after lead ${last.id} (${last.updated}) ended with it again: the PRM does not page by position, so the partner-activity poll cannot read its leads`,
    );
    return { items, next_page: JSON.stringify(next) };
  },
});

