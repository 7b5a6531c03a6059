import { defineConnector } from '../kit/define-connector.ts';
import { RateLimiter } from '../kit/rate-limiter.ts';
import { getMdfClaim } from './get-mdf-claim.ts';
import { getMdfRequest } from './get-mdf-request.ts';
import { listMdfClaims } from './list-mdf-claims.ts';
import { updateMdfClaimStatus } from './update-mdf-claim-status.ts';
import { mdfClaimChanged, mdfClaimSubmitted } from './mdf-claim-events.ts';
import { getPartner } from './get-partner.ts';
import { listLeadsSyncedBetween } from './list-leads-synced-between.ts';
import { summarizeLeadsSynced } from './summarize-leads-synced.ts';
import { updateMdfRequestStatus } from './update-mdf-request-status.ts';
import { mdfRequestChanged, mdfRequestStatusChanged, mdfRequestSubmitted } from './mdf-request-events.ts';
import { PRM_ENV, PRM_MOCK_CONFIG, PrmConfig } from './prm-config.ts';
import { PrmClient } from './prm-client.ts';

/** The partner relationship management system: partners, their MDF requests and their claims. */
export const prmConnector = defineConnector({
  name: 'prm',
  description: 'Partner accounts, MDF requests and MDF claims in the PRM (Impartner-style objects API).',
  config: PrmConfig,
  env: PRM_ENV,
  mockConfig: PRM_MOCK_CONFIG,
  // Connected once per runtime: the limiter's budget is shared by every run of the process.
  connect: (config, deps): PrmClient =>
    new PrmClient({
      baseUrl: config.baseUrl,
      apiKey: config.apiKey,
      tenantId: config.tenantId,
      mdfRequestObject: config.mdfRequestObject,
      mdfClaimObject: config.mdfClaimObject,
      partnerLeadObject: config.partnerLeadObject,
      // D15: the claims' title keys (claim-title-keys.ts) live in the runtime's store.
      claimTitles: deps.store,
      http: {
        clock: deps.clock,
        log: deps.log,
        ...(deps.stopping && { stopping: deps.stopping }),
        limiter: new RateLimiter({ maxCalls: config.maxCallsPerSecond, perMs: 1000, maxConcurrent: config.maxConcurrent, clock: deps.clock }),
      },
    }),
  actions: {
    get_partner: getPartner,
    get_mdf_request: getMdfRequest,
    update_mdf_request_status: updateMdfRequestStatus,
    get_mdf_claim: getMdfClaim,
    list_mdf_claims: listMdfClaims,
    update_mdf_claim_status: updateMdfClaimStatus,
    summarize_leads_synced: summarizeLeadsSynced,
    list_leads_synced_between: listLeadsSyncedBetween,
  },
  events: {
    'mdf_request.submitted': mdfRequestSubmitted,
    'mdf_request.status_changed': mdfRequestStatusChanged,
    'mdf_request.changed': mdfRequestChanged,
    'mdf_claim.submitted': mdfClaimSubmitted,
    'mdf_claim.changed': mdfClaimChanged,
  },
});
