import { z } from 'zod';
import type { CallOptions } from '../kit/http-client.ts';
import { NotFoundError } from '../kit/http-errors.ts';
import type { PrmClient } from './prm-client.ts';
import type { PrmPartnerContact } from './prm-records.ts';

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
  const dates = `PartnerSyncedDate gt '${window.from}' and PartnerSyncedDate le '${window.to}'`;
  return partnerId === undefined ? dates : `PartnerAccountId eq ${partnerId} and ${dates}`;
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

/** Each partner of the counts (partner id → leads), by id, read once from the PRM; id 0 (a lead without a partner account) has no contact. */
export async function describePartners(prm: PrmClient, counts: ReadonlyMap<number, number>, call: CallOptions): Promise<PartnerSummary[]> {
  const partners: PartnerSummary[] = [];
  for (const [partnerId, count] of [...counts].sort((a, b) => a[0] - b[0])) {
    const partner = partnerId > 0 ? await prm.getPartnerContact(partnerId, call).catch((e: unknown) => (e instanceof NotFoundError ? null : Promise.reject(e))) : null;
    const contact = partnerContact(partnerId, partner);
    partners.push({ partner_id: partnerId, name: partner?.name ?? null, contact_email: contact.email, contact_problem: contact.problem, lead_count: count });
  }
  return partners;
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
