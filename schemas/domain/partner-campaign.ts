import { z } from 'zod';

/**
 * The API names of the Salesforce Campaign fields a partner campaign uses (D28, D29, D1), in ONE place:
 * BudgetedCost is standard; the partner-involvement fields and the MDF number's external ID are custom
 * fields each org names itself. The simulated org (mocks/salesforce/salesforce-objects.ts) describes them
 * under these names; an org that names them otherwise changes them here.
 */
export const CAMPAIGN_FIELDS = {
  name: 'Name',
  budgetedCost: 'BudgetedCost',
  startDate: 'StartDate',
  endDate: 'EndDate',
  isActive: 'IsActive',
  /** D29: restricted picklist Yes | No. */
  partnerInvolved: 'Channel_Partner_Involved__c',
  /** D29: the partner's name as the PRM has it. */
  partnerName: 'Channel_Partner_Name__c',
  /** D1: external ID holding the MDF number, so the upsert keeps one campaign per request. */
  mdfNumber: 'MDF_Number__c',
} as const;

/** D29: the values of Is a Channel Partner Involved. */
export const ChannelPartnerInvolved = z.enum(['Yes', 'No']);

/** Salesforce's Campaign Name is at most 80 characters. */
export const CAMPAIGN_NAME_MAX = 80;

/**
 * A partner campaign as Partnerflow writes it (D28, D29), before the field names are applied. The
 * Budgeted Cost is at least 1 (D28: pipeline-to-spend ratios never divide by zero).
 */
export const PartnerCampaign = z
  .object({
    name: z.string().min(1).max(CAMPAIGN_NAME_MAX),
    budgeted_cost: z.number().min(1, 'D28: a partner campaign has a Budgeted Cost of at least 1'),
    start_date: z.iso.date().nullish(),
    end_date: z.iso.date().nullish(),
    partner_involved: ChannelPartnerInvolved,
    /** D29: the Channel partner's name; null when no Channel partner is involved (an Alliance partner's campaign). */
    partner_name: z.string().min(1).max(255).nullable(),
  })
  .strict();
export type PartnerCampaign = z.infer<typeof PartnerCampaign>;

/** D28: the Budgeted Cost stored for a cost: 0 (or none) is stored as 1, anything else as it is. */
export function budgetedCost(totalCost: number | null | undefined): number {
  return totalCost === null || totalCost === undefined || totalCost < 1 ? 1 : totalCost;
}

/** The Campaign record body for a partner campaign, under the org's field names (CAMPAIGN_FIELDS). */
export function campaignRecord(campaign: PartnerCampaign): Record<string, unknown> {
  const f = CAMPAIGN_FIELDS;
  return {
    [f.name]: campaign.name,
    [f.budgetedCost]: campaign.budgeted_cost,
    [f.startDate]: campaign.start_date || null,
    [f.endDate]: campaign.end_date || null,
    [f.isActive]: true,
    [f.partnerInvolved]: campaign.partner_involved,
    [f.partnerName]: campaign.partner_name,
  };
}
