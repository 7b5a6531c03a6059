import { z } from 'zod';
import { LimitSetting } from '../kit/limit-setting.ts';

/** The Salesforce connector's settings, read from the environment (SALESFORCE_ENV). */
export const SalesforceConfig = z.object({
  /** The org's My Domain login host, e.g. https://acme.my.salesforce.com; the token URL is built on it. */
  loginUrl: z.url({ protocol: /^https?$/ }).describe('Salesforce login URL (My Domain), without /services/oauth2/token'),
  clientId: z.string().min(1).describe('Connected app consumer key (client credentials flow)'),
  /** Secret: sent only in the token request's form body, never logged. */
  clientSecret: z.string().min(1).describe('Connected app consumer secret (secret)'),
  /** One pinned API version, so a Salesforce release cannot change the shapes under us. */
  apiVersion: z.string().regex(/^\d{2,3}\.0$/, 'an API version like 61.0').default('61.0').describe('REST API version'),
  /** The custom external-ID field holding the MDF number on PartnerFundRequest (D1). */
  mdfNumberField: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a field API name, e.g. MDF_Number__c')
    .default('MDF_Number__c')
    .describe('External ID field of PartnerFundRequest that holds the MDF number'),
  /** The custom external-ID field holding the claim's stable key on PartnerFundClaim (D1). */
  claimKeyField: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a field API name, e.g. MDF_Claim_Key__c')
    .default('MDF_Claim_Key__c')
    .describe('External ID field of PartnerFundClaim that holds the claim key'),
  /** The URL field of PartnerFundClaim that holds the claim's page in the PRM portal (D2). */
  claimUrlField: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a field API name, e.g. PRM_Claim_URL__c')
    .default('PRM_Claim_URL__c')
    .describe("URL field of PartnerFundClaim that holds the claim's PRM portal address (D2)"),
  /**
   * The user this integration's connected app runs as (the client-credentials "Run As" user). Without
   * it, the user the token answer's `id` URL names. Changes it made are skipped when changes are read
   * back (D1: no echo).
   */
  integrationUserId: z
    .string()
    .regex(/^005[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/, 'a User Id (15 or 18 characters, starting 005)')
    .optional()
    .describe('Id of the Salesforce user the integration writes as; its changes are not read back as changes (D1). Default: the user the token answer names'),
  /**
   * Salesforce caps an org's concurrent long-running requests (403 REQUEST_LIMIT_EXCEEDED,
   * ConcurrentPerOrgLongTxn) and its calls per 24 hours, org-wide; it has no per-second limit. This
   * process keeps at most this many API calls in flight, all runs together (the token grant not counted).
   */
  maxConcurrent: LimitSetting(256)
    .default(10)
    .describe('Salesforce API calls this process has in flight at once'),
});
export type SalesforceConfig = z.infer<typeof SalesforceConfig>;

export const SALESFORCE_ENV = {
  loginUrl: 'SALESFORCE_LOGIN_URL',
  clientId: 'SALESFORCE_CLIENT_ID',
  clientSecret: 'SALESFORCE_CLIENT_SECRET',
  apiVersion: 'SALESFORCE_API_VERSION',
  mdfNumberField: 'SALESFORCE_MDF_NUMBER_FIELD',
  claimKeyField: 'SALESFORCE_CLAIM_KEY_FIELD',
  claimUrlField: 'SALESFORCE_CLAIM_URL_FIELD',
  integrationUserId: 'SALESFORCE_INTEGRATION_USER_ID',
  maxConcurrent: 'SALESFORCE_MAX_CONCURRENT',
} as const;

/** The simulated org (mocks/README.md) used by `serve --mock` and the harness. */
export const SALESFORCE_MOCK_CONFIG: z.input<typeof SalesforceConfig> = {
  loginUrl: 'https://login.salesforce.partnerflow.test',
  clientId: 'mock-client',
  clientSecret: 'mock-secret',
  apiVersion: '61.0',
  mdfNumberField: 'MDF_Number__c',
  claimKeyField: 'MDF_Claim_Key__c',
  claimUrlField: 'PRM_Claim_URL__c',
  maxConcurrent: 10,
};
