import { beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock.ts';
import { SIMULATED_CREDENTIALS, SIMULATED_URLS } from '../simulated-systems.ts';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';

const clock = new VirtualClock('2026-04-20T09:00:00Z');
// The clock first: the demo data is seeded at that time.
beforeEach(() => clock.set('2026-04-20T09:00:00Z'));
const systems = useSimulatedSystems(clock);

const { clientId, clientSecret } = SIMULATED_CREDENTIALS.marketo;
const tokenUrl = `${SIMULATED_URLS.marketo}/identity/oauth/token?grant_type=client_credentials&client_id=${clientId}&client_secret=${clientSecret}`;
const askToken = async () => (await (await fetch(tokenUrl)).json()) as { access_token: string; expires_in: number; token_type: string };
const api = async (path: string, token: string, init: RequestInit = {}) => {
  const res = await fetch(`${SIMULATED_URLS.marketo}/rest${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  return { status: res.status, body: (await res.text()) as string };
};
const json = (text: string) => JSON.parse(text) as { success: boolean; errors?: Array<{ code: string }>; result?: unknown[]; nextPageToken?: string };

describe('simulated Marketo', () => {
  it('hands out a token for 3,600 s, the same one with the time left when asked again, and answers 602 once it expired', async () => {
    const first = await askToken();
    expect(first).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
    clock.advance(1_000_000);
    expect(await askToken()).toMatchObject({ access_token: first.access_token, expires_in: 2600 });
    clock.advance(2_600_000);
    expect(json((await api('/v1/leads/describe.json', first.access_token)).body).errors).toEqual([{ code: '602', message: 'Access token expired' }]);
    expect(json((await api('/v1/leads/describe.json', 'made-up')).body).errors?.[0]?.code).toBe('601');
    expect((await askToken()).access_token).not.toBe(first.access_token);
  });

  it('answers business errors with HTTP 200: 1003 on a batch over 300, 1006 on an unknown field', async () => {
    const { access_token: token } = await askToken();
    const tooMany = await api('/v1/leads.json', token, { method: 'POST', body: JSON.stringify({ input: Array.from({ length: 301 }, (_, i) => ({ email: `l${i}@x.example` })) }) });
    expect(tooMany.status).toBe(200);
    expect(json(tooMany.body)).toMatchObject({ success: false, errors: [{ code: '1003' }] });
    const unknown = await api('/v1/leads.json', token, { method: 'POST', body: JSON.stringify({ input: [{ email: 'a@x.example', nope: 1 }] }) });
    expect(json(unknown.body).errors?.[0]?.code).toBe('1006');
  });

  it('answers 413 for a body over 1 MB and 414 for a URL over 8 KB', async () => {
    const { access_token: token } = await askToken();
    expect((await api('/v1/leads.json', token, { method: 'POST', body: JSON.stringify({ input: [{ email: 'a@x.example', title: 'x'.repeat(1_100_000) }] }) })).status).toBe(413);
    expect((await api(`/v1/leads.json?filterType=email&filterValues=${'a'.repeat(9_000)}`, token)).status).toBe(414);
  });

  it('refuses with 606 the 101st call within 20 s, with 615 the 11th call in flight, with 607 past the daily quota', async () => {
    const { access_token: token } = await askToken();
    const codes = async (n: number) => (await Promise.all(Array.from({ length: n }, () => api('/v1/leads/describe.json', token)))).map((r) => json(r.body).errors?.[0]?.code ?? 'ok');
    expect((await codes(11)).filter((c) => c === '615')).toHaveLength(1);
    systems.reset();
    systems.seed();
    const fresh = (await askToken()).access_token;
    for (let i = 0; i < 100; i++) expect(json((await api('/v1/leads/describe.json', fresh)).body).success).toBe(true);
    expect(json((await api('/v1/leads/describe.json', fresh)).body).errors?.[0]?.code).toBe('606');
    clock.advance(20_001);
    systems.marketo.limits.dailyQuota = systems.marketo.usage().callsToday;
    expect(json((await api('/v1/leads/describe.json', fresh)).body).errors?.[0]?.code).toBe('607');
  });

  it('describes the lead fields, the partner-lead ones included', async () => {
    const { access_token: token } = await askToken();
    const result = json((await api('/v1/leads/describe.json', token)).body).result as Array<{ displayName: string; rest: { name: string } }>;
    expect(result.map((f) => f.displayName)).toEqual(expect.arrayContaining(['CRM Partner ID', 'Impartner Partner Account', 'Partner Consent', 'Marketing Suspended', 'Lead Acquisition Source', 'Partner Synced Date', 'Partner Type', 'Subscribe - Partner', 'Channel Record', 'Alliance Record']));
  });

  it('answers only the changes of the named fields from GET /v1/activities/leadchanges.json, after the paging token, oldest first', async () => {
    const { access_token: token } = await askToken();
    const lead = systems.marketo.addLead({ email: 'ana@client.example', impartnerPartnerAccount: '101' });
    clock.advance(60_000);
    systems.marketo.updateLead(lead.id, { leadStatus: 'Contacted', marketingSuspended: false });
    clock.advance(60_000);
    systems.marketo.updateLead(lead.id, { leadStatus: 'Qualified' });
    const paging = json((await api('/v1/activities/pagingtoken.json?sinceDatetime=2026-04-20T09:00:30Z', token)).body) as { nextPageToken: string };
    const page = JSON.parse((await api(`/v1/activities/leadchanges.json?nextPageToken=${encodeURIComponent(paging.nextPageToken)}&fields=leadStatus`, token)).body) as {
      result: Array<{ leadId: number; activityDate: string; fields: Array<{ name: string; oldValue: unknown; newValue: unknown }> }>;
      moreResult: boolean;
    };
    expect(page.result.map((a) => [a.leadId, a.activityDate, a.fields])).toEqual([
      [lead.id, '2026-04-20T09:01:00Z', [{ id: 0, name: 'leadStatus', oldValue: null, newValue: 'Contacted' }]],
      [lead.id, '2026-04-20T09:02:00Z', [{ id: 0, name: 'leadStatus', oldValue: 'Contacted', newValue: 'Qualified' }]],
    ]);
    expect(page.moreResult).toBe(false);
    expect(json((await api(`/v1/activities/leadchanges.json?nextPageToken=${encodeURIComponent(paging.nextPageToken)}&fields=nope`, token)).body).errors?.[0]?.code).toBe('1006');
  });
  it('merges duplicates like Marketo (POST /v1/leads/<id>/merge.json): the losing id is gone (a read finds nothing, an update by id answers 1004), the winner keeps its values and fills its empty ones from the loser', async () => {
    const { access_token: token } = await askToken();
    const kept = systems.marketo.addLead({ email: 'twin@client.example', firstName: 'Tia', marketingSuspended: false });
    const lost = systems.marketo.addLead({ email: 'TWIN@client.example', firstName: 'T.', phone: '+1 555 0188', marketingSuspended: true });
    systems.marketo.addList({ id: 7, name: 'Booth', members: [lost.id] });
    const merged = await api(`/v1/leads/${kept.id}/merge.json?leadIds=${lost.id}`, token, { method: 'POST' });
    expect(json(merged.body)).toMatchObject({ success: true });
    const read = json((await api(`/v1/leads.json?filterType=email&filterValues=twin@client.example&fields=id,firstName,phone,marketingSuspended`, token)).body).result;
    expect(read).toEqual([{ id: kept.id, firstName: 'Tia', phone: '+1 555 0188', marketingSuspended: false }]);
    const byId = json((await api('/v1/leads.json', token, { method: 'POST', body: JSON.stringify({ action: 'updateOnly', lookupField: 'id', input: [{ id: lost.id, partnerConsent: true }] }) })).body).result;
    expect(byId).toEqual([{ status: 'skipped', reasons: [{ code: '1004', message: 'Lead not found' }] }]);
    expect(systems.marketo.lists().find((l) => l.id === 7)?.members).toEqual([kept.id]);
    expect(systems.marketo.activities().filter((a) => a.leadId === lost.id)).toEqual([]);
    expect(json((await api(`/v1/leads/${kept.id}/merge.json?leadIds=${lost.id}`, token, { method: 'POST' })).body).errors).toEqual([{ code: '1004', message: `Lead '${lost.id}' not found` }]);
  });
});
