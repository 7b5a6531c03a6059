import { describe, expect, it } from 'vitest';
import { useMockRuntime } from '../../test/support/mock-runtime.ts';

const mockRuntime = useMockRuntime();
const json = { 'content-type': 'application/json' };

type RunJson = { id: string; recipe: string; status: string; correlationKey: string | null; trigger: { type: string } };

/**
 * review8 F4: a run a poll starts carries its business key, so `GET /runs?key=MDF-1001` (and the
 * console's Business key filter) shows the run that wrote a Salesforce edit into the PRM.
 */
describe('runs started by a poll are listed under their business key', () => {
  it('GET /runs?key=MDF-1001 lists the mdf-request-changes-from-salesforce run that wrote Denied into the PRM', async () => {
    const rt = await mockRuntime();
    const submitted = await rt.app.request('/_mock/prm/webhooks', { method: 'POST', headers: json, body: JSON.stringify({ event: 'mdf_request.submitted', mdf_number: 'MDF-1001' }) });
    expect(submitted.status).toBe(202);
    await rt.engine.runUntilIdle();
    // A person rejects the Funds Request in Salesforce; the 5-minute poll brings it into the PRM.
    const edited = await rt.app.request('/_mock/salesforce/PartnerFundRequest/MDF_Number__c/MDF-1001', { method: 'PATCH', headers: json, body: JSON.stringify({ Status: 'Rejected' }) });
    expect(edited.status).toBeLessThan(300);
    const advanced = await rt.app.request('/_mock/clock/advance', { method: 'POST', headers: json, body: JSON.stringify({ by: 'PT6M' }) });
    expect(advanced.status).toBe(200);
    await rt.engine.runUntilIdle();

    const records = (await (await rt.app.request('/_mock/records')).json()) as { prm: { mdf_requests: Array<{ mdfNumber: string; status: string }> } };
    expect(records.prm.mdf_requests.find((r) => r.mdfNumber === 'MDF-1001')!.status).toBe('Denied');

    const listed = (await (await rt.app.request('/runs?key=MDF-1001')).json()) as { runs: RunJson[] };
    const pollRuns = listed.runs.filter((r) => r.recipe === 'mdf-request-changes-from-salesforce');
    expect(pollRuns.map((r) => [r.trigger.type, r.status, r.correlationKey])).toEqual([['poll', 'completed', 'MDF-1001']]);
    // The approval run it ended is under the same key, beside it.
    expect(listed.runs.map((r) => r.recipe)).toContain('mdf-request-approval');
  });

  it("GET /runs?key=MDF-0901 lists the mdf-claim-changes-from-salesforce run of a claim finance marked Paid in Salesforce (keyed by its request's MDF number)", async () => {
    const rt = await mockRuntime();
    const call = async (method: string, path: string, body: unknown) => {
      const res = await rt.app.request(path, { method, headers: json, body: JSON.stringify(body) });
      expect(res.status, `${method} ${path}`).toBeLessThan(300);
      await rt.engine.runUntilIdle();
    };
    // README walkthrough: a claim against MDF-0901, approved by ops, synced to Salesforce.
    await call('POST', '/_mock/prm/claims', {
      mdfNumber: 'MDF-0901',
      title: 'Partner Day Frankfurt',
      amount: 7000,
      paidDate: '2026-12-03',
      actualCosts: 15000,
      attachments: [
        { name: 'pop.pdf', kind: 'POP', url: 'https://prm.partnerflow.test/files/1' },
        { name: 'leads.csv', kind: 'Lead List', url: 'https://prm.partnerflow.test/files/2' },
      ],
    });
    await call('PATCH', '/_mock/prm/claims/1', { status: 'Approved' });
    await call('POST', '/_mock/clock/advance', { by: 'PT5M' });
    await call('PATCH', '/_mock/salesforce/PartnerFundClaim/MDF_Claim_Key__c/PRM-CLAIM-1', { Status: 'Paid' });
    await call('POST', '/_mock/clock/advance', { by: 'PT6M' });

    const records = (await (await rt.app.request('/_mock/records')).json()) as { prm: { mdf_claims: Array<{ id: number; status: string }> } };
    expect(records.prm.mdf_claims.find((c) => c.id === 1)!.status).toBe('Paid');
    const listed = (await (await rt.app.request('/runs?key=MDF-0901')).json()) as { runs: RunJson[] };
    expect(listed.runs.filter((r) => r.recipe === 'mdf-claim-changes-from-salesforce').map((r) => [r.trigger.type, r.status, r.correlationKey])).toEqual([['poll', 'completed', 'MDF-0901']]);
  });
});
