import { z } from 'zod';
import type { PartnerFundClaimStatus } from '../../schemas/domain/fund-claim.ts';
import type { MdfClaimStatus } from '../../schemas/domain/mdf-claim.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { PrmMdfClaim } from '../prm/prm-records.ts';
import { upsertFundClaim } from '../salesforce/upsert-fund-claim.ts';
import { CLAIM_STATUS_FROM_SALESFORCE, salesforceWins, stampOf } from './apply-salesforce-change.ts';
import { pendingSalesforceChange } from './pending-salesforce-change.ts';
import type { MdfConnection } from './sync-fund-request.ts';

/** D1: the PRM's Claim Approval Status as Salesforce's PartnerFundClaim Status picklist has it (docs/systems.md). */
export const FUND_CLAIM_STATUS: Readonly<Record<MdfClaimStatus, PartnerFundClaimStatus>> = { Open: 'Draft', Approved: 'Approved', Denied: 'Rejected', Paid: 'Paid' };

/**
 * The claim's stable key in Salesforce (`MDF_Claim_Key__c`, D1): the PRM's record id, which never changes
 * (a title may be edited, and one request may have several claims), prefixed so a reader sees what it is.
 */
export function fundClaimKey(claim: Pick<PrmMdfClaim, 'id'>): string {
  return `PRM-CLAIM-${claim.id}`;
}

/** The Funds Claim's Title: the claim's title, or, for a claim submitted without one, its MDF number and id. */
function fundClaimTitle(claim: PrmMdfClaim): string {
  const title = claim.title?.trim();
  return (title ? title : `${claim.mdfNumber} claim ${claim.id}`).slice(0, 255);
}

/** What `salesforce.upsert_fund_claim` answers. */
interface FundClaimWritten {
  id: string;
  created: boolean;
  request_id: string;
}

/** Reads twice at most more: a status that changed while the upsert was under way is written too. */
const MAX_WRITES = 3;

/**
 * `mdf.sync_fund_claim` (D1, D2): reads the claim from the PRM and upserts its Salesforce PartnerFundClaim
 * by the claim's stable key, linked to its request's PartnerFundRequest (RequestId), with the claim's PRM
 * URL and never its attachments (`salesforce.upsert_fund_claim` has no place for them). One action per
 * attempt, as for requests: a late or repeated sync writes what the PRM has then. A claim whose request
 * is not in Salesforce yet fails retryably (FundRequestNotInSalesforceError): the request's own sync may
 * be behind, and the recipe retries for 30 days.
 *
 * A status someone changed in Salesforce that the poll has not brought into the PRM yet (finance marking
 * the claim Paid) and that wins under the conflict rule (`salesforceWins`, D1) is not written over: the
 * sync writes nothing then (`salesforce_kept`), the poll brings it into the PRM and tells the partner,
 * and the poll's run syncs the claim again. Otherwise any PRM edit of the claim in between (a purchase
 * order number, Missing POP) re-synced the PRM's older status and finance's change was lost for good.
 */
export const syncFundClaim = defineAction({
  description: 'Writes the Salesforce Funds Claim of an MDF claim as the PRM has it now (upsert by the claim key, linked to its Funds Request, with the PRM URL, no attachments).',
  input: z.object({ claim_id: z.coerce.number().int().positive().describe('The PRM record id of the claim.') }).strict(),
  output: z.object({
    id: z.string().describe('The PartnerFundClaim record ID.'),
    created: z.boolean().describe('True when this sync created the record.'),
    request_id: z.string().describe('The PartnerFundRequest it is linked to.'),
    claim_key: z.string(),
    status: z.string().describe('The PRM status written.'),
    prm_url: z.string(),
    salesforce_kept: z.string().nullable().describe("The Salesforce Status kept because it is someone's newer change that wins under the conflict rule (D1): nothing was written, the poll brings it into the PRM. Null when written."),
  }),
  idempotent: true,
  uses: ['prm', 'salesforce'],
  run: async (input, ctx: ActionContext<MdfConnection>) => {
    const call = { signal: ctx.signal, note: ctx.note };
    const prm = ctx.connection.prm();
    let claim = await prm.getMdfClaim(input.claim_id, call);
    let created = false;
    for (let write = 1; ; write++) {
      const key = fundClaimKey(claim);
      const pending = await pendingSalesforceChange(ctx.connection.salesforce(), 'PartnerFundClaim', key, call);
      const theirs = pending?.status ? CLAIM_STATUS_FROM_SALESFORCE[pending.status] : undefined;
      if (pending && theirs && theirs !== claim.status && salesforceWins({ status: claim.status, changedAt: stampOf(claim.updated) }, { status: theirs, changedAt: stampOf(pending.last_modified) })) {
        ctx.note(`${key}: Salesforce has ${pending.status} from ${pending.last_modified_by} at ${pending.last_modified}, newer than the PRM's ${claim.status} under the conflict rule (D1): not written over; the poll brings it into the PRM`);
        return { id: pending.id, created, request_id: pending.request_id ?? '', claim_key: key, status: claim.status, prm_url: prm.mdfClaimUrl(claim.id), salesforce_kept: pending.status };
      }
      const upsert = {
        claim_key: fundClaimKey(claim),
        mdf_number: claim.mdfNumber,
        title: fundClaimTitle(claim),
        amount: claim.amount ?? 0,
        status: FUND_CLAIM_STATUS[claim.status],
        prm_url: prm.mdfClaimUrl(claim.id),
      };
      // The Salesforce action itself, so its checks (no attachments, the RequestId lookup, its errors) hold here too.
      const result = (await upsertFundClaim.run(upsertFundClaim.input.parse(upsert), { ...ctx, connection: ctx.connection.salesforce() })) as FundClaimWritten;
      created ||= result.created;
      const now = await prm.getMdfClaim(input.claim_id, call);
      if (now.status === claim.status && now.amount === claim.amount && now.title === claim.title && now.mdfNumber === claim.mdfNumber) {
        return { id: result.id, created, request_id: result.request_id, claim_key: upsert.claim_key, status: claim.status, prm_url: upsert.prm_url, salesforce_kept: null };
      }
      if (write >= MAX_WRITES) throw new Error(`claim ${input.claim_id} (${claim.mdfNumber}) changed in the PRM during each of ${MAX_WRITES} syncs; the next attempt writes it again`);
      claim = now;
    }
  },
});
