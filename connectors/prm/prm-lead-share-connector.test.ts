import { describe, expect, it } from 'vitest';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { capturingLogger, testContext, testDeps } from '../kit/action-test-context.ts';
import { prmConnector } from './index.ts';
import { PRM_MOCK_CONFIG, PrmConfig } from './prm-config.ts';
import type { PrmClient } from './prm-client.ts';

const clock = new VirtualClock('2026-03-03T07:00:00Z');
const log = capturingLogger();
const systems = useSimulatedSystems(clock);

async function run(action: 'summarize_leads_synced' | 'list_leads_synced_between', input: unknown) {
  const connection = prmConnector.connect(PrmConfig.parse(PRM_MOCK_CONFIG), testDeps(clock, log)) as PrmClient;
  const definition = prmConnector.actions[action]!;
  const { ctx } = testContext(connection, clock, { log });
  return definition.output.parse(await definition.run(definition.input.parse(input), ctx)) as Record<string, unknown>;
}

const WINDOW = { from: '2026-03-02T07:00:00.000Z', to: '2026-03-03T07:00:00.000Z' };

function lead(n: number, partnerAccountId: number, partnerSyncedDate: string | null) {
  systems.prm.addLead({ email: `lead${n}@client.example`, phone: '+1 555 0100', partnerAccountId, partnerSyncedDate, created: '2026-03-02T12:00:00Z' });
}

describe('prm.summarize_leads_synced (D23)', () => {
  it('counts the leads synced in the window per partner over several pages, with each partner\'s name and contact, and names the leads without a Partner Synced Date', async () => {
    for (let i = 0; i < 1203; i++) lead(i, i % 3 === 0 ? 102 : 101, '2026-03-02T12:00:00Z');
    lead(2000, 105, '2026-03-03T07:00:00Z'); // at the end of the window: in it
    lead(2001, 101, '2026-03-02T07:00:00Z'); // at the start: the previous digest's
    lead(2002, 101, '2026-03-03T07:00:01Z'); // the next digest's
    lead(2003, 101, null);
    const output = await run('summarize_leads_synced', WINDOW);
    expect(output).toEqual({
      partners: [
        { partner_id: 101, name: 'Northwind Cloud', contact_email: 'ops@northwind.example', contact_problem: null, lead_count: 802 },
        { partner_id: 102, name: 'Contoso Systems', contact_email: 'alliances@contoso.example', contact_problem: null, lead_count: 401 },
        { partner_id: 105, name: 'Litware Resellers', contact_email: null, contact_problem: 'no Partner Contact Email', lead_count: 1 },
      ],
      lead_count: 1204,
      // D23: each partner's leads as this read found them, for the digest to list each lead for the partner that held it then.
      lead_ids: { '101': expect.any(Array), '102': expect.any(Array), '105': [expect.any(Number)] },
      undated_count: 1,
      undated_leads: [{ id: expect.any(Number), email: 'lead2003@client.example', partner_id: 101 }],
      // D23: Litware has no contact, so its lead is named for ops to forward.
      unreachable_leads: [{ id: expect.any(Number), email: 'lead2000@client.example', partner_id: 105 }],
    });
    expect((output.lead_ids as Record<string, number[]>)['101']).toHaveLength(802);
    expect((output.lead_ids as Record<string, number[]>)['102']).toHaveLength(401);
  });

  it("reads 1,000 partners' names and contacts in pages, not one call each: seconds of the PRM connector's pacing (10 calls a second), not 100 s; a partner id without an account has no contact", async () => {
    systems.seed({ prm: { partners: [], leads: [] } });
    for (let p = 1001; p <= 2000; p++) systems.prm.addPartner({ id: p, name: `Partner ${p}`, contactEmail: p === 1500 ? null : `contact@partner-${p}.example` });
    for (let p = 1001; p <= 2000; p++) systems.prm.addLead({ id: p, email: `lead${p}@client.example`, phone: '+1 555 0100', partnerAccountId: p, partnerSyncedDate: '2026-03-02T12:00:00Z' });
    systems.prm.addLead({ id: 3000, email: 'orphan@client.example', phone: '+1 555 0100', partnerAccountId: 999, partnerSyncedDate: '2026-03-02T12:00:00Z' });
    const started = clock.now();
    const output = await run('summarize_leads_synced', WINDOW);
    const partners = output.partners as Array<{ partner_id: number; name: string | null; contact_email: string | null; lead_count: number }>;
    expect(partners).toHaveLength(1001);
    expect(partners[0]).toEqual({ partner_id: 999, name: null, contact_email: null, contact_problem: 'no such partner account in the PRM', lead_count: 1 });
    expect(partners.find((p) => p.partner_id === 1001)).toEqual({ partner_id: 1001, name: 'Partner 1001', contact_email: 'contact@partner-1001.example', contact_problem: null, lead_count: 1 });
    expect(partners.find((p) => p.partner_id === 1500)).toEqual({ partner_id: 1500, name: 'Partner 1500', contact_email: null, contact_problem: 'no Partner Contact Email', lead_count: 1 });
    expect(clock.now() - started).toBeLessThan(10_000);
  });

  it('counts a lead the PRM holds without an Updated stamp (imported) like any other: the digest does not fail on it', async () => {
    lead(1, 101, '2026-03-02T12:00:00Z');
    systems.prm.addLead({ email: 'imported@client.example', phone: '+1 555 0100', partnerAccountId: 101, partnerSyncedDate: '2026-03-02T13:00:00Z', created: '2026-03-02T13:00:00Z', updated: null });
    const output = await run('summarize_leads_synced', WINDOW);
    expect(output.partners).toEqual([{ partner_id: 101, name: 'Northwind Cloud', contact_email: 'ops@northwind.example', contact_problem: null, lead_count: 2 }]);
    expect((await run('list_leads_synced_between', { ...WINDOW, partner_id: 101 })).leads).toEqual([
      expect.objectContaining({ email: 'lead1@client.example' }),
      expect.objectContaining({ email: 'imported@client.example' }),
    ]);
  });

  it('finds nothing on a day without new leads', async () => {
    lead(1, 101, '2026-03-01T12:00:00Z');
    expect(await run('summarize_leads_synced', WINDOW)).toEqual({ partners: [], lead_count: 0, lead_ids: {}, undated_count: 0, undated_leads: [], unreachable_leads: [] });
  });
});

describe('prm.list_leads_synced_between (D23)', () => {
  it("lists one partner's leads of the window, all pages, by id", async () => {
    for (let i = 0; i < 700; i++) lead(i, i % 2 === 0 ? 101 : 102, '2026-03-02T12:00:00Z');
    lead(800, 101, '2026-03-01T12:00:00Z');
    const output = await run('list_leads_synced_between', { ...WINDOW, partner_id: 101 });
    const emails = (output.leads as Array<{ email: string }>).map((l) => l.email);
    expect(output.count).toBe(350);
    expect(emails[0]).toBe('lead0@client.example');
    expect(emails).not.toContain('lead800@client.example');
    expect(emails).not.toContain('lead1@client.example');
  });
});
