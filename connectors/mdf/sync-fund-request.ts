import { z } from 'zod';
import type { PartnerFundRequest } from '../../schemas/domain/fund-request.ts';
import type { MdfRequestStatus } from '../../schemas/domain/mdf-request.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { PrmClient } from '../prm/prm-client.ts';
import type { PrmMdfRequest, PrmPartner } from '../prm/prm-records.ts';
import type { SalesforceConnection } from '../salesforce/salesforce-connection.ts';

/** What the MDF connector reaches: the PRM (the record of status) and Salesforce (reporting). */
export interface MdfConnection {
  prm(): PrmClient;
  salesforce(): SalesforceConnection;
}

/**
 * D1: the Salesforce Funds Request for an MDF request as the PRM has it. Salesforce's Status picklist is
 * Draft | Approved | Rejected: an Open request is Draft; Approved (and Closed, approved then claimed) is
 * Approved with the approved Amount; Denied and Canceled are Rejected. The Amount is cleared unless
 * the request is approved, so a cancellation leaves no approved money behind.
 */
export function fundRequestFields(request: PrmMdfRequest, partner: Pick<PrmPartner, 'crmId'>): PartnerFundRequest {
  const approved = request.status === 'Approved' || request.status === 'Closed';
  const status: Record<MdfRequestStatus, PartnerFundRequest['Status']> = { Open: 'Draft', Approved: 'Approved', Closed: 'Approved', Denied: 'Rejected', Canceled: 'Rejected' };
  return {
    Title: `${request.mdfNumber}: ${request.activityName ? request.activityName : 'MDF request'}`,
    RequestedAmount: request.amountRequested ?? 0,
    Amount: approved && request.amountRequested ? request.amountRequested : null,
    Activity: request.activityType ?? null,
    ChannelPartnerId: partner.crmId,
    Status: status[request.status],
  };
}

/** Reads twice at most more: a status that changed while the upsert was under way is written too. */
const MAX_WRITES = 3;

/**
 * `mdf.sync_fund_request` (D1): reads the request (and partner) from the PRM and upserts its Salesforce
 * Funds Request by MDF number, in ONE action, so that every attempt, however late (a retry hours after
 * a Salesforce outage), writes the state the PRM has at that attempt: a late or repeated sync never
 * duplicates the record and never writes an older status over a newer one. After writing, the status is
 * read again; if it moved meanwhile (a decision made during the call), the new state is written too.
 */
export const syncFundRequest = defineAction({
  description: 'Writes the Salesforce Funds Request of an MDF request as the PRM has it now (upsert by MDF number).',
  input: z.object({ mdf_number: z.string().min(1).describe('The Funds Request Number, e.g. MDF-1001.') }).strict(),
  output: z.object({
    id: z.string().describe('The PartnerFundRequest record ID.'),
    created: z.boolean().describe('True when this sync created the record.'),
    status: z.string().describe('The PRM status written.'),
    fields: z.record(z.string(), z.unknown()).describe('The fields written.'),
  }),
  idempotent: true,
  uses: ['prm', 'salesforce'],
  run: async (input, ctx: ActionContext<MdfConnection>) => {
    const call = { signal: ctx.signal, note: ctx.note };
    const prm = ctx.connection.prm();
    const { client, mdfNumberField } = ctx.connection.salesforce();
    let request = await prm.getMdfRequestByNumber(input.mdf_number, call);
    const partner = await prm.getPartner(request.partnerId, call);
    let created = false;
    for (let write = 1; ; write++) {
      const fields = fundRequestFields(request, partner);
      const result = await client.upsert('PartnerFundRequest', mdfNumberField, input.mdf_number, fields, call);
      created ||= result.created;
      ctx.note(`${result.created ? 'created' : 'updated'} PartnerFundRequest ${result.id} (${mdfNumberField} = ${input.mdf_number}): ${request.status} as ${fields.Status}`);
      const now = await prm.getMdfRequestByNumber(input.mdf_number, call);
      if (now.status === request.status && now.amountRequested === request.amountRequested) return { id: result.id, created, status: request.status, fields };
      if (write >= MAX_WRITES) throw new Error(`${input.mdf_number} changed status in the PRM during each of ${MAX_WRITES} syncs; the next attempt writes it again`);
      request = now;
    }
  },
});
