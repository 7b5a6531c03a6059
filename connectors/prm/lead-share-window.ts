import { z } from 'zod';
import type { CallOptions } from '../kit/http-client.ts';
import { NotFoundError } from '../kit/http-errors.ts';
import type { PrmClient } from './prm-client.ts';
import { prmString } from './prm-filter-string.ts';
import type { PrmPartnerContact } from './prm-records.ts';
import { oneLine } from './one-line.ts';

/**
 * The window of a lead-share digest (D23): leads whose Partner Synced Date is after `from` and at or
 * before `to`. Consecutive digests pass windows that meet end to start, so no lead is in two of them.
 */
export const LeadShareWindow = z.object({
  from: z.iso.datetime({ offset: true }).describe('Exclusive start: the previous digest\'s `to`.'),
  to: z.iso.datetime({ offset: true }).describe('Inclusive end: the digest\'s scheduled time.'),
});
export type LeadShareWindow = z.infer<typeof LeadShareWindow>;

/** The largest page the PRM answers (take), so a digest over 100,000 leads makes as few calls as it can. [guess: 500] */
export const PRM_LEAD_PAGE_SIZE = 500;

/** The PRM filter of the leads synced in the window, optionally of one partner. */
export function syncedBetweenFilter(window: LeadShareWindow, partnerId?: number): string {
  return syncedWithinTerms(window, partnerId).join(' and ');
}

/**
 * The PRM filter terms of the leads synced after `from` (when given) and at or before `to`, optionally
 * of one partner: the digest's window (D23) and the reminder's and recall's reads (D24, D25) share them.
 */
export function syncedWithinTerms(window: { from?: string; to: string }, partnerId?: number): string[] {
  const terms = partnerId === undefined ? [] : [`PartnerAccountId eq ${partnerId}`];
  if (window.from !== undefined) terms.push(`PartnerSyncedDate gt ${prmString(window.from)}`);
  terms.push(`PartnerSyncedDate le ${prmString(window.to)}`);
  return terms;
}

/** A partner with leads to tell it about (D23, D24): its name and Partner Contact Email (null: none usable, or no such account). */
export const PartnerSummary = z.object({
  partner_id: z.number().int(),
  name: z.string().nullable(),
  contact_email: z.string().nullable(),
  contact_problem: z.string().nullable().describe('Why contact_email is null, for ops: no contact, not an address, no such account.'),
  lead_count: z.number().int(),
});
export type PartnerSummary = z.infer<typeof PartnerSummary>;

/**
 * Up to this many partners are read one by one; more are read with the list of every partner account,
 * PRM_LEAD_PAGE_SIZE a page: a digest for 1,000 partners reads 2 pages (of 1,000 accounts) instead of
 * making 1,000 calls, 100 s of waits at the PRM connector's 10 calls a second.
 */
const PARTNERS_READ_ONE_BY_ONE = 20;

/** Each partner of the counts (partner id → leads), by id, read once from the PRM; id 0 (a lead without a partner account) has no contact. */
export async function describePartners(prm: PrmClient, counts: ReadonlyMap<number, number>, call: CallOptions): Promise<PartnerSummary[]> {
  const ids = [...counts.keys()].filter((id) => id > 0);
  const found = new Map<number, PrmPartnerContact>();
  if (ids.length > PARTNERS_READ_ONE_BY_ONE) {
    for await (const partner of prm.listPartnerContacts({ ...call, pageSize: PRM_LEAD_PAGE_SIZE })) if (counts.has(partner.id)) found.set(partner.id, partner);
  } else {
    for (const id of ids) {
      const partner = await prm.getPartnerContact(id, call).catch((e: unknown) => (e instanceof NotFoundError ? null : Promise.reject(e)));
      if (partner) found.set(id, partner);
    }
  }
  return [...counts]
    .sort((a, b) => a[0] - b[0])
    .map(([partnerId, count]) => {
      const partner = found.get(partnerId) ?? null;
      const contact = partnerContact(partnerId, partner);
      // A name typed on two lines in the portal greets the partner on one (D23, D24 emails).
      return { partner_id: partnerId, name: partner?.name == null ? null : oneLine(partner.name), contact_email: contact.email, contact_problem: contact.problem, lead_count: count };
    });
}

const EMAIL = z.email();

/** The address to tell a partner at, or why there is none (a lead without a partner account, an account gone, a contact that is no address). */
export function partnerContact(partnerId: number, partner: PrmPartnerContact | null): { email: string | null; problem: string | null } {
  if (partnerId <= 0) return { email: null, problem: 'the leads have no partner account' };
  if (!partner) return { email: null, problem: 'no such partner account in the PRM' };
  const given = partner.contactEmail;
  if (given === undefined || given === null || (typeof given === 'string' && given.trim() === '')) return { email: null, problem: 'no Partner Contact Email' };
  if (typeof given === 'string' && EMAIL.safeParse(given.trim()).success) return { email: given.trim(), problem: null };
  return { email: null, problem: `Partner Contact Email ${JSON.stringify(given)} is not an email address` };
}
