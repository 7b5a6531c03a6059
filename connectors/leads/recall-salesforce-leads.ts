import type { CallOptions } from '../kit/http-client.ts';
import { COLLECTION_LIMIT, type SalesforceClient } from '../salesforce/salesforce-client.ts';

/** What the recall did in Salesforce for one batch (D1, D25). */
export interface SalesforceRecallOutcome {
  /** Lead keys (emails, lower case) Salesforce has no Lead for: recalled in Marketo and the PRM only. */
  notInSalesforce: string[];
  /** Leads Salesforce refused to update, with its reason. */
  refused: string[];
  calls: number;
}

/**
 * D1, D25: the recalled leads' Salesforce Leads (PRM Lead ↔ Salesforce Lead) are taken back from the
 * partner too: PartnerAccountId cleared (the partner no longer works the lead in Salesforce's reports
 * and partner views) and Partner_Recalled_Date__c set. 200 at a time: one SOQL query for their Ids by
 * the lead key, one sObject Collections update. Update only: a lead Salesforce lacks is named, never
 * created. The same values written twice land the same way, so a retried batch changes nothing more.
 */
export async function recallSalesforceLeads(client: SalesforceClient, keyField: string, keys: readonly string[], at: string, call: CallOptions): Promise<SalesforceRecallOutcome> {
  const outcome: SalesforceRecallOutcome = { notInSalesforce: [], refused: [], calls: 0 };
  for (let i = 0; i < keys.length; i += COLLECTION_LIMIT) {
    const group = [...new Set(keys.slice(i, i + COLLECTION_LIMIT))];
    const ids = new Map<string, string[]>();
    const soql = `SELECT Id, ${keyField} FROM Lead WHERE ${keyField} IN (${group.map(soqlString).join(', ')})`;
    outcome.calls += 1;
    for await (const record of client.query(soql, call)) {
      const key = String(record[keyField] ?? '').toLowerCase();
      ids.set(key, [...(ids.get(key) ?? []), String(record.Id)]);
    }
    const updates = group.flatMap((key) => (ids.get(key) ?? []).map((Id) => ({ Id, key })));
    outcome.notInSalesforce.push(...group.filter((key) => !ids.has(key)));
    if (updates.length === 0) continue;
    outcome.calls += 1;
    const results = await client.updateRecords('Lead', updates.map(({ Id }) => ({ Id, PartnerAccountId: null, Partner_Recalled_Date__c: at })), call);
    results.forEach((result, j) => {
      if (!result.success) outcome.refused.push(`${updates[j]!.key} (${result.errors.map((e) => e.message).join('; ')})`);
    });
  }
  return outcome;
}

/** A SOQL string literal: backslash and quote escaped. */
function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
