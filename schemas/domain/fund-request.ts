import { z } from 'zod';

/**
 * Salesforce's standard PartnerFundRequest status picklist (docs/systems.md, Salesforce REST, The API: Channel Management objects): a restricted picklist, so a
 * real org answers 400 INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST to anything else. An open (submitted,
 * undecided) request is Draft; a denied or canceled one is Rejected (D1).
 */
export const PartnerFundRequestStatus = z.enum(['Draft', 'Approved', 'Rejected']);

/** Salesforce's Funds Request Title is at most 255 characters: a longer one is refused (400 STRING_TOO_LONG). */
export const FUND_REQUEST_TITLE_MAX = 255;

/**
 * What Partnerflow writes to a Salesforce PartnerFundRequest (D1). The MDF number is the external ID
 * used to upsert, so a repeated sync updates rather than duplicates.
 */
export const PartnerFundRequest = z.object({
  Title: z.string().min(1).max(FUND_REQUEST_TITLE_MAX),
  RequestedAmount: z.number().nonnegative(),
  Amount: z.number().nonnegative().nullable().optional(),
  Activity: z.string().max(255).nullable().optional(),
  /** The partner's Account ID (18 chars). */
  ChannelPartnerId: z.string().min(15).max(18),
  Status: PartnerFundRequestStatus,
  /**
   * D1, D28, D29: the partner Campaign of an approved request; null clears it when a request approved
   * earlier is canceled or denied (it has no campaign then); left out otherwise.
   */
  CampaignId: z.string().min(15).max(18).nullable().optional(),
});
export type PartnerFundRequest = z.infer<typeof PartnerFundRequest>;
