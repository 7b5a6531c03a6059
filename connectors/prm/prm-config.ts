import { z } from 'zod';
import { LimitSetting } from '../kit/limit-setting.ts';

/** An object API name as the PRM spells it (`Account`, `MdfRequest__co`): it goes into URL paths. */
const ObjectName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a PRM object API name, e.g. MdfRequest__co');


/** The PRM connector's settings, read from the environment (the variables in PRM_ENV). */
export const PrmConfig = z.object({
  /** e.g. https://prm.example.com/api/objects/v1 (production and staging hosts differ). */
  baseUrl: z.url({ protocol: /^https?$/ }).describe('Base URL of the PRM objects API, ending in /api/objects/v1'),
  /** Secret: sent as `Authorization: prm-key <key>`, never logged. */
  apiKey: z.string().min(1).describe('PRM API key (secret)'),
  tenantId: z.coerce.number().int().positive().describe('PRM tenant id, sent as X-PRM-TenantId'),
  /** The MDF request object's API name is not public and differs between PRM instances. */
  mdfRequestObject: ObjectName.default('MdfRequest__co').describe('API name of the MDF request object'),
  /** The MDF claim object's API name is not public either, and differs between PRM instances. */
  mdfClaimObject: ObjectName.default('MdfClaim__co').describe('API name of the MDF claim object'),
  /** The partner-facing lead object (D20): its API name is not public either. [guess] */
  partnerLeadObject: ObjectName.default('Lead').describe('API name of the partner-facing lead object'),
  /**
   * The PRM documents no rate limit (docs/systems.md, PRM (Impartner), The API: Rate limits; [guess]): a polite default that an instance's real
   * limit can replace. Counted per process, over a sliding second, by every run together.
   */
  maxCallsPerSecond: LimitSetting(1000).default(10).describe('PRM calls this process starts in any one second'),
  /** Calls in flight at once from this process, all runs together. */
  maxConcurrent: LimitSetting(256).default(5).describe('PRM calls this process has in flight at once'),
});
export type PrmConfig = z.infer<typeof PrmConfig>;

export const PRM_ENV = {
  baseUrl: 'PRM_BASE_URL',
  apiKey: 'PRM_API_KEY',
  tenantId: 'PRM_TENANT_ID',
  mdfRequestObject: 'PRM_MDF_REQUEST_OBJECT',
  mdfClaimObject: 'PRM_MDF_CLAIM_OBJECT',
  partnerLeadObject: 'PRM_LEAD_OBJECT',
  maxCallsPerSecond: 'PRM_MAX_CALLS_PER_SECOND',
  maxConcurrent: 'PRM_MAX_CONCURRENT',
} as const;

/** The simulated PRM (mocks/README.md) used by `serve --mock` and the harness. */
export const PRM_MOCK_CONFIG: z.input<typeof PrmConfig> = {
  baseUrl: 'https://prm.partnerflow.test/api/objects/v1',
  apiKey: 'mock-prm-key',
  tenantId: 1,
  mdfRequestObject: 'MdfRequest__co',
  mdfClaimObject: 'MdfClaim__co',
  partnerLeadObject: 'Lead',
  maxCallsPerSecond: 10,
  maxConcurrent: 5,
};
