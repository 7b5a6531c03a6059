import { defineConnector } from '../kit/define-connector.ts';
import { RateLimiter } from '../kit/rate-limiter.ts';
import { query } from './query.ts';
import { SalesforceClient } from './salesforce-client.ts';
import { SALESFORCE_ENV, SALESFORCE_MOCK_CONFIG, SalesforceConfig } from './salesforce-config.ts';
import type { SalesforceConnection } from './salesforce-connection.ts';
import { listChangedFundRecords } from './list-changed-fund-records.ts';
import { upsertCampaign } from './upsert-campaign.ts';
import { upsertFundClaim } from './upsert-fund-claim.ts';
import { upsertFundRequest } from './upsert-fund-request.ts';

/** Salesforce (Channel Management): the Funds Request mirror of each MDF request, the Funds Claim of each claim. */
export const salesforceConnector = defineConnector({
  name: 'salesforce',
  description: 'PartnerFundRequest, PartnerFundClaim and partner Campaign records and SOQL queries in Salesforce (REST API, client-credentials OAuth).',
  config: SalesforceConfig,
  env: SALESFORCE_ENV,
  mockConfig: SALESFORCE_MOCK_CONFIG,
  // Connected once per runtime: the limiter's budget is shared by every run of the process.
  connect: (config, deps): SalesforceConnection => ({
    client: new SalesforceClient({
      loginUrl: config.loginUrl,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      apiVersion: config.apiVersion,
      http: {
        clock: deps.clock,
        log: deps.log,
        ...(deps.stopping && { stopping: deps.stopping }),
        // Salesforce has no per-second limit, only a concurrent one (and a daily allowance, org-wide):
        // the window is unbounded and only the calls in flight are capped.
        limiter: new RateLimiter({ maxCalls: Number.POSITIVE_INFINITY, perMs: 1000, maxConcurrent: config.maxConcurrent, clock: deps.clock }),
      },
    }),
    mdfNumberField: config.mdfNumberField,
    claimKeyField: config.claimKeyField,
    claimUrlField: config.claimUrlField,
    integrationUserId: config.integrationUserId,
  }),
  actions: {
    upsert_fund_request: upsertFundRequest,
    upsert_fund_claim: upsertFundClaim,
    upsert_campaign: upsertCampaign,
    query,
    list_changed_fund_records: listChangedFundRecords,
  },
});
