import { z } from 'zod';
import { cutToLength } from '../../schemas/domain/cut-to-length.ts';
import { FUND_REQUEST_TITLE_MAX, type PartnerFundRequest } from '../../schemas/domain/fund-request.ts';
import type { MdfRequestStatus } from '../../schemas/domain/mdf-request.ts';
import { numberOrNull } from '../../schemas/domain/prm-fields.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { PrmClient } from '../prm/prm-client.ts';
import type { PrmMdfRequest, PrmPartner } from '../prm/prm-records.ts';
import type { SalesforceConnection } from '../salesforce/salesforce-connection.ts';
import type { Store } from '../../server/store/store.ts';
import { partnerCampaignFor } from './partner-campaign-for.ts';
import { deactivatePartnerCampaign, upsertPartnerCampaign } from '../salesforce/upsert-campaign.ts';
import { readSalesforceFund } from './salesforce-fund-state.ts';
import { REQUEST_STATUS_IN_SALESFORCE, approvedAmount, decideField, evidenceWithoutBase, requestFieldSides } from './sync-rule.ts';

/** Statuses a request may reach after an approval that leave it without a campaign (D28). */
const ENDED_WITHOUT_CAMPAIGN: ReadonlySet<MdfRequestStatus> = new Set(['Canceled', 'Denied']);

/**
 * What the MDF connector reaches: the PRM (the record of status), Salesforce (reporting), and the
 * runtime's store for the sync bases (D1: the value both sides last agreed on, per record and field).
 */
export interface MdfConnection {
  prm(): PrmClient;
  salesforce(): SalesforceConnection;
  bases: Pick<Store, 'syncBases' | 'saveSyncBases'>;
  /** The runs' journals: the request check at a decision of an older approval version reads what the approver was shown (check-mdf-request.ts). */
  journal?: Pick<Store, 'getJournal'>;
  /** D2: a claim's page in the PRM portal (PRM_CLAIM_PORTAL_URL), which the Funds Claim carries. */
  claimUrl(id: number): string;
}

/**
 * D1: the Salesforce Funds Request for an MDF request as the PRM has it. Salesforce's Status picklist is
 * Draft | Approved | Rejected: an Open request is Draft; Approved (and Closed, approved then claimed) is
 * Approved with the approved Amount; Denied and Canceled are Rejected. The Amount is cleared unless
 * the request is approved, so a cancellation leaves no approved money behind. The Title is the MDF number
 * and the activity name, cut to Salesforce's 255 characters (with …): the PRM keeps a longer name as
 * typed, and a Title over the limit is refused (400), which would keep the request out of Salesforce.
 */
export function fundRequestFields(request: PrmMdfRequest, partner: Pick<PrmPartner, 'crmId'>): PartnerFundRequest {
  const status: Record<MdfRequestStatus, PartnerFundRequest['Status']> = REQUEST_STATUS_IN_SALESFORCE;
  return {
    Title: cutToLength(`${request.mdfNumber}: ${request.activityName ? request.activityName : 'MDF request'}`, FUND_REQUEST_TITLE_MAX),
    RequestedAmount: numberOrNull(request.amountRequested) ?? 0,
    Amount: approvedAmount(request),
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
 *
 * Before writing, the Funds Request is read and each synced field (Status, Amount) decided by the sync
 * rule (sync-rule.ts) against its sync base. When finance changed one in Salesforce and that change is
 * to go into the PRM (only Salesforce changed it, or it wins the conflict rule), nothing is written
 * (`salesforce_kept`): the poll brings it into the PRM, and the poll's run writes the request back the
 * normal way. Otherwise a sync started by anything else (a claim submission) overwrote finance's new
 * Amount or Rejected before the poll saw it, for good. After a write, the bases move to what was written.
 */
export const syncFundRequest = defineAction({
  description: 'Writes the Salesforce Funds Request of an MDF request as the PRM has it now (upsert by MDF number).',
  input: z.object({ mdf_number: z.string().min(1).describe('The Funds Request Number, e.g. MDF-1001.') }).strict(),
  output: z.object({
    id: z.string().describe('The PartnerFundRequest record ID.'),
    created: z.boolean().describe('True when this sync created the record.'),
    status: z.string().describe('The PRM status written.'),
    fields: z.record(z.string(), z.unknown()).describe('The fields written; {} when nothing was. An approved request\'s carry its CampaignId (D1, D28, D29).'),
    salesforce_kept: z.array(z.string()).describe("The fields (status, amount) nothing was written for, because Salesforce holds someone's change the PRM is to take (D1 sync rule): the poll brings it in. [] when written."),
  }),
  idempotent: true,
  uses: ['prm', 'salesforce'],
  run: async (input, ctx: ActionContext<MdfConnection>) => {
    const call = { signal: ctx.signal, note: ctx.note };
    const prm = ctx.connection.prm();
    const salesforce = ctx.connection.salesforce();
    const { client, mdfNumberField } = salesforce;
    const ref = { object: 'PartnerFundRequest', key: input.mdf_number };
    let request = await prm.getMdfRequestByNumber(input.mdf_number, call);
    const partner = await prm.getPartner(request.partnerId, call);
    let created = false;
    for (let write = 1; ; write++) {
      const theirs = await readSalesforceFund(salesforce, 'PartnerFundRequest', input.mdf_number, call);
      if (theirs) {
        const sides = requestFieldSides(request, theirs, await ctx.connection.bases.syncBases(ref), evidenceWithoutBase(request.updated, theirs));
        const kept = Object.entries(sides).filter(([, field]) => decideField(field).decision === 'to_prm');
        if (kept.length > 0) {
          const what = kept.map(([name, field]) => `${name} ${String(field.salesforce)} (PRM: ${String(field.prm)}; ${decideField(field).why})`).join(', ');
          ctx.note(`${input.mdf_number}: Salesforce has ${what}, set by ${theirs.last_modified_by} at ${theirs.last_modified}: not written over (D1 sync rule); the poll brings it into the PRM`);
          return { id: theirs.id, created, status: request.status, fields: {}, salesforce_kept: kept.map(([name]) => name) };
        }
      }
      const fields: PartnerFundRequest = fundRequestFields(request, partner);
      // D28, D29: an approved request has its partner campaign, upserted by the MDF number BEFORE the
      // Funds Request, so the Funds Request never points at a campaign that is not there; a retry or a
      // second sync finds the same campaign by its external ID, so there is never a second one.
      const campaign = partnerCampaignFor(request, partner);
      if (campaign) {
        const made = await upsertPartnerCampaign(salesforce, input.mdf_number, campaign, call);
        ctx.note(`${made.created ? 'created' : 'updated'} Campaign ${made.id} for ${input.mdf_number}: Budgeted Cost ${campaign.budgeted_cost}, Channel Partner ${campaign.partner_name} (D28, D29)`);
        fields.CampaignId = made.id;
      } else if (ENDED_WITHOUT_CAMPAIGN.has(request.status) && (await deactivatePartnerCampaign(salesforce, input.mdf_number, call))) {
        // D28: canceled or denied after its approval, the request has no campaign any more.
        ctx.note(`${input.mdf_number} is ${request.status}: its partner campaign is made inactive and the Funds Request no longer points at it (D28)`);
        fields.CampaignId = null;
      }
      const result = await client.upsert('PartnerFundRequest', mdfNumberField, input.mdf_number, fields, call);
      created ||= result.created;
      // Both sides hold these values now: the bases move to them, so this write never counts as a change.
      const bases = { status: { prm: request.status, salesforce: fields.Status }, amount: { prm: approvedAmount(request), salesforce: fields.Amount ?? null } };
      await ctx.connection.bases.saveSyncBases({ ...ref, bases, now: ctx.clock.now() });
      ctx.note(`${result.created ? 'created' : 'updated'} PartnerFundRequest ${result.id} (${mdfNumberField} = ${input.mdf_number}): ${request.status} as ${fields.Status}`);
      const now = await prm.getMdfRequestByNumber(input.mdf_number, call);
      if (now.status === request.status && now.amountRequested === request.amountRequested) return { id: result.id, created, status: request.status, fields, salesforce_kept: [] };
      if (write >= MAX_WRITES) throw new Error(`${input.mdf_number} changed status in the PRM during each of ${MAX_WRITES} syncs; the next attempt writes it again`);
      request = now;
    }
  },
});
