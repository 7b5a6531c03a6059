import type { CallOptions } from '../kit/http-client.ts';
import type { PrmClient } from '../prm/prm-client.ts';
import { PRM_LEAD_PAGE_SIZE } from '../prm/lead-share-window.ts';
import type { PrmPartnerLead } from '../prm/prm-records.ts';
import { prmString } from '../prm/prm-filter-string.ts';
import { emailKey } from './email-key.ts';

/** Emails per `Email in (…)` read: the PRM's `in` lists are read 100 at a time elsewhere (docs/systems.md), and it keeps the URL short. */
const EMAILS_PER_READ = 100;

/**
 * D25 (joint booth): for each lead being recalled, the open share of the same person that another
 * partner still holds, if any: that partner's PRM lead with the same email, shared (Partner Synced
 * Date) and not recalled. The Marketo and Salesforce leads are handed over to it instead of being
 * released, so a partner still working the person keeps it and marketing stays suspended.
 *
 * One PRM read per 100 emails of the batch (`Email in (…) and PartnerSyncedDate ne null and RecalledDate
 * eq null`). No look-back bound: a share older than the look-back is still its partner's (D25). The
 * leads being recalled in this batch are no remaining share (both copies of a joint-booth lead can be
 * due the same day: then nobody remains and the lead is released). Several remaining partners: the one
 * shared last, as the routing names the partner routed last (ties: the later PRM lead).
 */
export async function remainingPartnerShares(prm: PrmClient, recalling: readonly PrmPartnerLead[], call: CallOptions): Promise<Map<string, PrmPartnerLead>> {
  const remaining = new Map<string, PrmPartnerLead>();
  const recallingIds = new Set(recalling.map((lead) => lead.id));
  const recalledFrom = partnersRecalledIn(recalling);
  // As the PRM holds them (the sync writes them in lower case) and in lower case: string comparison may be case-sensitive [guess].
  const emails = [...new Set(recalling.flatMap((lead) => [lead.email, emailKey(lead.email)]))];
  for (let i = 0; i < emails.length; i += EMAILS_PER_READ) {
    const group = emails.slice(i, i + EMAILS_PER_READ);
    const filter = `Email in (${group.map(prmString).join(', ')}) and PartnerSyncedDate ne null and RecalledDate eq null`;
    for await (const lead of prm.listPartnerLeads({ ...call, filter, orderby: 'Id asc', pageSize: PRM_LEAD_PAGE_SIZE })) {
      const key = emailKey(lead.email);
      if (recallingIds.has(lead.id) || lead.recalledDate || recalledFrom.get(key)?.has(String(lead.partnerAccountId ?? ''))) continue;
      const held = remaining.get(key);
      if (!held || sharedLater(lead, held)) remaining.set(key, lead);
    }
  }
  return remaining;
}

/**
 * D25 (joint booth): the PRM accounts each person (email key) is recalled from in this batch. None of
 * them holds the person once the batch is written: a Marketo or Salesforce lead naming one of them is
 * released (or handed over to a partner outside the batch), never "left with" it.
 */
export function partnersRecalledIn(recalling: readonly PrmPartnerLead[]): Map<string, Set<string>> {
  const recalledFrom = new Map<string, Set<string>>();
  for (const lead of recalling) {
    const key = emailKey(lead.email);
    recalledFrom.set(key, (recalledFrom.get(key) ?? new Set()).add(String(lead.partnerAccountId ?? '')));
  }
  return recalledFrom;
}

function sharedLater(a: PrmPartnerLead, b: PrmPartnerLead): boolean {
  const at = Date.parse(a.partnerSyncedDate ?? '') || 0;
  const bt = Date.parse(b.partnerSyncedDate ?? '') || 0;
  return at !== bt ? at > bt : a.id > b.id;
}

