import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock.ts';
import { SIMULATED_URLS } from '../simulated-systems.ts';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';

/** The simulated PRM's MDF claim object (D15–D19), as a client sees it over the global fetch. */
const clock = new VirtualClock('2026-04-20T09:00:00Z');

const systems = useSimulatedSystems(clock);

const AUTH = { Authorization: 'prm-key mock-prm-key', 'X-PRM-TenantId': '1' };
const CLAIMS = 'MdfClaim__co';

async function prm(path: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(`${SIMULATED_URLS.prm}/${path}`, {
    method: init.method ?? 'GET',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const POP = { name: 'photos.zip', kind: 'POP', url: 'https://prm.partnerflow.test/files/1' };
const LEADS = { name: 'leads.csv', kind: 'Lead List', url: 'https://prm.partnerflow.test/files/2' };

describe('PRM MDF claims', () => {
  it('has no claims by default, and approved requests whose activities ended on different days', async () => {
    expect((await prm(CLAIMS)).body).toEqual({ success: true, data: { count: 0, entity: CLAIMS, results: [] } });
    const approved = systems.prm.mdfRequests().filter((r) => r.status === 'Approved');
    expect(new Set(approved.map((r) => r.endDate)).size).toBeGreaterThanOrEqual(3);
    expect(systems.prm.findMdfRequest('MDF-1001')?.status).toBe('Open');
  });

  it('creates a claim from PascalCase fields and answers camelCase, Open with the stamps set (D15, D18)', async () => {
    const created = await prm(CLAIMS, {
      method: 'PUT',
      body: { MdfNumber: 'MDF-0901', Title: 'Partner Day Frankfurt claim', Amount: 7000, PaidDate: '2026-04-10', ActualCosts: 15000, Attachments: [POP, LEADS], Status: 'Open' },
    });
    expect(created.status).toBe(200);
    expect(created.body.data).toEqual({
      id: 1,
      mdfNumber: 'MDF-0901',
      title: 'Partner Day Frankfurt claim',
      amount: 7000,
      paidDate: '2026-04-10',
      actualCosts: 15000,
      attachments: [POP, LEADS],
      missingPop: null,
      status: 'Open',
      statusReason: null,
      purchaseOrderNumber: null,
      created: '2026-04-20T09:00:00.000Z',
      updated: '2026-04-20T09:00:00.000Z',
    });
    expect((await prm(`${CLAIMS}/1`)).body.data).toMatchObject({ title: 'Partner Day Frankfurt claim', attachments: [POP, LEADS] });
  });

  it('refuses camelCase keys, unknown statuses, bad attachments and a missing MDF number, all at once, in its envelope', async () => {
    const res = await prm(CLAIMS, { method: 'PUT', body: { title: 'x', Status: 'Rejected', Attachments: [{ name: 'a', kind: 'Invoice', url: 'https://x.test/a' }] } });
    expect(res.status).toBe(400);
    expect(res.body.success).toBe(false);
    expect(res.body.errors).toEqual([
      { code: 'InvalidField', fields: ['title'], message: "MdfClaim__co has no field 'title'; writes name fields in PascalCase, e.g. 'Title'" },
      { code: 'InvalidValue', fields: ['Status'], message: '"Rejected" is not a valid value for Status; allowed: Open, Approved, Denied, Paid' },
      { code: 'InvalidValue', fields: ['Attachments'], message: 'Attachments[0].kind "Invoice" is not valid; allowed: POP, Lead List, Other' },
      { code: 'RequiredField', fields: ['MdfNumber'], message: 'MdfNumber is required' },
    ]);
    expect(systems.snapshot().prm.mdf_requests.length).toBe(8);
    expect((await prm(CLAIMS)).body.data.count).toBe(0);
  });

  it('updates Missing POP, the status and the purchase order number by PATCH, stamping updated (D17, D18)', async () => {
    await prm(CLAIMS, { method: 'PUT', body: { MdfNumber: 'MDF-0902', Title: 'Webinars', Status: 'Open' } });
    clock.advance(60_000);
    const pop = await prm(`${CLAIMS}/1`, { method: 'PATCH', body: { MissingPop: 'Lead List' } });
    expect(pop.body.data).toMatchObject({ missingPop: 'Lead List', status: 'Open', updated: '2026-04-20T09:01:00.000Z' });
    const decided = await prm(`${CLAIMS}/1`, { method: 'PATCH', body: { Status: 'Approved', PurchaseOrderNumber: 'PO-7781', MissingPop: null } });
    expect(decided.body.data).toMatchObject({ status: 'Approved', purchaseOrderNumber: 'PO-7781', missingPop: null });
    const bad = await prm(`${CLAIMS}/1`, { method: 'PATCH', body: { MissingPop: 'Receipt' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatchObject({ code: 'InvalidValue', fields: ['MissingPop'] });
    expect((await prm(`${CLAIMS}/99`)).status).toBe(404);
  });

  it('lists claims filtered by MDF number, paged by skip and take with the total in count', async () => {
    for (let i = 0; i < 7; i++) {
      await prm(CLAIMS, { method: 'PUT', body: { MdfNumber: i % 2 === 0 ? 'MDF-0901' : 'MDF-0903', Title: `Claim ${i}`, Status: 'Open' } });
    }
    const page = await prm(`${CLAIMS}?filter=${encodeURIComponent("MdfNumber eq 'MDF-0901'")}&orderby=Id%20asc&skip=2&take=1`);
    expect(page.body.data.count).toBe(4);
    expect(page.body.data.results.map((c: { title: string }) => c.title)).toEqual(['Claim 4']);
  });
});
