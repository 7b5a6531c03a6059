import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock.ts';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { capturingLogger, testContext, testDeps } from '../kit/action-test-context.ts';
import { prmConnector } from '../prm/index.ts';
import type { PrmClient } from '../prm/prm-client.ts';
import { PRM_MOCK_CONFIG, PrmConfig } from '../prm/prm-config.ts';
import { salesforceConnector } from '../salesforce/index.ts';
import { SALESFORCE_MOCK_CONFIG, SalesforceConfig } from '../salesforce/salesforce-config.ts';
import type { SalesforceConnection } from '../salesforce/salesforce-connection.ts';
import { mdfConnector } from './index.ts';
import type { MdfConnection } from './sync-fund-request.ts';
import { useSyncBases } from './sync-bases-fixture.ts';
import { MDF_MOCK_CONFIG, claimPortalUrl } from './mdf-config.ts';

/** mdf.sync_fund_claim (D1, D2) against the simulated PRM and Salesforce. */
const clock = new VirtualClock('2026-04-20T09:00:00Z');
const log = capturingLogger();
const systems = useSimulatedSystems(clock);
const syncBases = useSyncBases();

function connect(settings: { portal?: string; urlField?: string } = {}): MdfConnection {
  const prm = prmConnector.connect(PrmConfig.parse(PRM_MOCK_CONFIG), testDeps(clock, log)) as PrmClient;
  const sfConfig = SalesforceConfig.parse({ ...SALESFORCE_MOCK_CONFIG, ...(settings.urlField ? { claimUrlField: settings.urlField } : {}) });
  const salesforce = salesforceConnector.connect(sfConfig, testDeps(clock, log)) as SalesforceConnection;
  return { prm: () => prm, salesforce: () => salesforce, bases: syncBases.bases, claimUrl: (id) => claimPortalUrl(settings.portal ?? MDF_MOCK_CONFIG.claimPortalUrl, id) };
}

async function sync(claimId: number, settings: { portal?: string; urlField?: string } = {}) {
  const definition = mdfConnector.actions.sync_fund_claim!;
  const { ctx } = testContext(connect(settings), clock, { log });
  return definition.output.parse(await definition.run(definition.input.parse({ claim_id: claimId }), ctx)) as { id: string; created: boolean; status: string };
}

/** The request's Funds Request, as its own sync writes it. */
async function syncRequest(mdfNumber: string) {
  const definition = mdfConnector.actions.sync_fund_request!;
  const { ctx } = testContext(connect(), clock, { log });
  await definition.run(definition.input.parse({ mdf_number: mdfNumber }), ctx);
}

const pop = { name: 'pop.pdf', kind: 'POP' as const, url: 'https://prm.partnerflow.test/files/1' };

describe('mdf.sync_fund_claim', () => {
  it('D1, D2: upserts the PartnerFundClaim by the claim key, linked to its Funds Request, with the PRM URL and no attachment; each status mapped', async () => {
    await syncRequest('MDF-0901');
    const claim = systems.prm.addMdfClaim({ mdfNumber: 'MDF-0901', title: ' Partner Day Frankfurt ', amount: 7000, attachments: [pop] });
    const first = await sync(claim.id);
    expect(first).toMatchObject({ created: true, status: 'Open' });
    const request = systems.salesforce.records('PartnerFundRequest').find((r) => r.MDF_Number__c === 'MDF-0901')!;
    const written = () => systems.salesforce.records('PartnerFundClaim');
    expect(written()).toEqual([
      expect.objectContaining({
        MDF_Claim_Key__c: `PRM-CLAIM-${claim.id}`,
        Title: 'Partner Day Frankfurt',
        Amount: 7000,
        RequestId: request.Id,
        Status: 'Draft',
        PRM_Claim_URL__c: `https://prm.partnerflow.test/api/objects/v1/MdfClaim__co/${claim.id}`,
      }),
    ]);
    expect(JSON.stringify(written())).not.toContain('pop.pdf');
    for (const [prmStatus, sfStatus] of [['Approved', 'Approved'], ['Denied', 'Rejected'], ['Paid', 'Paid'], ['Open', 'Draft']] as const) {
      systems.prm.updateMdfClaim(claim.id, { status: prmStatus });
      expect(await sync(claim.id)).toMatchObject({ created: false, status: prmStatus });
      expect(written()).toEqual([expect.objectContaining({ Status: sfStatus })]);
    }
  });

  it("D2: the Funds Claim carries the claim's page in the PRM portal (PRM_CLAIM_PORTAL_URL), not the objects API's address, in the field SALESFORCE_CLAIM_URL_FIELD names", async () => {
    await syncRequest('MDF-0901');
    const claim = systems.prm.addMdfClaim({ mdfNumber: 'MDF-0901', title: 'Partner Day', amount: 7000, attachments: [pop] });
    expect(await sync(claim.id, { portal: 'https://partners.example.com/mdf/claims/{id}', urlField: 'Claim_Page__c' })).toMatchObject({ prm_url: `https://partners.example.com/mdf/claims/${claim.id}` });
    const written = systems.salesforce.records('PartnerFundClaim').find((r) => r.MDF_Claim_Key__c === `PRM-CLAIM-${claim.id}`)!;
    expect(written).toMatchObject({ Claim_Page__c: `https://partners.example.com/mdf/claims/${claim.id}` });
    expect(written).not.toHaveProperty('PRM_Claim_URL__c');
  });

  it('a claim whose request is not in Salesforce yet fails retryably, naming the MDF number; once the request syncs it is written', async () => {
    const claim = systems.prm.addMdfClaim({ mdfNumber: 'MDF-0902', title: 'Webinars', amount: 2000 });
    const error = await sync(claim.id).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'FundRequestNotInSalesforceError', retryable: true });
    expect((error as Error).message).toMatch(/no PartnerFundRequest with MDF_Number__c = MDF-0902 yet/);
    expect(systems.salesforce.records('PartnerFundClaim')).toEqual([]);
    await syncRequest('MDF-0902');
    expect(await sync(claim.id)).toMatchObject({ created: true });
  });

  it('a claim without a title still syncs, titled by its MDF number and id', async () => {
    await syncRequest('MDF-0903');
    const claim = systems.prm.addMdfClaim({ mdfNumber: 'MDF-0903', title: null, amount: null });
    await sync(claim.id);
    expect(systems.salesforce.records('PartnerFundClaim')).toEqual([expect.objectContaining({ Title: `MDF-0903 claim ${claim.id}`, Amount: 0 })]);
  });

  it("D1: finance's Paid in Salesforce, not yet polled, is not written over when ops edit the claim in the PRM meanwhile; a PRM decision after finance's Rejected is written", async () => {
    await syncRequest('MDF-0901');
    const claim = systems.prm.addMdfClaim({ mdfNumber: 'MDF-0901', title: 'Partner Day', amount: 7000, status: 'Approved' });
    await sync(claim.id);
    const fundClaim = () => systems.salesforce.records('PartnerFundClaim').find((r) => r.MDF_Claim_Key__c === `PRM-CLAIM-${claim.id}`)!;
    systems.salesforce.update('PartnerFundClaim', String(fundClaim().Id), { Status: 'Paid' });
    clock.advance(60_000);
    systems.prm.updateMdfClaim(claim.id, { purchaseOrderNumber: 'PO-1' });
    expect(await sync(claim.id)).toMatchObject({ status: 'Approved', salesforce_kept: 'Paid' });
    expect(fundClaim().Status).toBe('Paid');

    const other = systems.prm.addMdfClaim({ mdfNumber: 'MDF-0901', title: 'Webinar', amount: 1000, status: 'Open' });
    await sync(other.id);
    const otherFund = () => systems.salesforce.records('PartnerFundClaim').find((r) => r.MDF_Claim_Key__c === `PRM-CLAIM-${other.id}`)!;
    systems.salesforce.update('PartnerFundClaim', String(otherFund().Id), { Status: 'Rejected' });
    clock.advance(60_000);
    systems.prm.updateMdfClaim(other.id, { status: 'Approved' });
    expect(await sync(other.id)).toMatchObject({ status: 'Approved', salesforce_kept: null });
    expect(otherFund().Status).toBe('Approved');
  });
});
