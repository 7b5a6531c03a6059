import { z } from 'zod';
import { cutToLength } from '../../schemas/domain/cut-to-length.ts';
import { FUND_CLAIM_TITLE_MAX, type PartnerFundClaimStatus } from '../../schemas/domain/fund-claim.ts';
import type { MdfClaimStatus } from '../../schemas/domain/mdf-claim.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { PrmMdfClaim } from '../prm/prm-records.ts';
import { upsertFundClaim } from '../salesforce/upsert-fund-claim.ts';
import { readSalesforceFund } from './salesforce-fund-state.ts';
import type { MdfConnection } from './sync-fund-request.ts';
import { CLAIM_STATUS_IN_SALESFORCE, claimFieldSides, decideField, evidenceWithoutBase } from './sync-rule.ts';

/** D1: the PRM's Claim Approval Status as Salesforce's PartnerFundClaim Status picklist has it (docs/systems.md). */
export const FUND_CLAIM_STATUS: Readonly<Record<MdfClaimStatus, PartnerFundClaimStatus>> = CLAIM_STATUS_IN_SALESFORCE;

/**
 * The claim's stable key in Salesforce (`MDF_Claim_Key__c`, D1): the PRM's record id, which never changes
 * (a title may be edited, and one request may have several claims), prefixed so a reader sees what it is.
 */
export function fundClaimKey(claim: Pick<PrmMdfClaim, 'id'>): string {
  return `PRM-CLAIM-${claim.id}`;
}

/**
 * The Funds Claim's Title: the claim's title, or, for a claim submitted without one, its MDF number and id;
 * cut to Salesforce's length with `…` (cutToLength, as the Funds Request title), so a reader sees it was cut.
 */
function fundClaimTitle(claim: PrmMdfClaim): string {
  const title = claim.title?.trim();
  return cutToLength(title ? title : `${claim.mdfNumber} claim ${claim.id}`, FUND_CLAIM_TITLE_MAX);
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
 * portal URL (PRM_CLAIM_PORTAL_URL) and never its attachments (`salesforce.upsert_fund_claim` has no place for them). One action per
 * attempt, as for requests: a late or repeated sync writes what the PRM has then. A claim whose request
 * is not in Salesforce yet fails retryably (FundRequestNotInSalesforceError): the request's own sync may
 * be behind, and the recipe retries for 30 days.
 *
 * A status someone changed in Salesforce that the PRM is to take under the sync rule (sync-rule.ts: only
 * Salesforce changed it since the sync base, or it wins the conflict rule; finance marking the claim
 * Paid) is not written over: the sync writes nothing then (`salesforce_kept`), the poll brings it into
 * the PRM and tells the partner, and the poll's run syncs the claim again. Otherwise any PRM edit of the
 * claim in between (a purchase order number, Missing POP) re-synced the PRM's older status and finance's
 * change was lost for good. After a write, the status's base moves to what was written.
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
    salesforce_kept: z.string().nullable().describe("The Salesforce Status kept because it is someone's change the PRM is to take under the sync rule (D1): nothing was written, the poll brings it into the PRM. Null when written."),
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
      const ref = { object: 'PartnerFundClaim', key };
      const theirs = await readSalesforceFund(ctx.connection.salesforce(), 'PartnerFundClaim', key, call);
      if (theirs) {
        const { status } = claimFieldSides(claim, theirs, await ctx.connection.bases.syncBases(ref), evidenceWithoutBase(claim.updated, theirs));
        const decided = decideField(status);
        if (decided.decision === 'to_prm') {
          ctx.note(`${key}: Salesforce has ${String(theirs.status)} from ${theirs.last_modified_by} at ${theirs.last_modified}, the PRM ${claim.status} (${decided.why}, D1): not written over; the poll brings it into the PRM`);
          return { id: theirs.id, created, request_id: theirs.request_id ?? '', claim_key: key, status: claim.status, prm_url: ctx.connection.claimUrl(claim.id), salesforce_kept: theirs.status };
        }
      }
      const upsert = {
        claim_key: fundClaimKey(claim),
        mdf_number: claim.mdfNumber,
        title: fundClaimTitle(claim),
        amount: claim.amount ?? 0,
        status: FUND_CLAIM_STATUS[claim.status],
        prm_url: ctx.connection.claimUrl(claim.id),
      };
      // The Salesforce action itself, so its checks (no attachments, the RequestId lookup, its errors) hold here too.
      const result = (await upsertFundClaim.run(upsertFundClaim.input.parse(upsert), { ...ctx, connection: ctx.connection.salesforce() })) as FundClaimWritten;
      created ||= result.created;
      // Both sides hold this status now: its base moves to it, so this write never counts as a change.
      await ctx.connection.bases.saveSyncBases({ ...ref, bases: { status: { prm: claim.status, salesforce: upsert.status } }, now: ctx.clock.now() });
      const now = await prm.getMdfClaim(input.claim_id, call);
      if (now.status === claim.status && now.amount === claim.amount && now.title === claim.title && now.mdfNumber === claim.mdfNumber) {
        return { id: result.id, created, request_id: result.request_id, claim_key: upsert.claim_key, status: claim.status, prm_url: upsert.prm_url, salesforce_kept: null };
      }
      if (write >= MAX_WRITES) throw new Error(`claim ${input.claim_id} (${claim.mdfNumber}) changed in the PRM during each of ${MAX_WRITES} syncs; the next attempt writes it again`);
      claim = now;
    }
  },
});
