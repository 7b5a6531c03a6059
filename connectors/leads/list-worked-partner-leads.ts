import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { pollInput, pollPage } from '../kit/poll-page.ts';
import { PRM_LEAD_PAGE_SIZE } from '../prm/lead-share-window.ts';
import type { PrmPartnerLead } from '../prm/prm-records.ts';
import type { LeadsConnection } from './leads-connection.ts';
import { prmString } from '../prm/prm-filter-string.ts';
import { UntouchedStatuses, workedInPrmFilter } from './partner-work.ts';

/** A shared lead the partner has worked in the portal, as the PRM answered it. */
export const WorkedPartnerLead = z.object({
  id: z.number().int(),
  email: z.string(),
  partner_account_id: z.number().int().nullable(),
  partner_synced_date: z.string(),
  status: z.string().nullable(),
  updated: z.string().describe('When the PRM lead last changed: the poll cursor, and the time of the activity.'),
  partner_state: z.string().describe('A digest of what the partner works (status and notes): in the dedup key, so that each change the partner makes is one run and a write of any other field is none.'),
});
export type WorkedPartnerLead = z.infer<typeof WorkedPartnerLead>;

/** Where the next page starts: after this (updated, id), in the PRM's order `Updated asc, Id asc`. */
const Position = z.object({ updated: z.string(), id: z.number().int() });

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
    const after = input.page ? Position.parse(JSON.parse(input.page)) : null;
    const from = after ? `(Updated gt ${prmString(after.updated)} or (Updated eq ${prmString(after.updated)} and Id gt ${after.id}))` : `Updated ge ${prmString(input.since ?? input.start_at)}`;
    const filter = `PartnerSyncedDate ne null and RecalledDate eq null and ${workedInPrmFilter(input.untouched_statuses)} and ${from}`;
    const leads: PrmPartnerLead[] = [];
    for await (const lead of prm.listPartnerLeads({ signal: ctx.signal, note: ctx.note, filter, orderby: 'Updated asc, Id asc', pageSize: input.page_size })) {
      leads.push(lead);
      // One page per call: the generator reads the next page only when asked for more.
      if (leads.length === input.page_size) break;
    }
    const items = leads.map(
      (lead): WorkedPartnerLead => ({
        id: lead.id,
        email: lead.email,
        partner_account_id: lead.partnerAccountId ?? null,
        partner_synced_date: lead.partnerSyncedDate!,
        status: lead.status ?? null,
        updated: lead.updated ?? lead.partnerSyncedDate!,
        partner_state: createHash('sha256').update(`${lead.status ?? ''}\n${lead.partnerNotes ?? ''}`).digest('hex').slice(0, 16),
      }),
    );
    const last = items.at(-1);
    return { items, next_page: last && items.length === input.page_size ? JSON.stringify({ updated: last.updated, id: last.id }) : null };
  },
});

