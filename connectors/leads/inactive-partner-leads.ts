import { z } from 'zod';
import { stampMillis } from '../../schemas/domain/source-stamp.ts';
import type { CallOptions } from '../kit/http-client.ts';
import { PARTNER_LEAD_FIELDS } from '../marketo/marketo-lead-fields.ts';
import { MARKETO_LIMITS } from '../marketo/marketo-limits.ts';
import type { MarketoClient } from '../marketo/marketo-client.ts';
import type { PrmClient } from '../prm/prm-client.ts';
import { PRM_LEAD_PAGE_SIZE, syncedWithinTerms } from '../prm/lead-share-window.ts';
import type { PrmPartnerLead } from '../prm/prm-records.ts';
import { prmString } from '../prm/prm-filter-string.ts';
import { emailKey } from './email-key.ts';
import { isWorkedInPrm, UntouchedStatuses } from './partner-work.ts';

/**
 * The input of the recall actions (D24, D25): the unrecalled leads shared at or before `to` (at least
 * reminder_day or recall_day days before the run: a lead whose day was skipped by a table change is
 * caught up, not lost), optionally after `from`; the source that is exempt (D26); and where their recall
 * reminder stands (the PRM lead's Recall Reminder Date, which the reminder sets).
 */
export const InactiveLeadsInput = z.object({
  from: z.iso.datetime({ offset: true }).optional().describe('Exclusive start (optional): leads shared after it only. lead-recall gives the look-back (the lead-share table\'s look_back_days before the run), so the leads partners worked, never recalled, leave the daily read.'),
  to: z.iso.datetime({ offset: true }).describe('Inclusive end: leads shared at or before it.'),
  exempt_source: z.string().min(1).describe('The Lead Acquisition Source whose leads are never recalled (D26), e.g. Partner Sponsored Event.'),
  not_reminded: z.boolean().optional().describe('D24: only leads whose recall reminder has not gone out (no Recall Reminder Date): what the reminder reads, so no lead is reminded twice.'),
  untouched_statuses: UntouchedStatuses,
  reminded_by: z.iso.datetime({ offset: true }).optional().describe('D24, D25: only leads whose recall reminder went out at or before this time (Recall Reminder Date): what the recall reads, so no lead is recalled without its notice.'),
});
export type InactiveLeadsInput = z.infer<typeof InactiveLeadsInput>;

/** The PRM filter of the inactive-lead candidates (without the page position): the synced window as the digest reads it, unrecalled, and where the reminder stands. */
export function inactiveLeadsFilter(input: InactiveLeadsInput, partnerId?: number): string {
  const parts = [...syncedWithinTerms(input, partnerId), 'PartnerSyncedDate ne null', 'RecalledDate eq null'];
  if (input.not_reminded) parts.push('RecallReminderDate eq null');
  if (input.reminded_by !== undefined) parts.push(`RecallReminderDate ne null and RecallReminderDate le ${prmString(input.reminded_by)}`);
  return parts.join(' and ');
}


/**
 * Whether the lead is still the partner's to lose: not recalled yet, not from the exempt source (D26),
 * and dated (a lead without a Partner Synced Date is reported by the digest, never recalled).
 */
export function isRecallCandidate(lead: PrmPartnerLead, exemptSource: string): boolean {
  return !lead.recalledDate && !!lead.partnerSyncedDate && !isExemptSource(lead.leadAcquisitionSource, exemptSource);
}

/**
 * Whether a Lead Acquisition Source is the exempt one (D26). Typed by people in two systems, so
 * `Partner sponsored event` or a trailing space is the same source: letter case, surrounding and
 * repeated spaces do not count.
 */
export function isExemptSource(source: unknown, exemptSource: string): boolean {
  const plain = (value: string) => value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
  return typeof source === 'string' && plain(source) === plain(exemptSource);
}

/**
 * Whether the PRM lead, as just read, shows partner work after the share (D25): work as partner-work.ts
 * defines it (a Lead Status other than the untouched ones, or notes) on a lead changed after its Partner
 * Synced Date. It is what the
 * lead-activity-from-prm poll records on Marketo's Last Partner Activity at its next run (every 15
 * minutes); reading it here too keeps a lead the partner worked minutes before the 07:30 recall.
 *
 * A lead the PRM holds without an Updated stamp (imported or migrated into it) tells no time of its
 * change: its work fields alone count, as the poll counts them (it reads such a lead at every poll and
 * records its status and notes as activity at the poll's time). So a shared, unstamped lead with a
 * status other than the untouched ones, or notes, is worked; one without either is not.
 */
export function workedInPrm(lead: PrmPartnerLead, untouchedStatuses: readonly string[]): boolean {
  if (!isWorkedInPrm(lead, untouchedStatuses) || !lead.partnerSyncedDate) return false;
  if (lead.updated === null || lead.updated === undefined) return true;
  return hasPartnerActivity(lead.partnerSyncedDate, lead.updated);
}

/**
 * Whether the partner worked the lead after it was shared (D24, D25): a Last Partner Activity (written
 * by the lead-activity recipes from the PRM and from Marketo) later than the Partner Synced Date.
 * Nothing else counts: the runtime's own writes (the sync, the moment, a re-sync, the recall) never
 * set Last Partner Activity, so they are no activity.
 */
export function hasPartnerActivity(syncedDate: string, lastActivity: unknown): boolean {
  return typeof lastActivity === 'string' && lastActivity !== '' && (stampMillis(lastActivity) ?? NaN) > (stampMillis(syncedDate) ?? NaN);
}

/** A recallable lead with the Impartner Partner Accounts its Marketo leads name now (D25): none when Marketo has no lead for it. */
export interface RecallableLead {
  lead: PrmPartnerLead;
  /** The Impartner Partner Account of each Marketo lead with this email ('' when cleared); empty when Marketo has none. */
  marketoPartnerAccounts: string[];
  /** The id of each Marketo lead with this email, in the order of `marketoPartnerAccounts`: several when Marketo has duplicates (its 1007). */
  marketoIds: number[];
  /** Each Marketo lead's Marketing Suspended Before Share (null: not recorded), in the same order: what the recall gives back (D25, D27). */
  marketoSuspendedBeforeShare: Array<boolean | null>;
}

/**
 * The recallable leads of the input, optionally of one partner: the PRM's unrecalled leads page by page
 * (500 a page, by id position), the candidates looked up in Marketo 300 at a time (one call: their Last
 * Partner Activity), those without partner activity yielded.
 */
export async function* recallableLeads(prm: PrmClient, marketo: MarketoClient, input: InactiveLeadsInput & { partner_id?: number }, call: CallOptions): AsyncGenerator<PrmPartnerLead, void, undefined> {
  for await (const { lead } of recallableLeadsInMarketo(prm, marketo, input, call)) yield lead;
}

/**
 * `recallableLeads` with, read by the same Marketo call, whom each lead's Marketo lead belongs to now:
 * the recall (D25) clears the partner fields only where they still name the partner being recalled.
 */
export async function* recallableLeadsInMarketo(prm: PrmClient, marketo: MarketoClient, input: InactiveLeadsInput & { partner_id?: number }, call: CallOptions): AsyncGenerator<RecallableLead, void, undefined> {
  const filter = inactiveLeadsFilter(input, input.partner_id);
  // The journal says which shares the read covers: the look-back (`from`) is what keeps it bounded.
  call.note?.(`read the unrecalled leads${input.partner_id !== undefined ? ` of partner ${input.partner_id}` : ''} shared ${input.from !== undefined ? `after ${input.from} (look-back) and ` : ''}at or before ${input.to}`);
  let batch: PrmPartnerLead[] = [];
  // Pages by position (Id gt the last one read), not skip: the recall's Recalled Date takes a lead out
  // of the filter while the pages are read, and a skip would then pass over the leads after it.
  let after = 0;
  for (;;) {
    let read = 0;
    for await (const lead of prm.listPartnerLeads({ ...call, filter: `${filter} and Id gt ${after}`, orderby: 'Id asc', pageSize: PRM_LEAD_PAGE_SIZE })) {
      read += 1;
      after = lead.id;
      // The PRM lead is read here, moments before the recall writes: the partner's work in the portal
      // since the share keeps it, even before the activity poll has copied it to Marketo (D25).
      if (isRecallCandidate(lead, input.exempt_source) && !workedInPrm(lead, input.untouched_statuses)) batch.push(lead);
      if (batch.length === MARKETO_LIMITS.batchSize) {
        yield* await withoutPartnerActivity(marketo, batch, input.exempt_source, input.untouched_statuses, call);
        batch = [];
      }
      // One page per query: the next starts after the last lead read.
      if (read === PRM_LEAD_PAGE_SIZE) break;
    }
    if (read < PRM_LEAD_PAGE_SIZE) break;
  }
  if (batch.length > 0) yield* await withoutPartnerActivity(marketo, batch, input.exempt_source, input.untouched_statuses, call);
}

/**
 * The leads of the batch whose Marketo lead (any of them, by email) has no activity of the lead's own
 * partner since the lead was shared and is not from the exempt source (D26).
 * Activity counts per partner: a joint-booth lead (one PRM lead per partner, one Marketo lead) has one
 * Last Partner Activity, which counts only for the partner in its Last Partner Activity Account; each
 * partner's portal work is also on its own PRM lead (workedInPrm). The Lead Acquisition Source is read from
 * Marketo, where marketing and the event imports set it (docs/systems.md, "Marketo REST": a lead field); the PRM
 * lead's copy (isRecallCandidate) is honoured too, but nothing in the runtime writes it.
 */
async function withoutPartnerActivity(marketo: MarketoClient, batch: readonly PrmPartnerLead[], exemptSource: string, untouchedStatuses: readonly string[], call: CallOptions): Promise<RecallableLead[]> {
  const found = new Map<string, { activity: Array<{ at: unknown; by: string }>; accounts: string[]; ids: number[]; suspendedBefore: Array<boolean | null>; exempt: boolean }>();
  const emails = [...new Set(batch.map((lead) => emailKey(lead.email)))].filter((email) => email !== '');
  const fields = ['id', 'email', PARTNER_LEAD_FIELDS.lastPartnerActivity.name, PARTNER_LEAD_FIELDS.lastPartnerActivityAccount.name, PARTNER_LEAD_FIELDS.impartnerPartnerAccount.name, PARTNER_LEAD_FIELDS.leadAcquisitionSource.name, PARTNER_LEAD_FIELDS.marketingSuspendedBeforeShare.name];
  for await (const lead of marketo.leadsBy('email', emails, fields, call)) {
    const email = emailKey(String(lead.email ?? ''));
    const entry = found.get(email) ?? { activity: [], accounts: [], ids: [], suspendedBefore: [], exempt: false };
    const before = lead[PARTNER_LEAD_FIELDS.marketingSuspendedBeforeShare.name];
    entry.suspendedBefore.push(typeof before === 'boolean' ? before : null);
    if (isExemptSource(lead[PARTNER_LEAD_FIELDS.leadAcquisitionSource.name], exemptSource)) entry.exempt = true;
    entry.activity.push({ at: lead[PARTNER_LEAD_FIELDS.lastPartnerActivity.name], by: String(lead[PARTNER_LEAD_FIELDS.lastPartnerActivityAccount.name] ?? '').trim() });
    entry.accounts.push(String(lead[PARTNER_LEAD_FIELDS.impartnerPartnerAccount.name] ?? '').trim());
    entry.ids.push(Number(lead.id));
    found.set(email, entry);
  }
  await addLeadStatusWork(marketo, batch, found, untouchedStatuses, call);
  return batch
    .map((lead) => ({ lead, entry: found.get(emailKey(lead.email)) }))
    .filter(({ entry }) => !entry?.exempt)
    .filter(({ lead, entry }) => !(entry?.activity ?? []).some(({ at, by }) => isThisPartners(lead, by) && hasPartnerActivity(lead.partnerSyncedDate!, at)))
    .map(({ lead, entry }) => ({ lead, marketoPartnerAccounts: entry?.accounts ?? [], marketoIds: entry?.ids ?? [], marketoSuspendedBeforeShare: entry?.suspendedBefore ?? [] }));
}

/**
 * D24, D25: the Lead Status changes made in Marketo since the batch's earliest share, read here and now
 * (`GET /v1/activities/leadchanges.json?fields=leadStatus&leadIds=…`, 30 leads a call), added to each
 * lead's activity as the lead-activity-from-marketo poll would record it: a change to a status other
 * than the untouched ones (or blank), by the partner the Marketo lead names. The poll runs every 15
 * minutes, so a status set at 07:20 was not on Last Partner Activity at the 07:30 recall, which took
 * back a lead the partner had worked; read here, work done up to the read keeps the lead.
 */
async function addLeadStatusWork(
  marketo: MarketoClient,
  batch: readonly PrmPartnerLead[],
  found: Map<string, { activity: Array<{ at: unknown; by: string }>; accounts: string[]; ids: number[] }>,
  untouchedStatuses: readonly string[],
  call: CallOptions,
): Promise<void> {
  // Only the leads nothing keeps yet (a lead with its partner's Last Partner Activity stays anyway):
  // the reads cost Marketo calls for the leads about to be reminded or recalled, not for every lead
  // partners worked, which stay in the look-back's read for months.
  const byId = new Map<number, { entry: { activity: Array<{ at: unknown; by: string }> }; account: string }>();
  let since: string | null = null;
  for (const lead of batch) {
    const entry = found.get(emailKey(lead.email));
    if (!entry || entry.activity.some(({ at, by }) => isThisPartners(lead, by) && hasPartnerActivity(lead.partnerSyncedDate!, at))) continue;
    entry.ids.forEach((id, i) => {
      if (entry.accounts[i]) byId.set(id, { entry, account: entry.accounts[i]! });
    });
    if (since === null || (stampMillis(lead.partnerSyncedDate!) ?? 0) < (stampMillis(since) ?? 0)) since = lead.partnerSyncedDate!;
  }
  if (byId.size === 0 || since === null) return;
  // One paging token (a position in time) for every group of the batch.
  const token = await marketo.activitiesPagingToken(since, call);
  const ids = [...byId.keys()];
  for (let i = 0; i < ids.length; i += MARKETO_LIMITS.leadIdsPerActivityCall) {
    const leadIds = ids.slice(i, i + MARKETO_LIMITS.leadIdsPerActivityCall);
    for (let next = token; ; ) {
      const page = await marketo.leadChangesPage(next, [LEAD_STATUS], { ...call, leadIds });
      for (const change of page.changes) {
        const held = byId.get(Number(change.leadId));
        const status = change.fields.find((f) => f.name === LEAD_STATUS)?.newValue;
        const text = status === null || status === undefined ? '' : String(status).trim();
        // Only on a lead a partner holds, counted for that partner: as the poll records it.
        if (held && text !== '' && !untouchedStatuses.includes(text)) held.entry.activity.push({ at: change.activityDate, by: held.account });
      }
      if (!page.moreResult) break;
      next = page.nextPageToken;
    }
  }
}

/** The Marketo field a partner's status in the portal reaches Marketo through (PRM → Salesforce → Marketo). */
const LEAD_STATUS = 'leadStatus';

/**
 * Whether a Last Partner Activity recorded for `by` (Last Partner Activity Account) is this PRM lead's
 * partner's work (D24, D25). Activity recorded before the account was (empty) counts for every partner.
 */
export function isThisPartners(lead: PrmPartnerLead, by: string): boolean {
  return by === '' || by === String(lead.partnerAccountId ?? '');
}

/**
 * Whether the recall of this lead may clear its Marketo partner fields (D25): its Marketo leads name no
 * partner, the partner being recalled, or another partner whose own copy of the person is recalled in
 * the same batch (`recalledWith`, a joint booth: that hold ends too). A lead shared meanwhile with a
 * partner that keeps its copy stays that partner's.
 */
export function stillThePartners(recallable: RecallableLead, recalledWith: ReadonlySet<string> = new Set()): boolean {
  const partner = String(recallable.lead.partnerAccountId ?? '');
  return recallable.marketoPartnerAccounts.every((account) => account === '' || account === partner || recalledWith.has(account));
}
