import type { CallOptions } from '../kit/http-client.ts';
import { NotFoundError } from '../kit/http-errors.ts';
import type { SalesforceConnection } from '../salesforce/salesforce-connection.ts';

/** A Funds record as someone other than this integration left it in Salesforce. */
export interface PendingSalesforceChange {
  id: string;
  status: string | null;
  last_modified: string;
  last_modified_by: string;
  /** A Funds Claim's RequestId (the Funds Request it is linked to); null for a Funds Request. */
  request_id: string | null;
}

/**
 * D1: the change someone else (finance) made to a Funds Request or Funds Claim in Salesforce that this
 * integration has not overwritten: the record's last writer is not the integration user. Null when the
 * record is not in Salesforce or the integration wrote it last (then Salesforce holds what the PRM →
 * Salesforce sync last wrote, and there is nothing of Salesforce's own to keep).
 *
 * The PRM → Salesforce sync asks this before it writes. Writing over such a record as the integration
 * would not only replace finance's value: it would also make the record the integration's, so the poll
 * (which leaves the integration's writes out, the echo rule) would never bring finance's change into
 * the PRM. A claim finance marked Paid and ops edited in the PRM before the next poll was lost that way.
 */
export async function pendingSalesforceChange(
  salesforce: SalesforceConnection,
  object: 'PartnerFundRequest' | 'PartnerFundClaim',
  key: string,
  call: CallOptions,
): Promise<PendingSalesforceChange | null> {
  const { client, mdfNumberField, claimKeyField, integrationUserId } = salesforce;
  const keyField = object === 'PartnerFundRequest' ? mdfNumberField : claimKeyField;
  const writer = integrationUserId ?? (await client.sessionUserId());
  let record;
  try {
    const fields = ['Id', 'Status', 'LastModifiedDate', 'LastModifiedById', ...(object === 'PartnerFundClaim' ? ['RequestId'] : [])];
    record = await client.getByExternalId(object, keyField, key, fields, call);
  } catch (error) {
    // Not there yet: the upsert creates it (a wrong field name fails there, with the org's message).
    if (error instanceof NotFoundError) return null;
    throw error;
  }
  const by = String(record.LastModifiedById ?? '');
  if (writer === null || by === '' || by === writer) return null;
  return { id: String(record.Id), status: typeof record.Status === 'string' ? record.Status : null, last_modified: String(record.LastModifiedDate), last_modified_by: by, request_id: record.RequestId ? String(record.RequestId) : null };
}
