import { describe, expect, it } from 'vitest';
import { useMockRuntime } from '../../test/support/mock-runtime.ts';
import type { Runtime } from '../runtime.ts';

/**
 * Mock mode over HTTP (issue 12's claim walkthrough): ops change an MDF request in the simulated PRM
 * with `PATCH /_mock/prm/mdf_requests/:mdf_number` (its end date moves D14's reminders), and finance
 * edits a Salesforce record with `PATCH /_mock/salesforce/...`, which the Salesforce poll (D1) brings
 * into the PRM. Dates are taken relative to the mock clock, never today's.
 */
const start = useMockRuntime();

const json = (method: string, body: unknown) => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The calendar day `days` after the clock's now (UTC), as the PRM stores dates. */
const dayFromNow = (rt: Runtime, days: number) => new Date(rt.clock.now() + days * 86_400_000).toISOString().slice(0, 10);

interface BusinessTimer {
  recipe: string;
  key: string;
  offset: number;
  date: string;
}

async function reminders(rt: Runtime, mdfNumber: string): Promise<BusinessTimer[]> {
  const list = (await (await rt.app.request('/timers')).json()) as { business_timers: BusinessTimer[] };
  return list.business_timers.filter((t) => t.key === mdfNumber);
}

describe('PATCH /_mock/prm/mdf_requests/:mdf_number (ops change a request in the PRM)', () => {
  it('D14: stores a new end date, sends mdf_request.changed, and the reminders follow it; a status change sends mdf_request.status_changed', async () => {
    const rt = await start();
    const yesterday = dayFromNow(rt, -1);
    const res = await rt.app.request('/_mock/prm/mdf_requests/MDF-0901', json('PATCH', { endDate: yesterday }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { mdf_request: { mdfNumber: string; endDate: string; status: string }; webhook: { event: string; status: number } };
    expect(body.mdf_request).toMatchObject({ mdfNumber: 'MDF-0901', endDate: yesterday, status: 'Approved' });
    expect(body.webhook).toMatchObject({ event: 'mdf_request.changed', status: 202 });
    expect(rt.systems!.prm.findMdfRequest('MDF-0901')?.endDate).toBe(yesterday);
    expect((await reminders(rt, 'MDF-0901')).map((t) => [t.offset, t.date])).toEqual([
      [2, yesterday],
      [14, yesterday],
      [28, yesterday],
    ]);

    const canceled = await rt.app.request('/_mock/prm/mdf_requests/MDF-0901', json('PATCH', { status: 'Canceled', statusReason: 'The partner withdrew.' }));
    expect(canceled.status).toBe(200);
    expect(await canceled.json()).toMatchObject({ mdf_request: { status: 'Canceled' }, webhook: { event: 'mdf_request.status_changed', status: 202 } });
    expect(await reminders(rt, 'MDF-0901')).toEqual([]);
  });

  it('answers a bad field 400 naming it and an unknown MDF number 404, and changes nothing', async () => {
    const rt = await start();
    const before = rt.systems!.prm.findMdfRequest('MDF-0901');
    const bad = await rt.app.request('/_mock/prm/mdf_requests/MDF-0901', json('PATCH', { endDate: 'next Friday', colour: 'red' }));
    expect(bad.status).toBe(400);
    const error = (await bad.json()) as { error: string; issues: Array<{ path: string; message: string }> };
    expect(error.issues.map((i) => i.path).sort()).toEqual(['$', 'endDate']);
    expect(error.error).toMatch(/colour/);
    expect(error.error).toMatch(/endDate/);
    const empty = await rt.app.request('/_mock/prm/mdf_requests/MDF-0901', json('PATCH', {}));
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: string }).error).toMatch(/at least one field/);
    expect(rt.systems!.prm.findMdfRequest('MDF-0901')).toEqual(before);

    const unknown = await rt.app.request('/_mock/prm/mdf_requests/MDF-9999', json('PATCH', { endDate: dayFromNow(rt, -1) }));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'the simulated PRM has no MDF request MDF-9999' });
    await rt.engine.runUntilIdle();
    expect(await rt.store.listRuns({ limit: 10 })).toEqual([]);
  });
});

describe('PATCH /_mock/salesforce/... (finance edits a record in Salesforce)', () => {
  /** A claim submitted and approved in the PRM, so that its Funds Claim is in Salesforce. */
  async function approvedClaim(rt: Runtime): Promise<number> {
    const submitted = await rt.app.request('/_mock/prm/claims', json('POST', {
      mdfNumber: 'MDF-0901',
      title: 'Partner Day Frankfurt',
      amount: 7000,
      paidDate: dayFromNow(rt, -1),
      actualCosts: 15000,
      attachments: [
        { name: 'pop.pdf', kind: 'POP', url: 'https://prm.partnerflow.test/files/1' },
        { name: 'leads.csv', kind: 'Lead List', url: 'https://prm.partnerflow.test/files/2' },
      ],
    }));
    const { claim } = (await submitted.json()) as { claim: { id: number } };
    await rt.engine.runUntilIdle();
    await rt.app.request(`/_mock/prm/claims/${claim.id}`, json('PATCH', { status: 'Approved' }));
    // The intake's Salesforce sync waits on a retry until the request's own sync has written the request: let it finish.
    await rt.app.request('/_mock/clock/advance', json('POST', { by: 'PT5M' }));
    return claim.id;
  }

  it('D1: marking a Funds Claim Paid by its claim key is an edit by a person, which the next poll brings into the PRM and tells the partner', async () => {
    const rt = await start();
    const id = await approvedClaim(rt);
    const res = await rt.app.request(`/_mock/salesforce/PartnerFundClaim/MDF_Claim_Key__c/PRM-CLAIM-${id}`, json('PATCH', { Status: 'Paid' }));
    expect(res.status).toBe(200);
    const { record } = (await res.json()) as { record: Record<string, unknown> };
    expect(record).toMatchObject({ MDF_Claim_Key__c: `PRM-CLAIM-${id}`, Status: 'Paid', LastModifiedById: '0055g00000PFLWOPS1' });

    await rt.app.request('/_mock/clock/advance', json('POST', { by: 'PT5M' }));
    expect(rt.systems!.prm.mdfClaims().find((c) => c.id === id)?.status).toBe('Paid');
    expect(rt.systems!.email.messages().map((m) => m.subject)).toContain('Your MDF claim for MDF-0901 is paid');
  });

  it('edits a record by its Id; an unknown field is 400 in the org\'s words, an unknown object or record 404', async () => {
    const rt = await start();
    const id = await approvedClaim(rt);
    const fundClaim = rt.systems!.salesforce.records('PartnerFundClaim').find((r) => r.MDF_Claim_Key__c === `PRM-CLAIM-${id}`)!;
    const byId = await rt.app.request(`/_mock/salesforce/PartnerFundClaim/${String(fundClaim.Id)}`, json('PATCH', { Description: 'Checked by finance' }));
    expect(byId.status).toBe(200);
    expect(await byId.json()).toMatchObject({ record: { Id: fundClaim.Id, Description: 'Checked by finance', Status: 'Approved' } });

    const badField = await rt.app.request(`/_mock/salesforce/PartnerFundClaim/${String(fundClaim.Id)}`, json('PATCH', { Paid_On: '2026-01-01' }));
    expect(badField.status).toBe(400);
    expect(((await badField.json()) as { error: string }).error).toMatch(/Paid_On/);
    const badValue = await rt.app.request(`/_mock/salesforce/PartnerFundClaim/${String(fundClaim.Id)}`, json('PATCH', { Status: 'Settled' }));
    expect(badValue.status).toBe(400);
    expect(((await badValue.json()) as { error: string }).error).toMatch(/Settled/);

    const noObject = await rt.app.request('/_mock/salesforce/FundClaim/MDF_Claim_Key__c/PRM-CLAIM-1', json('PATCH', { Status: 'Paid' }));
    expect(noObject.status).toBe(404);
    expect(((await noObject.json()) as { error: string }).error).toMatch(/^the simulated Salesforce has no object FundClaim; it has: .*PartnerFundClaim/);
    const noRecord = await rt.app.request('/_mock/salesforce/PartnerFundClaim/MDF_Claim_Key__c/PRM-CLAIM-99', json('PATCH', { Status: 'Paid' }));
    expect(noRecord.status).toBe(404);
    expect(await noRecord.json()).toEqual({ error: 'the simulated Salesforce has no PartnerFundClaim with MDF_Claim_Key__c = PRM-CLAIM-99' });
    expect(rt.systems!.salesforce.records('PartnerFundClaim').find((r) => r.Id === fundClaim.Id)?.Status).toBe('Approved');
  });
});
