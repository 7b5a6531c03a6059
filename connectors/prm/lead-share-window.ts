import { z } from 'zod';

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
