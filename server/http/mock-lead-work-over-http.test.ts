import { describe, expect, it } from 'vitest';
import { useMockRuntime } from '../../test/support/mock-runtime.ts';

/**
 * `PATCH /_mock/prm/leads/:id` over HTTP (mock mode, the README lead walkthrough): a partner works a
 * shared lead in the simulated portal; the PRM activity poll records it on the Marketo lead's Last
 * Partner Activity (D24, D25), so the reminder and the recall leave the lead with the partner.
 */
const start = useMockRuntime();

const json = (method: string, body: unknown) => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

type Row = Record<string, unknown>;

async function sharedLead() {
  const rt = await start();
  const synced = new Date(rt.clock.now() - 86_400_000).toISOString();
  const lead = rt.systems!.prm.addLead({ email: 'mia.wong@initech.example', phone: '+49 89 555 0101', partnerAccountId: 101, partnerSyncedDate: synced, created: synced, updated: synced });
  rt.systems!.marketo.addLead({ email: 'mia.wong@initech.example', impartnerPartnerAccount: '101', marketingSuspended: true, partnerSyncedDate: synced });
  return { rt, id: lead.id as number };
}

describe('a partner works a lead in mock mode (D24, D25)', () => {
  it('D24, D25: PATCH /_mock/prm/leads/:id sets the Lead Status and a note and stamps updated; the next activity poll records Last Partner Activity on the Marketo lead', async () => {
    const { rt, id } = await sharedLead();
    const res = await rt.app.request(`/_mock/prm/leads/${id}`, json('PATCH', { status: 'Contacted', partnerNotes: 'Called, demo booked for Tuesday' }));
    expect(res.status).toBe(200);
    const { lead } = (await res.json()) as { lead: Row };
    expect(lead).toMatchObject({ id, status: 'Contacted', partnerNotes: 'Called, demo booked for Tuesday' });
    expect(Date.parse(String(lead.updated))).toBeGreaterThan(Date.parse(String(lead.partnerSyncedDate)));

    expect((await rt.app.request('/_mock/clock/advance', json('POST', { by: 'PT15M' }))).status).toBe(200);
    const records = (await (await rt.app.request('/_mock/records')).json()) as { marketo: { leads: Row[] } };
    const marketoLead = records.marketo.leads.find((l) => l.email === 'mia.wong@initech.example');
    expect(marketoLead?.lastPartnerActivity).toBe(new Date(String(lead.updated)).toISOString());
  });

  it('answers 400 naming an unknown field or an empty change, 404 for no such lead, 409 for a recalled lead; nothing changes', async () => {
    const { rt, id } = await sharedLead();
    const unknown = await rt.app.request(`/_mock/prm/leads/${id}`, json('PATCH', { status: 'Contacted', recalledDate: '2026-01-01T00:00:00Z' }));
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(await unknown.json())).toContain('recalledDate');
    const empty = await rt.app.request(`/_mock/prm/leads/${id}`, json('PATCH', {}));
    expect(empty.status).toBe(400);
    expect(JSON.stringify(await empty.json())).toContain('give at least one field to change');
    const missing = await rt.app.request('/_mock/prm/leads/999999', json('PATCH', { status: 'Contacted' }));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toContain('no lead with id 999999');
    expect(rt.systems!.prm.leads().find((l) => l.id === id)).toMatchObject({ status: null, partnerNotes: null });

    rt.systems!.prm.updateLead(id, { recalledDate: '2026-04-02T07:30:00.000Z' });
    const recalled = await rt.app.request(`/_mock/prm/leads/${id}`, json('PATCH', { status: 'Contacted' }));
    expect(recalled.status).toBe(409);
    expect(((await recalled.json()) as { error: string }).error).toContain('was recalled on 2026-04-02T07:30:00.000Z');
  });
});
