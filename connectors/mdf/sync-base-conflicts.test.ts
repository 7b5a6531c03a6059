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
import { useSyncBases } from './sync-bases-fixture.ts';
import { MDF_MOCK_CONFIG, claimPortalUrl } from './mdf-config.ts';
import type { MdfConnection } from './sync-fund-request.ts';

/**
 * D1 two-way sync with the sync base, both directions together against the simulated PRM and
 * Salesforce: the PRM → Salesforce syncs (`mdf.sync_fund_request`, `mdf.sync_fund_claim`) and the poll's
 * `mdf.apply_salesforce_change` decide each field by the same rule (sync-rule.ts).
 */
const clock = new VirtualClock('2026-04-20T09:00:00Z');
const log = capturingLogger();
const systems = useSimulatedSystems(clock);
const syncBases = useSyncBases();

function connect(): MdfConnection {
  const prm = prmConnector.connect(PrmConfig.parse(PRM_MOCK_CONFIG), testDeps(clock, log)) as PrmClient;
  const salesforce = salesforceConnector.connect(SalesforceConfig.parse(SALESFORCE_MOCK_CONFIG), testDeps(clock, log)) as SalesforceConnection;
  return { prm: () => prm, salesforce: () => salesforce, bases: syncBases.bases, claimUrl: (id) => claimPortalUrl(MDF_MOCK_CONFIG.claimPortalUrl, id) };
}

async function act<T>(name: 'sync_fund_request' | 'sync_fund_claim' | 'apply_salesforce_change', input: unknown): Promise<T & { notes: string[] }> {
  const definition = mdfConnector.actions[name]!;
  const { ctx, notes } = testContext(connect(), clock, { log });
  return { ...(definition.output.parse(await definition.run(definition.input.parse(input), ctx)) as T), notes };
}

const fundRequest = (mdfNumber: string) => systems.salesforce.records('PartnerFundRequest').find((r) => r.MDF_Number__c === mdfNumber)!;
const fundClaim = (id: number) => systems.salesforce.records('PartnerFundClaim').find((r) => r.MDF_Claim_Key__c === `PRM-CLAIM-${id}`)!;

/** What the poll hands the apply for a Funds record someone changed (salesforce.list_changed_fund_records). */
function polled(object: 'PartnerFundRequest' | 'PartnerFundClaim', key: string, record: Record<string, unknown>) {
  return {
    change: {
      object,
      id: String(record.Id),
      key,
      status: (record.Status as string | undefined) ?? null,
      amount: typeof record.Amount === 'number' ? record.Amount : null,
      last_modified: String(record.LastModifiedDate),
      last_modified_by: String(record.LastModifiedById),
    },
  };
}

/** An approved request, written to Salesforce by the sync (so its bases are set), then a minute on. */
async function approvedAndSynced(mdfNumber: string) {
  systems.prm.addMdfRequest({ mdfNumber, status: 'Approved', amountRequested: 10000 });
  await act('sync_fund_request', { mdf_number: mdfNumber });
  clock.advance(60_000);
}

describe('D1 sync base: which side changed a field, not which record was edited last', () => {
  it("D1: ops edit an unrelated PRM field after finance's Rejected: finance's Rejected is applied at the poll, and the sync in between leaves it", async () => {
    await approvedAndSynced('MDF-5101');
    systems.salesforce.update('PartnerFundRequest', String(fundRequest('MDF-5101').Id), { Status: 'Rejected' });
    clock.advance(60_000);
    // Ops fix the activity name in the PRM: its `updated` moves past finance's change.
    systems.prm.updateMdfRequest('MDF-5101', { activityName: 'Cloud Summit Munich (fixed)' });
    clock.advance(60_000);
    expect(await act('sync_fund_request', { mdf_number: 'MDF-5101' })).toMatchObject({ salesforce_kept: ['status'] });
    expect(fundRequest('MDF-5101').Status).toBe('Rejected');
    // Finance left the Amount: a denied request has none, so Salesforce is to be written back (prm_won) for it.
    expect(await act('apply_salesforce_change', polled('PartnerFundRequest', 'MDF-5101', fundRequest('MDF-5101')))).toMatchObject({ changed: ['status'], status: 'Denied', prm_won: true });
    expect(systems.prm.findMdfRequest('MDF-5101')).toMatchObject({ status: 'Denied', activityName: 'Cloud Summit Munich (fixed)' });
    // The write-back after it writes the PRM's other fields and finds nothing to keep.
    expect(await act('sync_fund_request', { mdf_number: 'MDF-5101' })).toMatchObject({ salesforce_kept: [], status: 'Denied' });
    expect(fundRequest('MDF-5101')).toMatchObject({ Status: 'Rejected', Amount: null, Title: 'MDF-5101: Cloud Summit Munich (fixed)' });
  });

  it("D1: the same for a claim: ops set a purchase order number after finance's Rejected of the approved claim: Rejected is applied (Denied)", async () => {
    await approvedAndSynced('MDF-5102');
    const claim = systems.prm.addMdfClaim({ mdfNumber: 'MDF-5102', title: 'Partner Day', amount: 5000, status: 'Approved' });
    await act('sync_fund_claim', { claim_id: claim.id });
    systems.salesforce.update('PartnerFundClaim', String(fundClaim(claim.id).Id), { Status: 'Rejected' });
    clock.advance(60_000);
    systems.prm.updateMdfClaim(claim.id, { purchaseOrderNumber: 'PO-1' });
    expect(await act('sync_fund_claim', { claim_id: claim.id })).toMatchObject({ salesforce_kept: 'Rejected' });
    expect(await act('apply_salesforce_change', polled('PartnerFundClaim', `PRM-CLAIM-${claim.id}`, fundClaim(claim.id)))).toMatchObject({ changed: ['status'], status: 'Denied', prm_won: false });
    expect(systems.prm.mdfClaims().find((c) => c.id === claim.id)).toMatchObject({ status: 'Denied', purchaseOrderNumber: 'PO-1' });
  });

  it("D1: finance's new Amount survives a request sync started by something else (a claim submission) before the poll, and the poll brings it into the PRM", async () => {
    await approvedAndSynced('MDF-5103');
    systems.salesforce.update('PartnerFundRequest', String(fundRequest('MDF-5103').Id), { Amount: 8000 });
    clock.advance(60_000);
    systems.prm.addMdfClaim({ mdfNumber: 'MDF-5103', title: 'Partner Day', amount: 4000, status: 'Open' });
    const sync = await act<{ salesforce_kept: string[]; fields: object }>('sync_fund_request', { mdf_number: 'MDF-5103' });
    expect(sync).toMatchObject({ salesforce_kept: ['amount'], fields: {} });
    expect(sync.notes.join('\n')).toContain('MDF-5103: Salesforce has amount 8000 (PRM: 10000; only Salesforce changed it)');
    expect(fundRequest('MDF-5103').Amount).toBe(8000);
    expect(await act('apply_salesforce_change', polled('PartnerFundRequest', 'MDF-5103', fundRequest('MDF-5103')))).toMatchObject({ changed: ['amountRequested'], status: 'Approved', prm_won: false });
    expect(systems.prm.findMdfRequest('MDF-5103')!.amountRequested).toBe(8000);
  });

  it('D1: both changed the status: the lifecycle rule decides, and the loser side is written (same stage: the PRM; a later stage: Salesforce)', async () => {
    // Same stage: finance rejects while the CMM approves an Open request: the PRM's Approved is written.
    systems.prm.addMdfRequest({ mdfNumber: 'MDF-5104', status: 'Open', amountRequested: 10000 });
    await act('sync_fund_request', { mdf_number: 'MDF-5104' });
    systems.salesforce.update('PartnerFundRequest', String(fundRequest('MDF-5104').Id), { Status: 'Rejected' });
    const change = polled('PartnerFundRequest', 'MDF-5104', fundRequest('MDF-5104'));
    clock.advance(60_000);
    systems.prm.updateMdfRequest('MDF-5104', { status: 'Approved' });
    expect(await act('apply_salesforce_change', change)).toMatchObject({ changed: [], status: 'Approved', prm_won: true });
    expect(await act('sync_fund_request', { mdf_number: 'MDF-5104' })).toMatchObject({ salesforce_kept: [], status: 'Approved' });
    expect(fundRequest('MDF-5104')).toMatchObject({ Status: 'Approved', Amount: 10000 });

    // A later stage: finance marks the claim Paid while ops deny it in the PRM: Paid goes into the PRM.
    await approvedAndSynced('MDF-5105');
    const claim = systems.prm.addMdfClaim({ mdfNumber: 'MDF-5105', title: 'Webinar', amount: 3000, status: 'Approved' });
    await act('sync_fund_claim', { claim_id: claim.id });
    systems.salesforce.update('PartnerFundClaim', String(fundClaim(claim.id).Id), { Status: 'Paid' });
    clock.advance(60_000);
    systems.prm.updateMdfClaim(claim.id, { status: 'Denied' });
    expect(await act('sync_fund_claim', { claim_id: claim.id })).toMatchObject({ salesforce_kept: 'Paid' });
    expect(await act('apply_salesforce_change', polled('PartnerFundClaim', `PRM-CLAIM-${claim.id}`, fundClaim(claim.id)))).toMatchObject({ changed: ['status'], status: 'Paid' });
  });

  it("D1 echo: the runtime's own writes move the base, so nothing comes back as a change on either side", async () => {
    await approvedAndSynced('MDF-5106');
    systems.salesforce.update('PartnerFundRequest', String(fundRequest('MDF-5106').Id), { Status: 'Rejected', Amount: null });
    const change = polled('PartnerFundRequest', 'MDF-5106', fundRequest('MDF-5106'));
    expect(await act('apply_salesforce_change', change)).toMatchObject({ changed: ['status'], status: 'Denied' });
    expect(await syncBases.store().syncBases({ object: 'PartnerFundRequest', key: 'MDF-5106' })).toEqual({ status: { prm: 'Denied', salesforce: 'Rejected' }, amount: { prm: null, salesforce: null } });
    // The same change read again (the poll's inclusive watermark) writes nothing.
    const updated = systems.prm.findMdfRequest('MDF-5106')!.updated;
    clock.advance(60_000);
    expect(await act('apply_salesforce_change', change)).toMatchObject({ changed: [], prm_won: false });
    expect(systems.prm.findMdfRequest('MDF-5106')!.updated).toBe(updated);
  });
});
