import { z } from 'zod';
import { PartnerFundClaim, PartnerFundClaimStatus } from '../../schemas/domain/fund-claim.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { HttpError, NotFoundError } from '../kit/http-errors.ts';
import type { SalesforceConnection } from './salesforce-connection.ts';

/**
 * The claim's request has no Funds Request in Salesforce yet. Retryable: requests and claims sync in runs
 * of their own that retry for days (D1), so the request's sync may simply be behind the claim's (an
 * outage at submission, a sync run waiting on a retry); a later attempt finds it once that run catches
 * up. If it never does, the claim's run fails when its retries run out, with this message.
 */
export class FundRequestNotInSalesforceError extends HttpError {
  override name = 'FundRequestNotInSalesforceError';
  constructor(cause: NotFoundError, mdfNumberField: string, mdfNumber: string) {
    super(
      {
        system: cause.system,
        status: cause.status,
        method: cause.method,
        url: cause.url,
        code: cause.code,
        cause,
        message: `salesforce has no PartnerFundRequest with ${mdfNumberField} = ${mdfNumber} yet, so the claim cannot be linked to it; retryable: the request's own sync (mdf-request-salesforce-sync) may be behind`,
      },
      true,
    );
  }
}

/**
 * Salesforce answers 404 NOT_FOUND both for "no record has this value" and for "this is no external-ID
 * field"; only the message tells them apart. The second is a configuration error that no retry fixes.
 */
function isUnknownExternalIdField(error: NotFoundError): boolean {
  return /external id field/i.test(error.systemMessage ?? '');
}

/**
 * `salesforce.upsert_fund_claim` (D1, D2): the Funds Claim for an MDF claim, linked to its request's
 * Funds Request (found by the MDF number's external ID) and upserted by the claim's stable key, so a
 * repeat (a retry, a replayed run, the next status) updates the one record. Attachments are never sent:
 * the input has no place for them (an input that names them is refused) and the claim carries its PRM
 * URL instead (D2).
 */
export const upsertFundClaim = defineAction({
  description: "Creates or updates the PartnerFundClaim that carries this claim key, linked to the PartnerFundRequest of its MDF number. Attachments stay in the PRM: the claim carries the claim's PRM URL.",
  input: z
    .object({
      claim_key: z.string().min(1).max(80).describe("The claim's stable key from the PRM, stored in the claim's external-ID field (SALESFORCE_CLAIM_KEY_FIELD)."),
      mdf_number: z.string().min(1).describe('The MDF number of the claim’s request, e.g. MDF-1001: finds its PartnerFundRequest.'),
      title: PartnerFundClaim.shape.Title.describe('The claim title.'),
      amount: PartnerFundClaim.shape.Amount.describe('The claimed amount.'),
      status: PartnerFundClaimStatus.describe('Salesforce status: Draft, Approved, Rejected or Paid.'),
      prm_url: PartnerFundClaim.shape.PRM_Claim_URL__c.describe('The URL of the claim in the PRM, where its attachments are (D2).'),
    })
    .strict(),
  output: z.object({
    id: z.string().describe('The PartnerFundClaim record ID.'),
    created: z.boolean().describe('True when this call created the record, false when it updated it.'),
    request_id: z.string().describe('The PartnerFundRequest record ID the claim is linked to (RequestId).'),
  }),
  idempotent: true,
  run: async (input, ctx: ActionContext<SalesforceConnection>) => {
    const call = { signal: ctx.signal, note: ctx.note };
    const { client, mdfNumberField, claimKeyField, claimUrlField = 'PRM_Claim_URL__c' } = ctx.connection;
    let request;
    try {
      request = await client.getByExternalId('PartnerFundRequest', mdfNumberField, input.mdf_number, ['Id'], call);
    } catch (error) {
      if (error instanceof NotFoundError && !isUnknownExternalIdField(error)) throw new FundRequestNotInSalesforceError(error, mdfNumberField, input.mdf_number);
      throw error;
    }
    const requestId = String(request.Id);
    const fields: PartnerFundClaim = {
      Title: input.title,
      // Currency fields hold cents: a PRM amount with a fraction of a cent (the intake refuses such a claim) is never written as 8000.004.
      Amount: Math.round(input.amount * 100) / 100,
      RequestId: requestId,
      Status: input.status,
      PRM_Claim_URL__c: input.prm_url,
    };
    // Checked as the schema names it, sent under the org's field name (SALESFORCE_CLAIM_URL_FIELD).
    const { PRM_Claim_URL__c: url, ...checked } = PartnerFundClaim.parse(fields);
    const result = await client.upsert('PartnerFundClaim', claimKeyField, input.claim_key, { ...checked, [claimUrlField]: url }, call);
    ctx.note(`${result.created ? 'created' : 'updated'} PartnerFundClaim ${result.id} (${claimKeyField} = ${input.claim_key}) for PartnerFundRequest ${requestId} (${mdfNumberField} = ${input.mdf_number}): ${input.status}`);
    return { id: result.id, created: result.created, request_id: requestId };
  },
});
