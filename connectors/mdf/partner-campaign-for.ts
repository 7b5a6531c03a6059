import { cutToLength } from '../../schemas/domain/cut-to-length.ts';
import { CAMPAIGN_NAME_MAX, budgetedCost, type PartnerCampaign } from '../../schemas/domain/partner-campaign.ts';
import type { MdfRequestStatus } from '../../schemas/domain/mdf-request.ts';
import { numberOrNull } from '../../schemas/domain/prm-fields.ts';
import { oneLine } from '../prm/one-line.ts';
import type { PrmMdfRequest, PrmPartner } from '../prm/prm-records.ts';

/** The request statuses that have a partner campaign: approved, and approved then claimed (Closed). */
const WITH_CAMPAIGN: ReadonlySet<MdfRequestStatus> = new Set(['Approved', 'Closed']);

/**
 * The partner campaign of an MDF request (D28, D29), or undefined when the request is not approved (an
 * open, denied or canceled request gets none). Budgeted Cost is the request's total cost, 0 stored as 1
 * (D28); a Channel partner is involved and named as the PRM names it (D29), an Alliance partner is not
 * a channel partner (No, no name).
 */
export function partnerCampaignFor(request: PrmMdfRequest, partner: Pick<PrmPartner, 'name' | 'type'>): PartnerCampaign | undefined {
  if (!WITH_CAMPAIGN.has(request.status)) return undefined;
  const name = `${request.mdfNumber}: ${request.activityName ? request.activityName : 'MDF activity'}`;
  return {
    name: cutToLength(name, CAMPAIGN_NAME_MAX),
    budgeted_cost: budgetedCost(numberOrNull(request.totalCost)),
    start_date: request.startDate || null,
    end_date: request.endDate || null,
    // D29 names a Channel partner: an Alliance partner (a cloud provider) is no channel partner.
    partner_involved: partner.type === 'Channel' ? 'Yes' : 'No',
    // A line break typed in the PRM's name is one space, as the lead digest and moment read it (D21, D23).
    partner_name: partner.type === 'Channel' ? oneLine(partner.name) : null,
  };
}
