import { z } from 'zod';
import { readPicklist, trimmed } from './prm-fields.ts';

/** D20: a Channel partner's leads are worked by the partner; an Alliance partner's by the vendor's SDRs. */
export const PartnerType = z.enum(['Channel', 'Alliance']);
export type PartnerType = z.infer<typeof PartnerType>;

/** A sales region ("AMER", "EMEA", "APAC", or one that ops add). */
export const Region = z.string().regex(/^[A-Z][A-Z0-9_-]{1,15}$/, 'a region code in capitals, e.g. EMEA');
export type Region = z.infer<typeof Region>;

/** The 18-character Salesforce Account ID that identifies a partner across systems (D20). */
export const CrmPartnerId = z.string().regex(/^[a-zA-Z0-9]{18}$/, 'an 18-character Salesforce Account ID');

/** A Partner Type picklist value as the PRM may send it: surrounding spaces and letter case ignored (`" channel"` is Channel). */
const readPartnerType = readPicklist(PartnerType.options);

/**
 * A partner account as the PRM returns it (camelCase, D3 marketing-ready flag included). Its picklist
 * and typed fields (name, type, CRM Partner ID, contact email, region) are read trimmed, as prm-fields.ts
 * reads a request's: a region stored as `"AMER "` is AMER, not a run that fails reading the partner.
 */
export const Partner = z.object({
  id: z.number().int().positive(),
  name: z.preprocess(trimmed, z.string().min(1)),
  type: z.preprocess(readPartnerType, PartnerType),
  /** D3: only marketing-ready partners may request MDF. */
  marketingReady: z.boolean(),
  crmId: z.preprocess(trimmed, CrmPartnerId),
  /**
   * Where partner-facing notifications go (D23), and the MDF emails when a request's Submitted By Email
   * is no address (D7, D11). Read as prm-fields.ts reads an email field (trimmed, blank null, else as sent): a value that is no
   * address does not fail the read of the partner; `isEmailAddress` tells whether it can be used.
   */
  contactEmail: z.preprocess((v) => (trimmed(v) === '' ? null : trimmed(v)), z.string().nullable()),
  region: z.preprocess(trimmed, Region),
});
export type Partner = z.infer<typeof Partner>;
