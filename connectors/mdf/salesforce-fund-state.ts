import type { CallOptions } from '../kit/http-client.ts';
import { NotFoundError } from '../kit/http-errors.ts';
import type { SalesforceConnection } from '../salesforce/salesforce-connection.ts';

/** A Funds record as Salesforce has it now: the values the sync rule compares, and who wrote it last. */
export interface SalesforceFundState {
  id: string;
  status: string | null;
  /** A Funds Request's approved Amount; null for a claim or when none is set. */
  amount: number | null;
  last_modified: string;
  last_modified_by: string;
  /** Someone other than the integration user wrote the record last (the old evidence, for records without a sync base). */
  by_others: boolean;
  /** A Funds Claim's RequestId (the Funds Request it is linked to); null for a Funds Request. */
  request_id: string | null;
}

/**
 * D1: reads a Funds Request (by MDF number) or Funds Claim (by claim key) before the PRM → Salesforce
 * sync writes it, so the sync rule (sync-rule.ts) can tell whether someone (finance) changed a field
 * since the sync base and that change is to be kept for the poll to bring into the PRM. Writing over
 * such a record as the integration would not only replace finance's value: it would also make the
 * record the integration's, so the poll (which leaves the integration's writes out) would never see it.
 * Null when the record is not in Salesforce yet (the upsert creates it).
 */
export async function readSalesforceFund(
  salesforce: SalesforceConnection,
  object: 'PartnerFundRequest' | 'PartnerFundClaim',
  key: string,
  call: CallOptions,
): Promise<SalesforceFundState | null> {
  const { client, mdfNumberField, claimKeyField, integrationUserId } = salesforce;
  const keyField = object === 'PartnerFundRequest' ? mdfNumberField : claimKeyField;
  let record;
  try {
    const fields = ['Id', 'Status', 'LastModifiedDate', 'LastModifiedById', ...(object === 'PartnerFundClaim' ? ['RequestId'] : ['Amount'])];
    record = await client.getByExternalId(object, keyField, key, fields, call);
  } catch (error) {
    // Not there yet: the upsert creates it (a wrong field name fails there, with the org's message).
    if (error instanceof NotFoundError) return null;
    throw error;
  }
  const by = String(record.LastModifiedById ?? '');
  const writer = integrationUserId ?? (await client.sessionUserId());
  return {
    id: String(record.Id),
    status: typeof record.Status === 'string' ? record.Status : null,
    amount: typeof record.Amount === 'number' ? record.Amount : null,
    last_modified: String(record.LastModifiedDate ?? ''),
    last_modified_by: by,
    by_others: writer !== null && by !== '' && by !== writer,
    request_id: record.RequestId ? String(record.RequestId) : null,
  };
}
