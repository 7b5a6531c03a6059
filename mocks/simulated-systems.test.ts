import { getResponse } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import { MDF_REQUEST_FORM_LABELS, MdfRequest, type MdfRequestForm } from '../schemas/domain/mdf-request.ts';
import { Partner } from '../schemas/domain/partner.ts';
import { VirtualClock } from '../server/engine/clock.ts';
import { createSimulatedSystems, SIMULATED_URLS, startSimulatedSystems } from './simulated-systems.ts';

const clock = new VirtualClock('2026-03-02T09:00:00Z');
const FORM_FIELDS = Object.keys(MDF_REQUEST_FORM_LABELS) as Array<keyof MdfRequestForm>;

describe('the demo seed', () => {
  it('has partners in every region, ready and not, each with an Account in Salesforce', () => {
    const systems = createSimulatedSystems({ clock });
    systems.seed();
    const partners = systems.prm.partners();
    expect(partners.map((p) => [p.id, p.name, p.region, p.marketingReady])).toEqual([
      [101, 'Northwind Cloud', 'EMEA', true],
      [102, 'Contoso Systems', 'AMER', true],
      [103, 'Tailspin Alliances', 'APAC', true],
      [104, 'Fabrikam Partners', 'EMEA', false],
      // D20, D23: a Channel partner without a contact email, and an Alliance partner, both with real Salesforce Ids.
      [105, 'Litware Resellers', 'AMER', true],
      [106, 'Woodgrove Cloud', 'EMEA', true],
    ]);
    for (const partner of partners) expect(Partner.safeParse(partner).success).toBe(true);
    expect(systems.salesforce.records('Account').map((a) => a.Id)).toEqual(partners.map((p) => p.crmId));
    expect(systems.salesforce.records('PartnerFundRequest')).toEqual([]);
  });

  it('has MDF requests that fit the domain schema, all 13 form fields filled', () => {
    const systems = createSimulatedSystems({ clock });
    systems.seed();
    expect(FORM_FIELDS).toHaveLength(13);
    for (const request of systems.prm.mdfRequests()) {
      expect(MdfRequest.safeParse(request).success, request.mdfNumber).toBe(true);
      for (const field of FORM_FIELDS) {
        expect(request[field] ?? null, `${request.mdfNumber}.${field}`).not.toBeNull();
      }
    }
    expect(systems.prm.findMdfRequest('MDF-1001')).toMatchObject({
      partnerId: 101,
      activityRegion: 'EMEA',
      status: 'Open',
      totalCost: 20000,
      amountRequested: 10000,
      partnerInvestment: 10000,
      submittedByEmail: 'marketing@northwind.example',
      created: '2026-03-02T09:00:00.000Z',
    });
  });
});

describe('seed, reset and snapshot', () => {
  it('replaces the demo collections that a scenario gives, and derives the Accounts from the partners', () => {
    const systems = createSimulatedSystems({ clock });
    systems.seed({
      prm: {
        partners: [{ id: 7, name: 'Solo', type: 'Alliance', marketingReady: true, crmId: '0015e00000SOLO0007', contactEmail: null, region: 'APAC' }],
        mdf_requests: [{ mdfNumber: 'MDF-2001', partnerId: 7, submittedByEmail: 'x@solo.example', status: 'Open' }],
      },
      salesforce: { PartnerFundRequest: [{ Title: 'Existing', RequestedAmount: 1, ChannelPartnerId: '0015e00000SOLO0007', MDF_Number__c: 'MDF-2001' }] },
    });
    expect(systems.prm.partners().map((p) => p.id)).toEqual([7]);
    const [request] = systems.prm.mdfRequests();
    expect(request).toMatchObject({ id: 1, mdfNumber: 'MDF-2001', created: '2026-03-02T09:00:00.000Z', updated: '2026-03-02T09:00:00.000Z', activityName: null });
    expect(MdfRequest.safeParse(request).success).toBe(true);
    expect(systems.salesforce.records('Account')).toEqual([expect.objectContaining({ Id: '0015e00000SOLO0007', Name: 'Solo' })]);
    expect(systems.salesforce.records('PartnerFundRequest')).toEqual([expect.objectContaining({ Id: expect.stringMatching(/^[a-zA-Z0-9]{18}$/), Status: 'Draft' })]);

    // Seeding again replaces rather than adds.
    systems.seed();
    expect(systems.prm.partners()).toHaveLength(6);
    expect(systems.salesforce.records('PartnerFundRequest')).toEqual([]);
  });

  it('refuses a seed that gives one MDF number twice, as the PRM refuses a duplicate', () => {
    const systems = createSimulatedSystems({ clock: new VirtualClock('2026-03-02T09:00:00Z') });
    const twice = { prm: { mdf_requests: [{ mdfNumber: 'MDF-9001' }, { mdfNumber: 'MDF-9001', activityRegion: 'AMER' }] } };
    expect(() => systems.seed(twice)).toThrow('MDF request MDF-9001 is given twice');
  });

  it('fills what a partial MDF request lacks, and bumps updated on an update', () => {
    const systems = createSimulatedSystems({ clock: new VirtualClock('2026-03-02T09:00:00Z') });
    systems.seed();
    const added = systems.prm.addMdfRequest({ partnerId: 102, activityRegion: 'AMER' });
    expect(added).toMatchObject({ mdfNumber: 'MDF-1006', submittedByEmail: 'alliances@contoso.example', status: 'Open' });
    expect(MdfRequest.safeParse(added).success).toBe(true);
    const changed = systems.prm.updateMdfRequest('MDF-1006', { status: 'Canceled' });
    expect(changed).toMatchObject({ status: 'Canceled' });
    expect(systems.prm.updateMdfRequest('MDF-9999', { status: 'Canceled' })).toBeUndefined();
    expect(systems.prm.addPartner({ name: 'Litware' })).toMatchObject({ id: 107, name: 'Litware', crmId: expect.stringMatching(/^[a-zA-Z0-9]{18}$/) });
  });

  it('hands out copies: editing what was read changes nothing', () => {
    const systems = createSimulatedSystems({ clock });
    systems.seed();
    systems.prm.findMdfRequest('MDF-1001')!.status = 'Approved';
    systems.salesforce.records('Account')[0]!.Name = 'Changed';
    expect(systems.prm.findMdfRequest('MDF-1001')?.status).toBe('Open');
    expect(systems.salesforce.records('Account')[0]?.Name).toBe('Northwind Cloud');
  });

  it('snapshots every system and empties them on reset', () => {
    const systems = createSimulatedSystems({ clock });
    systems.seed();
    const snapshot = systems.snapshot();
    expect(snapshot.prm.partners).toHaveLength(6);
    expect(snapshot.prm.mdf_requests.length).toBeGreaterThan(3);
    expect(snapshot.salesforce.Account).toHaveLength(6);
    expect(snapshot.email).toEqual({ messages: [] });
    systems.reset();
    expect(systems.snapshot()).toMatchObject({ prm: { partners: [], mdf_requests: [] }, salesforce: { Account: [] }, email: { messages: [] } });
  });
});

describe('handlers', () => {
  it('answer through msw getResponse, as the loopback test server uses them', async () => {
    const systems = createSimulatedSystems({ clock });
    systems.seed();
    const response = await getResponse(
      systems.handlers,
      new Request(`${SIMULATED_URLS.prm}/Account/101`, { headers: { Authorization: 'prm-key mock-prm-key', 'X-PRM-TenantId': '1' } }),
    );
    expect(response?.status).toBe(200);
    expect(await response?.json()).toMatchObject({ success: true, data: { name: 'Northwind Cloud' } });
  });

  it('refuse requests to unknown hosts but let loopback through', async () => {
    const systems = createSimulatedSystems({ clock });
    const server = startSimulatedSystems(systems);
    // MSW prints the refused request; expected here.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      // MSW's own refusal, not a DNS failure: the request never left the process.
      await expect(fetch('https://unknown.partnerflow.test/x')).rejects.toThrow(/Cannot bypass a request/);
      // Nothing listens on port 9 of the loopback: the request got past MSW and failed to connect.
      await expect(fetch('http://127.0.0.1:9/')).rejects.toThrow(/fetch failed/);
    } finally {
      quiet.mockRestore();
      server.close();
    }
  });
});
