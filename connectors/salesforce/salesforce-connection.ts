import type { SalesforceClient } from './salesforce-client.ts';

/** What the Salesforce actions receive: the client and the org's field names from configuration. */
export interface SalesforceConnection {
  client: SalesforceClient;
  /** The external-ID field of PartnerFundRequest that holds the MDF number (D1). */
  mdfNumberField: string;
  /** The external-ID field of PartnerFundClaim that holds the claim's stable key (D1). */
  claimKeyField: string;
  /** The URL field of PartnerFundClaim that holds the claim's PRM portal address (D2); PRM_Claim_URL__c by default. */
  claimUrlField?: string;
  /** The User Id the integration writes as (SALESFORCE_INTEGRATION_USER_ID); unset, the session's user. Its own changes are not read back as changes (D1). */
  integrationUserId?: string;
}
