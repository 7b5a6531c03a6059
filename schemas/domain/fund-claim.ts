import { z } from 'zod';

/**
 * Salesforce's standard PartnerFundClaim status picklist (docs/systems.md, Salesforce REST, The API:
 * Channel Management objects): a restricted picklist, so a real org answers 400
 * INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST to anything else.
 */
export const PartnerFundClaimStatus = z.enum(['Draft', 'Approved', 'Rejected', 'Paid']);
export type PartnerFundClaimStatus = z.infer<typeof PartnerFundClaimStatus>;

/** The length of a PartnerFundClaim's Title in Salesforce: a longer title is cut to it (cutToLength). */
export const FUND_CLAIM_TITLE_MAX = 255;

/**
 * What Partnerflow writes to a Salesforce PartnerFundClaim (D1, D2). The claim's stable key is the
 * external ID used to upsert (it travels in the URL, not here), so a repeated sync updates rather than
 * duplicates. There is deliberately no place for attachments: they stay in the PRM and the claim
 * carries the PRM URL of the claim instead (D2).
 */
export const PartnerFundClaim = z
  .object({
    Title: z.string().min(1).max(FUND_CLAIM_TITLE_MAX),
    Amount: z.number().nonnegative(),
    /** The PartnerFundRequest's record ID (15 or 18 chars). */
    RequestId: z.string().min(15).max(18),
    Status: PartnerFundClaimStatus,
    /** Where the claim and its attachments are in the PRM (D2). */
    PRM_Claim_URL__c: z.url({ protocol: /^https?$/ }).max(255),
  })
  .strict();
export type PartnerFundClaim = z.infer<typeof PartnerFundClaim>;
