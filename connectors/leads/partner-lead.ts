import { z } from 'zod';

/** A partner lead as the lead actions take it (from an import row or a web form, D20). */
export const PartnerLeadInput = z.object({
  email: z.string().min(3),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  company: z.string().nullish(),
  phone: z.string().min(1).describe('D22: needed for the PRM sync.'),
  crm_partner_id: z.string().describe('The partner\'s 18-character CRM Partner ID.'),
  interesting_moment: z.string().nullish().describe('The moment the lead got (D21), kept on the partner\'s copy.'),
});
export type PartnerLeadInput = z.infer<typeof PartnerLeadInput>;
