import { describe, expect, it } from 'vitest';
import type { PrmMdfRequest } from '../prm/prm-records.ts';
import { partnerCampaignFor } from './partner-campaign-for.ts';

const request = { mdfNumber: 'MDF-2001', activityName: 'Cloud Summit Munich', totalCost: 20_000, startDate: '2026-04-14', endDate: '2026-04-15', status: 'Approved' } as PrmMdfRequest;
const partner = { name: 'Northwind Cloud', type: 'Channel' as const };

describe('the partner campaign of an MDF request (D28, D29)', () => {
  it('an approved or closed request has one: Budgeted Cost its total cost, the channel partner involved and named', () => {
    const expected = { name: 'MDF-2001: Cloud Summit Munich', budgeted_cost: 20_000, start_date: '2026-04-14', end_date: '2026-04-15', partner_involved: 'Yes', partner_name: 'Northwind Cloud' };
    expect(partnerCampaignFor(request, partner)).toEqual(expected);
    expect(partnerCampaignFor({ ...request, status: 'Closed' }, partner)).toEqual(expected);
  });

  it("D29: an Alliance partner's campaign has no channel partner involved, and no Channel Partner Name", () => {
    expect(partnerCampaignFor(request, { name: 'Tailspin Alliances', type: 'Alliance' })).toMatchObject({ partner_involved: 'No', partner_name: null });
  });

  it('D29: a partner name typed on two lines in the PRM is one line in Channel Partner Name', () => {
    expect(partnerCampaignFor(request, { name: 'Northwind\r\n Cloud', type: 'Channel' })?.partner_name).toBe('Northwind Cloud');
  });

  it('an open, denied or canceled request has none', () => {
    for (const status of ['Open', 'Denied', 'Canceled'] as const) expect(partnerCampaignFor({ ...request, status }, partner)).toBeUndefined();
  });

  it('D28: a total cost of 0 (or none) is a Budgeted Cost of 1', () => {
    expect(partnerCampaignFor({ ...request, totalCost: 0 }, partner)?.budgeted_cost).toBe(1);
    expect(partnerCampaignFor({ ...request, totalCost: null }, partner)?.budgeted_cost).toBe(1);
  });

  it("keeps the name within Salesforce's 80 characters and leaves blank dates unset", () => {
    const campaign = partnerCampaignFor({ ...request, activityName: 'A'.repeat(120), startDate: '', endDate: null } as PrmMdfRequest, partner);
    expect(campaign?.name).toHaveLength(80);
    expect(campaign).toMatchObject({ start_date: null, end_date: null });
  });
});
