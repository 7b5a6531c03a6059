import type { CallOptions } from '../kit/http-client.ts';
import { COLLECTION_LIMIT, type SalesforceClient } from '../salesforce/salesforce-client.ts';
import { emailKey } from './email-key.ts';

/** A Lead Salesforce refused to update: the lead key and the org's messages. */
export interface SalesforceRefusal {
  key: string;
  reason: string;
}

/** What the recall did in Salesforce for one batch (D1, D25). */
export interface SalesforceRecallOutcome {
  /** Lead keys (emails, lower case) Salesforce has no Lead for: recalled in Marketo and the PRM only. */
  notInSalesforce: string[];
  /** Leads Salesforce refused to update (by key), with its reason. */
  refused: SalesforceRefusal[];
  /** Lead keys whose Salesforce Lead now names another partner's Account: left alone (D25). */
  otherPartners: string[];
  /** Lead keys whose Salesforce Lead was handed over to the partner that still holds a share (`handTo`), or already named it. */
  handedOver: string[];
  calls: number;
}

/**
 * D1, D25: the recalled leads' Salesforce Leads (PRM Lead ↔ Salesforce Lead) are taken back from the
 * partner too: PartnerAccountId cleared (the partner no longer works the lead in Salesforce's reports
 * and partner views) and Partner_Recalled_Date__c set. 200 at a time: one SOQL query for their Ids by
 * the lead key, one sObject Collections update. Update only: a lead Salesforce lacks is named, never
 * created. The same values written twice land the same way, so a retried batch changes nothing more.
 * A Lead whose PartnerAccountId names another Account than the recalled partners' (`partners`: key →
 * the CRM Partner ID of each partner the person is recalled from in the batch, when its PRM lead has
 * one; several on a joint-booth lead whose copies are all recalled) was shared with that partner since:
 * left alone.
 * A key in `handTo` (key → the CRM Partner ID of another partner that still holds an open share of the
 * person: a joint booth, D25) is handed over instead: PartnerAccountId becomes that Account and no
 * Partner Recalled Date is set (the Lead is not recalled); a Lead that names that Account already (a
 * retried batch) is left as it is.
 */
export async function recallSalesforceLeads(client: SalesforceClient, keyField: string, keys: readonly string[], at: string, call: CallOptions, partners: ReadonlyMap<string, ReadonlyArray<string | null | undefined>> = new Map(), handTo: ReadonlyMap<string, string> = new Map()): Promise<SalesforceRecallOutcome> {
  const outcome: SalesforceRecallOutcome = { notInSalesforce: [], refused: [], otherPartners: [], handedOver: [], calls: 0 };
  for (let i = 0; i < keys.length; i += COLLECTION_LIMIT) {
    const group = [...new Set(keys.slice(i, i + COLLECTION_LIMIT))];
    const ids = new Map<string, string[]>();
    const soql = `SELECT Id, ${keyField}, PartnerAccountId FROM Lead WHERE ${keyField} IN (${group.map(soqlString).join(', ')})`;
    outcome.calls += 1;
    for await (const record of client.query(soql, call)) {
      const key = emailKey(String(record[keyField] ?? ''));
      const target = handTo.get(key);
      if (target !== undefined && sameAccountId(target, record.PartnerAccountId)) {
        if (!outcome.handedOver.includes(key)) outcome.handedOver.push(key);
        continue;
      }
      if (!recalledAccount(partners.get(key) ?? [], record.PartnerAccountId)) {
        if (!outcome.otherPartners.includes(key)) outcome.otherPartners.push(key);
        continue;
      }
      ids.set(key, [...(ids.get(key) ?? []), String(record.Id)]);
    }
    const updates = group.flatMap((key) => (ids.get(key) ?? []).map((Id) => ({ Id, key })));
    outcome.notInSalesforce.push(...group.filter((key) => !ids.has(key) && !outcome.otherPartners.includes(key) && !outcome.handedOver.includes(key)));
    if (updates.length === 0) continue;
    outcome.calls += 1;
    const results = await client.updateRecords('Lead', updates.map(({ Id, key }) => (handTo.has(key) ? { Id, PartnerAccountId: handTo.get(key) } : { Id, PartnerAccountId: null, Partner_Recalled_Date__c: at })), call);
    results.forEach((result, j) => {
      const { key } = updates[j]!;
      if (!result.success) outcome.refused.push({ key, reason: result.errors.map((e) => e.message).join('; ') });
      else if (handTo.has(key) && !outcome.handedOver.includes(key)) outcome.handedOver.push(key);
    });
  }
  return outcome;
}

/** A SOQL string literal: backslash and quote escaped. */
function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Whether the Lead's PartnerAccountId still names a recalled partner: none set, a recalled partner's
 * CRM Partner ID unknown (none given counts as unknown), or the same Account as one of them (15- and
 * 18-character Ids compare by their first 15).
 */
function recalledAccount(recalled: ReadonlyArray<string | null | undefined>, current: unknown): boolean {
  if (current === null || current === undefined || current === '' || recalled.length === 0) return true;
  return recalled.some((partner) => !partner || sameAccountId(partner, current));
}

/** Whether the Lead's PartnerAccountId is this Account (15- and 18-character Ids compare by their first 15). */
function sameAccountId(account: string, current: unknown): boolean {
  return typeof current === 'string' && current !== '' && current.slice(0, 15) === account.trim().slice(0, 15);
}
