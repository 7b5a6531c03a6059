import { z } from 'zod';
import { CAMPAIGN_FIELDS, PartnerCampaign, campaignRecord } from '../../schemas/domain/partner-campaign.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { CallOptions } from '../kit/http-client.ts';
import { NotFoundError } from '../kit/http-errors.ts';
import type { SalesforceConnection } from './salesforce-connection.ts';

/**
 * Upserts the partner campaign of an MDF request by the MDF number as external ID (D1, D28, D29). An
 * upsert by external ID is the one write that can be repeated safely: a retry after a 503, a replayed
 * run or a second sync of the same request finds the campaign the first one made and updates it, so a
 * request never gets two campaigns. (In a real org, mark the external-ID field Unique: two upserts racing
 * then end as one create and one DUPLICATE_VALUE error that the retry turns into an update.)
 */
export async function upsertPartnerCampaign(
  connection: Pick<SalesforceConnection, 'client'>,
  mdfNumber: string,
  campaign: PartnerCampaign,
  call: CallOptions,
): Promise<{ id: string; created: boolean }> {
  const fields = campaignRecord(PartnerCampaign.parse(campaign));
  return connection.client.upsert('Campaign', CAMPAIGN_FIELDS.mdfNumber, mdfNumber, fields, call);
}

/**
 * Makes the partner campaign of an MDF number inactive when there is one (D28: a request canceled or
 * denied after its approval has no campaign; the record stays, for the history, but counts no more).
 * Answers whether there was one. Read first: an upsert of IsActive alone would create a campaign.
 */
export async function deactivatePartnerCampaign(connection: Pick<SalesforceConnection, 'client'>, mdfNumber: string, call: CallOptions): Promise<boolean> {
  const existing = await connection.client
    .getByExternalId('Campaign', CAMPAIGN_FIELDS.mdfNumber, mdfNumber, ['Id', CAMPAIGN_FIELDS.isActive], call)
    .catch((e: unknown) => (e instanceof NotFoundError ? null : Promise.reject(e)));
  if (!existing) return false;
  if (existing[CAMPAIGN_FIELDS.isActive] !== false) await connection.client.upsert('Campaign', CAMPAIGN_FIELDS.mdfNumber, mdfNumber, { [CAMPAIGN_FIELDS.isActive]: false }, call);
  return true;
}

/** `salesforce.upsert_campaign` (D28, D29): the partner campaign of an MDF request, one per MDF number. */
export const upsertCampaign = defineAction({
  description: 'Creates or updates the partner Campaign that carries this MDF number (Budgeted Cost at least 1, channel partner involved and named).',
  input: z
    .object({
      mdf_number: z.string().min(1).describe('The MDF number, stored in the Campaign external-ID field.'),
      campaign: PartnerCampaign.describe('The campaign: name, budgeted cost (at least 1, D28), dates, partner involvement (D29).'),
    })
    .strict(),
  output: z.object({
    id: z.string().describe('The Campaign record ID.'),
    created: z.boolean().describe('True when this call created the campaign, false when it updated it.'),
  }),
  idempotent: true,
  run: async (input, ctx: ActionContext<SalesforceConnection>) => {
    const result = await upsertPartnerCampaign(ctx.connection, input.mdf_number, input.campaign, { signal: ctx.signal, note: ctx.note });
    ctx.note(`${result.created ? 'created' : 'updated'} Campaign ${result.id} (${CAMPAIGN_FIELDS.mdfNumber} = ${input.mdf_number}): Budgeted Cost ${input.campaign.budgeted_cost}, ${input.campaign.partner_name ?? 'no channel partner'}`);
    return result;
  },
});
