import { z } from 'zod';
import { PRM_MOCK_CONFIG } from '../prm/prm-config.ts';

/** How PRM_CLAIM_PORTAL_URL is written, as its messages give it: the form, not an example address (as PUBLIC_BASE_URL's). */
export const CLAIM_PORTAL_URL_FORM = 'https://<host>[:<port>]/<path with {id}> (or http://)';

/**
 * The MDF connector's settings (MDF_ENV). `claimPortalUrl` (D2): the address of a claim's page in the
 * PRM portal, which the Salesforce Funds Claim carries so people reach the claim and its attachments
 * there; `{id}` is replaced by the PRM claim's record id. Not the objects API's address: that one
 * needs the PRM API key, so a Salesforce user clicking it got an authentication error. [guess] The
 * portal's page address is the tenant's (docs/systems.md).
 */
export const MdfConfig = z.object({
  claimPortalUrl: z
    .string()
    .refine((v) => v.includes('{id}'), `a URL template with {id} where the claim id goes: ${CLAIM_PORTAL_URL_FORM}`)
    .refine((v) => z.url({ protocol: /^https?$/ }).safeParse(v.replaceAll('{id}', '1')).success, `an http:// or https:// URL: ${CLAIM_PORTAL_URL_FORM}`)
    .describe("URL of a claim's page in the PRM portal, {id} standing for the claim's record id (D2)"),
});
export type MdfConfig = z.infer<typeof MdfConfig>;

export const MDF_ENV = { claimPortalUrl: 'PRM_CLAIM_PORTAL_URL' } as const;

/**
 * Mock mode: the simulated PRM has no portal pages, so a claim's address there is its record in the
 * simulated objects API.
 */
export const MDF_MOCK_CONFIG: z.input<typeof MdfConfig> = { claimPortalUrl: `${PRM_MOCK_CONFIG.baseUrl}/${PRM_MOCK_CONFIG.mdfClaimObject}/{id}` };

/** A claim's portal address from the template. */
export function claimPortalUrl(template: string, id: number): string {
  return template.replaceAll('{id}', String(id));
}
