import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../server/engine/clock.ts';
import { useSimulatedSystems } from '../test/support/simulated-systems-fixture.ts';
import { SIMULATED_CREDENTIALS, SIMULATED_URLS } from './simulated-systems.ts';

/**
 * The simulated PRM and Marketo hold a day of 100,000 partner leads (D23 digest, D25 recall: issue 13's
 * benchmark) and answer at the pace of an API, so that a benchmark or a test at that size measures the
 * runtime, not the mock. The bounds are generous (a shared machine): before, each case took minutes.
 */
const clock = new VirtualClock('2026-03-03T07:00:00Z');
const systems = useSimulatedSystems(clock);
const LEADS = 100_000;
const PRM_AUTH = { authorization: `prm-key ${SIMULATED_CREDENTIALS.prm.apiKey}`, 'x-prm-tenantid': SIMULATED_CREDENTIALS.prm.tenantId };

function seedLeads(): void {
  systems.seed({ prm: { leads: [] }, marketo: { leads: [] } });
  for (let n = 0; n < LEADS; n++) {
    const synced = new Date(Date.parse('2026-03-02T07:00:00Z') + 60_000 + n * 800).toISOString();
    systems.prm.addLead({ id: n + 1, email: `lead-${n}@client.example`, phone: '+49 30 1000', partnerAccountId: 1001 + (n % 1000), partnerSyncedDate: synced });
    systems.marketo.addLead({ id: 1_000_001 + n, email: `lead-${n}@client.example`, marketingSuspended: true });
  }
}

async function listLeads(filter: string, skip: number): Promise<{ count: number; results: Array<{ id: number; email: string; recalledDate: string | null }> }> {
  const query = new URLSearchParams({ filter, orderby: 'Id asc', skip: String(skip), take: '500' });
  const res = await fetch(`${SIMULATED_URLS.prm}/Lead?${query}`, { headers: PRM_AUTH });
  return ((await res.json()) as { data: { count: number; results: Array<{ id: number; email: string; recalledDate: string | null }> } }).data;
}

describe('simulated systems with 100,000 leads (D23, D25)', () => {
  it("the PRM pages through a day of 100,000 leads in pages of 500, every lead once, in id order, and a write between pages shows in the next (a recall's Recalled Date)", async () => {
    seedLeads();
    const filter = "PartnerSyncedDate gt '2026-03-02T07:00:00.000Z' and PartnerSyncedDate le '2026-03-03T07:00:00.000Z'";
    const started = performance.now();
    const ids: number[] = [];
    for (let skip = 0; ; skip += 500) {
      const page = await listLeads(filter, skip);
      ids.push(...page.results.map((l) => l.id));
      if (skip === 500) systems.prm.updateLead(1501, { recalledDate: '2026-04-02T07:30:00Z' });
      if (skip === 1500) expect(page.results.find((l) => l.id === 1501)?.recalledDate).toBe('2026-04-02T07:30:00Z');
      if (skip + 500 >= page.count) break;
    }
    const seconds = (performance.now() - started) / 1000;
    expect(ids).toEqual(Array.from({ length: LEADS }, (_, n) => n + 1));
    expect(seconds, `200 pages took ${seconds.toFixed(1)} s`).toBeLessThan(20);
  }, 120_000);

  it('Marketo updates 300 leads a call by email among 100,000 (updateOnly, as the recall does), matching email without regard to case, and finds a lead by its changed email', async () => {
    seedLeads();
    const token = ((await (await fetch(`${SIMULATED_URLS.marketo}/identity/oauth/token?grant_type=client_credentials&client_id=${SIMULATED_CREDENTIALS.marketo.clientId}&client_secret=${SIMULATED_CREDENTIALS.marketo.clientSecret}`)).json()) as { access_token: string }).access_token;
    const started = performance.now();
    for (let call = 0; call < 10; call++) {
      // Spread over the calls' 20 s window of 100 calls: the mock's rate limit is not what is tested here.
      clock.advance(1000);
      const input = Array.from({ length: 300 }, (_, i) => ({ email: `LEAD-${call * 300 + i}@client.example`, marketingSuspended: false }));
      const res = await fetch(`${SIMULATED_URLS.marketo}/rest/v1/leads.json`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ action: 'updateOnly', lookupField: 'email', input }) });
      const body = (await res.json()) as { success: boolean; result: Array<{ status: string }> };
      expect(body.success).toBe(true);
      expect(body.result.every((r) => r.status === 'updated')).toBe(true);
    }
    const seconds = (performance.now() - started) / 1000;
    expect(systems.marketo.lead(1_000_001 + 2999)?.marketingSuspended).toBe(false);
    expect(systems.marketo.lead(1_000_001 + 3000)?.marketingSuspended).toBe(true);
    expect(seconds, `3,000 lookups took ${seconds.toFixed(1)} s`).toBeLessThan(10);

    systems.marketo.updateLead(1_000_001, { email: 'renamed@client.example' });
    expect(systems.marketo.findLeads('email', 'Renamed@Client.example').map((l) => l.id)).toEqual([1_000_001]);
    expect(systems.marketo.findLeads('email', 'lead-0@client.example')).toEqual([]);
  }, 120_000);
});
