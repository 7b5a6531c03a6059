import { defineConnector } from '../kit/define-connector.ts';
import { applySalesforceChange } from './apply-salesforce-change.ts';
import { approverForRequest } from './approver-for-request.ts';
import { MDF_ENV, MDF_MOCK_CONFIG, MdfConfig, claimPortalUrl } from './mdf-config.ts';
import { checkMdfClaimAction } from './check-mdf-claim.ts';
import { checkMdfRequestAction } from './check-mdf-request.ts';
import { partnerAddressAction } from './partner-address.ts';
import { syncFundClaim } from './sync-fund-claim.ts';
import { syncFundRequest, type MdfConnection } from './sync-fund-request.ts';
import type { PrmClient } from '../prm/prm-client.ts';
import type { SalesforceConnection } from '../salesforce/salesforce-connection.ts';

/**
 * The MDF programme: its rules (D3–D6 in docs/rules.md), evaluated in the runtime, and the sync of a request
 * from the PRM to Salesforce (D1) through the PRM and Salesforce connectors' connections.
 */
export const mdfConnector = defineConnector({
  name: 'mdf',
  description: 'MDF programme rules (intake checks for requests and claims) and the Salesforce sync of a request or claim as the PRM has it.',
  config: MdfConfig,
  env: MDF_ENV,
  mockConfig: MDF_MOCK_CONFIG,
  // Looked up at call time: connections are connected in one pass, in any order.
  connect: (config, deps): MdfConnection => ({
    prm: () => deps.connection<PrmClient>('prm'),
    salesforce: () => deps.connection<SalesforceConnection>('salesforce'),
    bases: deps.store,
    journal: deps.store,
    claimUrl: (id) => claimPortalUrl(config.claimPortalUrl, id),
  }),
  actions: {
    check_request: checkMdfRequestAction,
    sync_fund_request: syncFundRequest,
    partner_address: partnerAddressAction,
    approver_for_request: approverForRequest,
    check_claim: checkMdfClaimAction,
    sync_fund_claim: syncFundClaim,
    apply_salesforce_change: applySalesforceChange,
  },
});
