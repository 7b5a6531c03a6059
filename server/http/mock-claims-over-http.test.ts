import { describe, expect, it } from 'vitest';
import { useMockRuntime } from '../../test/support/mock-runtime.ts';
import { signedDelivery } from './webhook-signature.ts';

/**
 * Claims in mock mode over HTTP (issue 12, walkthrough steps 2-4): a partner submits a claim with
 * `POST /_mock/prm/claims`, ops change it with `PATCH /_mock/prm/claims/:id`, `/_mock/prm/webhooks`
 * sends claim events, `/_mock/records` shows claims; and a claim event with missing fields is refused
 * with 400 naming them, nothing stored.
 */
const start = useMockRuntime();

const json = (method: string, body: unknown) => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const claimForm = {
  mdfNumber: 'MDF-0901',
  title: 'Partner Day Frankfurt',
  amount: 7000,
  paidDate: '2026-04-10',
  actualCosts: 15000,
  attachments: [
    { name: 'pop.pdf', kind: 'POP', url: 'https://prm.partnerflow.test/files/1' },
    { name: 'leads.csv', kind: 'Lead List', url: 'https://prm.partnerflow.test/files/2' },
  ],
};

describe('claims in mock mode (D15-D18)', () => {
  it('POST /_mock/prm/claims stores the claim Open, sends mdf_claim.submitted, and /_mock/records lists it', async () => {
    const rt = await start();
    const res = await rt.app.request('/_mock/prm/claims', json('POST', claimForm));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { claim: { id: number; status: string; title: string }; webhook: { status: number; body: unknown } };
    expect(body.claim).toMatchObject({ mdfNumber: 'MDF-0901', title: 'Partner Day Frankfurt', status: 'Open', missingPop: null });
    expect(body.webhook.status).toBe(202);
    await rt.engine.runUntilIdle();
    const records = (await (await rt.app.request('/_mock/records')).json()) as { prm: { mdf_claims: Array<{ id: number }> } };
    expect(records.prm.mdf_claims.map((c) => c.id)).toEqual([body.claim.id]);
    expect((await rt.store.listRuns({ recipe: 'mdf-claim-intake', limit: 10 })).map((r) => r.status)).toEqual(['completed']);
  });

  it('refuses a claim form without its MDF number or with an unknown attachment kind, naming the fields', async () => {
    const rt = await start();
    const res = await rt.app.request('/_mock/prm/claims', json('POST', { ...claimForm, mdfNumber: undefined, attachments: [{ name: 'x', kind: 'Photo', url: 'https://prm.partnerflow.test/files/3' }] }));
    expect(res.status).toBe(400);
    const paths = ((await res.json()) as { issues: Array<{ path: string }> }).issues.map((i) => i.path);
    expect(paths).toEqual(['mdfNumber', 'attachments[0].kind']);
    expect(rt.systems!.prm.mdfClaims()).toEqual([]);
  });

  it('refuses what the simulated PRM API refuses: a paid date not YYYY-MM-DD, a Missing POP outside the picklist (400 naming the field, nothing changed)', async () => {
    const rt = await start();
    const bad = await rt.app.request('/_mock/prm/claims', json('POST', { ...claimForm, paidDate: '02/04/2026' }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: Array<{ path: string }> }).issues.map((i) => i.path)).toEqual(['paidDate']);
    expect(rt.systems!.prm.mdfClaims()).toEqual([]);
    const { claim } = (await (await rt.app.request('/_mock/prm/claims', json('POST', claimForm))).json()) as { claim: { id: number } };
    const badPop = await rt.app.request(`/_mock/prm/claims/${claim.id}`, json('PATCH', { missingPop: 'Receipt' }));
    expect(badPop.status).toBe(400);
    expect(((await badPop.json()) as { issues: Array<{ path: string }> }).issues.map((i) => i.path)).toEqual(['missingPop']);
    expect(rt.systems!.prm.mdfClaims()[0]!.missingPop ?? null).toBeNull();
    expect((await rt.app.request(`/_mock/prm/claims/${claim.id}`, json('PATCH', { missingPop: '' }))).status).toBe(200);
  });

  it('PATCH /_mock/prm/claims/:id changes the claim as ops do and sends mdf_claim.changed; an unknown id is 404', async () => {
    const rt = await start();
    const { claim } = (await (await rt.app.request('/_mock/prm/claims', json('POST', claimForm))).json()) as { claim: { id: number } };
    await rt.engine.runUntilIdle();
    const res = await rt.app.request(`/_mock/prm/claims/${claim.id}`, json('PATCH', { missingPop: 'POP' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ claim: { id: claim.id, missingPop: 'POP' }, webhook: { status: 202 } });
    await rt.engine.runUntilIdle();
    expect(rt.systems!.email.messages().map((m) => m.subject)).toContain('Your MDF claim "Partner Day Frankfurt" is missing: POP');
    const unknown = await rt.app.request('/_mock/prm/claims/999', json('PATCH', { status: 'Approved' }));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'the simulated PRM has no MDF claim with id 999' });
    const empty = await rt.app.request(`/_mock/prm/claims/${claim.id}`, json('PATCH', {}));
    expect(empty.status).toBe(400);
  });

  it('/_mock/prm/webhooks sends claim events by id or title, and says which field a claim event lacks', async () => {
    const rt = await start();
    const { claim } = (await (await rt.app.request('/_mock/prm/claims', json('POST', claimForm))).json()) as { claim: { id: number } };
    const byTitle = await rt.app.request('/_mock/prm/webhooks', json('POST', { event: 'mdf_claim.changed', claim_title: 'Partner Day Frankfurt' }));
    expect(byTitle.status).toBe(202);
    const byId = await rt.app.request('/_mock/prm/webhooks', json('POST', { event: 'mdf_claim.submitted', claim_id: claim.id }));
    expect(byId.status).toBe(202);
    const none = await rt.app.request('/_mock/prm/webhooks', json('POST', { event: 'mdf_claim.changed', claim_title: 'Nope' }));
    expect(none.status).toBe(404);
    expect(await none.json()).toEqual({ error: 'the simulated PRM has no MDF claim titled "Nope"' });
    const noClaim = await rt.app.request('/_mock/prm/webhooks', json('POST', { event: 'mdf_claim.changed', mdf_number: 'MDF-0901' }));
    expect(noClaim.status).toBe(400);
    expect(((await noClaim.json()) as { issues: Array<{ path: string; message: string }> }).issues).toEqual([
      expect.objectContaining({ path: 'claim_id', message: 'mdf_claim.changed needs exactly one of claim_id and claim_title' }),
    ]);
    const requestChanged = await rt.app.request('/_mock/prm/webhooks', json('POST', { event: 'mdf_request.changed', mdf_number: 'MDF-0902' }));
    expect(requestChanged.status).toBe(202);
  });

  it('POST /webhooks/prm answers a claim event with missing fields 400 naming them, and stores nothing', async () => {
    const rt = await start();
    const delivery = signedDelivery({
      secret: rt.config.webhookSecrets.prm!,
      deliveryId: 'claim-without-fields',
      event: 'mdf_claim.submitted',
      data: { id: 7, title: 'Partner Day Frankfurt', updated: '2026-04-20T09:00:00Z' },
      timestampSeconds: Math.floor(Date.now() / 1000),
    });
    const res = await rt.app.request('/webhooks/prm', { method: 'POST', headers: delivery.headers, body: delivery.body });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; issues: Array<{ path: string; message: string }> };
    expect(body.issues.map((i) => i.path).sort()).toEqual(['data.created', 'data.mdfNumber', 'data.status']);
    // An absent field reads "required", also the PRM timestamp that may take several forms (not "Invalid input").
    expect(body.issues.find((i) => i.path === 'data.created')!.message).toBe('required');
    expect(body.issues.find((i) => i.path === 'data.mdfNumber')!.message).toBe('required');
    expect(body.error).toMatch(/mdfNumber/);
    await rt.engine.runUntilIdle();
    expect(await rt.store.listRuns({ limit: 10 })).toEqual([]);
    // The same delivery id, now complete, is accepted: the refused one left nothing that dedups it.
    const fixed = signedDelivery({ secret: rt.config.webhookSecrets.prm!, deliveryId: 'claim-without-fields', event: 'mdf_claim.submitted', data: { id: 7, mdfNumber: 'MDF-0901', status: 'Open', created: '2026-04-20T09:00:00Z', updated: '2026-04-20T09:00:00Z' }, timestampSeconds: Math.floor(Date.now() / 1000) });
    expect((await rt.app.request('/webhooks/prm', { method: 'POST', headers: fixed.headers, body: fixed.body })).status).toBe(202);
  });
});
