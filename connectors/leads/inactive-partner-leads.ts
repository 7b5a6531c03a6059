import { z } from 'zod';
import type { CallOptions } from '../kit/http-client.ts';
import type { PrmClient } from '../prm/prm-client.ts';
import { LeadShareWindow, PRM_LEAD_PAGE_SIZE, syncedBetweenFilter } from '../prm/lead-share-window.ts';
import type { PrmPartnerLead } from '../prm/prm-records.ts';

/**
 * How much later than the Partner Synced Date a lead's `updated` may be and still count as untouched:
 * the sync that shares the lead writes both in one call, a second or so apart at most.
 */
const SYNC_WRITE_SLACK_MS = 60_000;

/** The input of the recall actions (D24, D25): the leads synced in the window, and the source that is exempt (D26). */
export const InactiveLeadsInput = LeadShareWindow.extend({
  exempt_source: z.string().min(1).describe('The Lead Acquisition Source whose leads are never recalled (D26), e.g. Partner Sponsored Event.'),
});
export type InactiveLeadsInput = z.infer<typeof InactiveLeadsInput>;

/**
 * Whether the partner has left the lead alone (D24, D25): the PRM lead was not changed after it was
 * shared. The partner works a lead in the portal, and every change there stamps the PRM lead's
 * `updated`; that is the partner's activity and no one else's, while Marketo activities are mostly the
 * vendor's (emails, scoring, web visits). A vendor re-sync of the lead also stamps it: the lead then
 * counts as active, the safe side (it is not taken away).
 */
export function isUntouched(lead: PrmPartnerLead): boolean {
  if (!lead.partnerSyncedDate || !lead.updated) return false;
  return Date.parse(asUtc(lead.updated)) - Date.parse(asUtc(lead.partnerSyncedDate)) <= SYNC_WRITE_SLACK_MS;
}

/** Whether the lead can be recalled: untouched, not recalled yet, and not from the exempt source (D26). */
export function isRecallable(lead: PrmPartnerLead, exemptSource: string): boolean {
  return !lead.recalledDate && lead.leadAcquisitionSource !== exemptSource && isUntouched(lead);
}

/**
 * The recallable leads synced in the window, optionally of one partner, page by page (500 a page, by
 * id): filtered here, since the PRM's filter cannot compare two fields. The query does not depend on
 * what the recall writes (RecalledDate), so marking leads while iterating moves no page.
 */
export async function* recallableLeads(prm: PrmClient, input: InactiveLeadsInput & { partner_id?: number }, call: CallOptions): AsyncGenerator<PrmPartnerLead, void, undefined> {
  const filter = syncedBetweenFilter(input, input.partner_id);
  for await (const lead of prm.listPartnerLeads({ ...call, filter, orderby: 'Id asc', pageSize: PRM_LEAD_PAGE_SIZE })) {
    if (isRecallable(lead, input.exempt_source)) yield lead;
  }
}

/** The PRM writes `2026-03-02 10:00:00` (no zone: UTC) or ISO; both read as UTC. */
function asUtc(stamp: string): string {
  return /[zZ]|[+-]\d{2}:?\d{2}$/.test(stamp) || /^\d{4}-\d{2}-\d{2}$/.test(stamp) ? stamp : `${stamp.replace(' ', 'T')}Z`;
}
