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

/** mdf.apply_salesforce_change (D1, Salesforce → PRM) on its own, against the simulated PRM. */
const clock = new VirtualClock('2026-04-20T09:10:00Z');
const log = capturingLogger();
const systems = useSimulatedSystems(clock);
const syncBases = useSyncBases();

/** Stamps of one poll interval: the PRM record before the Salesforce change, the change, the PRM record after it. */
const BEFORE = '2026-04-20T09:00:00.000Z';
const SF_AT = '2026-04-20T09:02:00.000+0000';
const SAME_SECOND = '2026-04-20T09:02:00.000Z';
const AFTER = '2026-04-20T09:04:00.000Z';

function connect(): MdfConnection {
  const prm = prmConnector.connect(PrmConfig.parse(PRM_MOCK_CONFIG), testDeps(clock, log)) as PrmClient;
  const salesforce = salesforceConnector.connect(SalesforceConfig.parse(SALESFORCE_MOCK_CONFIG), testDeps(clock, log)) as SalesforceConnection;
  return { prm: () => prm, salesforce: () => salesforce, bases: syncBases.bases, claimUrl: (id) => claimPortalUrl(MDF_MOCK_CONFIG.claimPortalUrl, id) };
}

interface Outcome {
  key: string;
  found: boolean;
  changed: string[];
  status: string | null;
  prm_won: boolean;
  reopen_refused: boolean;
}

async function apply(change: { object: 'PartnerFundRequest' | 'PartnerFundClaim'; key: string; status: string | null; amount?: number | null; last_modified?: string }) {
  const definition = mdfConnector.actions.apply_salesforce_change!;
  const { ctx, notes } = testContext(connect(), clock, { log });
  const input = { change: { id: 'a0X000000000001AAA', amount: null, last_modified: SF_AT, last_modified_by: '0055g00000PFLWOPS1', ...change } };
  const outcome = definition.output.parse(await definition.run(definition.input.parse(input), ctx)) as Outcome;
  return { ...outcome, notes };
}

const request = (mdfNumber: string, status: string, updated: string, amountRequested = 10000) => systems.prm.addMdfRequest({ mdfNumber, status, updated, amountRequested } as never);
const claimOf = (status: string, updated: string) => systems.prm.addMdfClaim({ mdfNumber: 'MDF-0901', title: `Claim ${status} ${updated}`, amount: 2500, status, updated } as never);
const prmRequest = (mdfNumber: string) => systems.prm.findMdfRequest(mdfNumber)!;
const prmClaim = (id: number) => systems.prm.mdfClaims().find((c) => c.id === id)!;

describe('mdf.apply_salesforce_change (D1: a change made in Salesforce, brought into the PRM)', () => {
  it('D1: a Funds Request Status maps Approved → Approved, Rejected → Denied, and is written when the PRM did not change since', async () => {
    for (const [prmStatus, sfStatus, expected] of [['Open', 'Approved', 'Approved'], ['Approved', 'Rejected', 'Denied'], ['Denied', 'Approved', 'Approved']] as const) {
      const mdf = `MDF-77${prmStatus.length}${sfStatus.length}`;
      request(mdf, prmStatus, BEFORE);
      // Approved in Salesforce without an Amount: the PRM's approved amount is for Salesforce (written back, prm_won).
      expect(await apply({ object: 'PartnerFundRequest', key: mdf, status: sfStatus })).toMatchObject({ found: true, changed: ['status'], status: expected, prm_won: expected === 'Approved' });
      expect(prmRequest(mdf).status).toBe(expected);
    }
  });

  it('D1, D11: Salesforce\'s Draft never reopens a decided request: the PRM keeps Approved or Denied (a request is Open only from its submission), Salesforce is written back and ops are to be told (reopen_refused)', async () => {
    for (const prmStatus of ['Approved', 'Denied'] as const) {
      const mdf = `MDF-779${prmStatus.length}`;
      request(mdf, prmStatus, BEFORE);
      const kept = await apply({ object: 'PartnerFundRequest', key: mdf, status: 'Draft' });
      expect(kept).toMatchObject({ found: true, changed: [], status: prmStatus, prm_won: true, reopen_refused: true });
      expect(kept.notes.join('\n')).toContain(`${mdf}: the PRM keeps ${prmStatus} over Salesforce's Draft (only Salesforce changed it, but the PRM cannot take that value here, D1)`);
      expect(prmRequest(mdf)).toMatchObject({ status: prmStatus, updated: BEFORE });
    }
    // Draft for a request still Open is no reopening: nothing to refuse.
    request('MDF-7799', 'Open', BEFORE);
    expect(await apply({ object: 'PartnerFundRequest', key: 'MDF-7799', status: 'Draft' })).toMatchObject({ changed: [], status: 'Open', prm_won: false, reopen_refused: false });
  });

  it("D1: a Funds Request's Amount becomes the approved request's amount; a request that is not approved keeps its amount and has Salesforce's written back (no Amount unless approved)", async () => {
    request('MDF-7801', 'Approved', BEFORE);
    expect(await apply({ object: 'PartnerFundRequest', key: 'MDF-7801', status: 'Approved', amount: 8000 })).toMatchObject({ changed: ['amountRequested'], status: 'Approved', prm_won: false });
    expect(prmRequest('MDF-7801').amountRequested).toBe(8000);
    request('MDF-7802', 'Open', BEFORE);
    expect(await apply({ object: 'PartnerFundRequest', key: 'MDF-7802', status: 'Draft', amount: 8000 })).toMatchObject({ changed: [], prm_won: true });
    expect(prmRequest('MDF-7802').amountRequested).toBe(10000);
  });

  it('D1: a Funds Claim Status maps Approved → Approved, Rejected → Denied, Paid → Paid, Draft → Open', async () => {
    for (const [prmStatus, sfStatus, expected] of [['Open', 'Approved', 'Approved'], ['Approved', 'Rejected', 'Denied'], ['Approved', 'Paid', 'Paid'], ['Approved', 'Draft', 'Open']] as const) {
      const claim = claimOf(prmStatus, BEFORE);
      expect(await apply({ object: 'PartnerFundClaim', key: `PRM-CLAIM-${claim.id}`, status: sfStatus })).toMatchObject({ found: true, changed: ['status'], status: expected, prm_won: false });
      expect(prmClaim(claim.id).status).toBe(expected);
    }
  });

  it('D1 echo: the value the PRM already has writes nothing (the PRM record is not even touched)', async () => {
    request('MDF-7811', 'Approved', BEFORE);
    expect(await apply({ object: 'PartnerFundRequest', key: 'MDF-7811', status: 'Approved', amount: 10000 })).toMatchObject({ changed: [], prm_won: false });
    const closed = request('MDF-7812', 'Closed', BEFORE);
    expect(await apply({ object: 'PartnerFundRequest', key: 'MDF-7812', status: 'Approved', amount: 10000 })).toMatchObject({ changed: [], status: 'Closed', prm_won: false });
    const claim = claimOf('Paid', BEFORE);
    expect(await apply({ object: 'PartnerFundClaim', key: `PRM-CLAIM-${claim.id}`, status: 'Paid' })).toMatchObject({ changed: [], status: 'Paid', prm_won: false });
    expect([prmRequest('MDF-7811').updated, prmRequest('MDF-7812').updated, prmClaim(claim.id).updated]).toEqual([BEFORE, closed.updated, BEFORE]);
  });

  it('D1 conflict rule: the PRM changed after Salesforce: the status further along wins (a claim made Paid; a request kept Approved over Draft)', async () => {
    const claim = claimOf('Approved', AFTER);
    expect(await apply({ object: 'PartnerFundClaim', key: `PRM-CLAIM-${claim.id}`, status: 'Paid' })).toMatchObject({ changed: ['status'], status: 'Paid', prm_won: false });
    request('MDF-7821', 'Approved', AFTER);
    const kept = await apply({ object: 'PartnerFundRequest', key: 'MDF-7821', status: 'Draft' });
    expect(kept).toMatchObject({ changed: [], status: 'Approved', prm_won: true });
    expect(kept.notes.join('\n')).toContain("MDF-7821: the PRM keeps Approved over Salesforce's Draft (both changed it: the PRM wins under the conflict rule, D1)");
  });

  it('D1 conflict rule: same stage, Approved in the PRM after Rejected in Salesforce: the PRM wins (prm_won, nothing written); the same with Salesforce later: Salesforce applies', async () => {
    const prmLater = claimOf('Approved', AFTER);
    expect(await apply({ object: 'PartnerFundClaim', key: `PRM-CLAIM-${prmLater.id}`, status: 'Rejected' })).toMatchObject({ changed: [], status: 'Approved', prm_won: true });
    expect(prmClaim(prmLater.id)).toMatchObject({ status: 'Approved', updated: AFTER });
    request('MDF-7831', 'Approved', AFTER);
    expect(await apply({ object: 'PartnerFundRequest', key: 'MDF-7831', status: 'Rejected' })).toMatchObject({ changed: [], status: 'Approved', prm_won: true });
    const sfLater = claimOf('Approved', BEFORE);
    expect(await apply({ object: 'PartnerFundClaim', key: `PRM-CLAIM-${sfLater.id}`, status: 'Rejected' })).toMatchObject({ changed: ['status'], status: 'Denied', prm_won: false });
  });

  it("D1 conflict rule: the PRM's Closed and Canceled (requests) and Paid (claims) are never overwritten, even by a later Salesforce change", async () => {
    request('MDF-7841', 'Closed', BEFORE);
    expect(await apply({ object: 'PartnerFundRequest', key: 'MDF-7841', status: 'Rejected' })).toMatchObject({ changed: [], status: 'Closed', prm_won: true });
    request('MDF-7842', 'Canceled', BEFORE);
    expect(await apply({ object: 'PartnerFundRequest', key: 'MDF-7842', status: 'Approved' })).toMatchObject({ changed: [], status: 'Canceled', prm_won: true });
    const paid = claimOf('Paid', BEFORE);
    expect(await apply({ object: 'PartnerFundClaim', key: `PRM-CLAIM-${paid.id}`, status: 'Approved' })).toMatchObject({ changed: [], status: 'Paid', prm_won: true });
    expect([prmRequest('MDF-7841').status, prmRequest('MDF-7842').status, prmClaim(paid.id).status]).toEqual(['Closed', 'Canceled', 'Paid']);
  });

  it('D1 conflict rule: a PRM change in the same second as the Salesforce change counts as before it (whole-second stamps): Salesforce applies', async () => {
    const claim = claimOf('Approved', SAME_SECOND);
    expect(await apply({ object: 'PartnerFundClaim', key: `PRM-CLAIM-${claim.id}`, status: 'Rejected' })).toMatchObject({ changed: ['status'], status: 'Denied', prm_won: false });
    request('MDF-7851', 'Approved', SAME_SECOND);
    expect(await apply({ object: 'PartnerFundRequest', key: 'MDF-7851', status: 'Approved', amount: 9000 })).toMatchObject({ changed: ['amountRequested'], prm_won: false });
  });

  it('a claim key that does not end in the PRM claim id, or names no PRM record, is skipped with a note; nothing is written', async () => {
    const before = JSON.stringify(systems.prm.mdfClaims());
    const odd = await apply({ object: 'PartnerFundClaim', key: 'MDF-0901-CLAIM-A', status: 'Paid' });
    expect(odd).toMatchObject({ found: false, changed: [], status: null, prm_won: false });
    expect(odd.notes).toEqual(['the PRM has no MDF claim for key MDF-0901-CLAIM-A; nothing to bring back']);
    expect(await apply({ object: 'PartnerFundClaim', key: 'PRM-CLAIM-999999', status: 'Paid' })).toMatchObject({ found: false, changed: [] });
    expect(await apply({ object: 'PartnerFundRequest', key: 'MDF-0000', status: 'Approved' })).toMatchObject({ found: false, changed: [] });
    expect(JSON.stringify(systems.prm.mdfClaims())).toBe(before);
  });
});
