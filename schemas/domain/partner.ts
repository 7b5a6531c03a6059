import { z } from 'zod';

/** D20: a Channel partner's leads are worked by the partner; an Alliance partner's by the vendor's SDRs. */
export const PartnerType = z.enum(['Channel', 'Alliance']);
export type PartnerType = z.infer<typeof PartnerType>;

/** A sales region ("AMER", "EMEA", "APAC", or one that ops add). */
export const Region = z.string().regex(/^[A-Z][A-Z0-9_-]{1,15}$/, 'a region code in capitals, e.g. EMEA');
export type Region = z.infer<typeof Region>;

/** The 18-character Salesforce Account ID that identifies a partner across systems (D20). */
export const CrmPartnerId = z.string().regex(/^[a-zA-Z0-9]{18}$/, 'an 18-character Salesforce Account ID');

/** A partner account as the PRM returns it (camelCase, D3 marketing-ready flag included). */
export const Partner = z.object({
  id: z.number().int().positive(),
  name: z.string().min(1),
  type: PartnerType,
  /** D3: only marketing-ready partners may request MDF. */
  marketingReady: z.boolean(),
  crmId: CrmPartnerId,
  /** Where partner-facing notifications go (D7, D11, D23). */
  contactEmail: z.email().nullable(),
  region: Region,
});
export type Partner = z.infer<typeof Partner>;
