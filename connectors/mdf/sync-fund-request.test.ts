import { describe, expect, it } from 'vitest';
import type { PrmMdfRequest } from '../prm/prm-records.ts';
import { fundRequestFields } from './sync-fund-request.ts';

const request = { mdfNumber: 'MDF-2001', activityName: 'Cloud Summit', activityType: 'Event', amountRequested: 10_000, status: 'Open' } as PrmMdfRequest;
const partner = { crmId: '0015e00000NWCLD001' };

describe('D1: the Salesforce Funds Request as the PRM has the request', () => {
  it('Open is Draft, Approved and Closed are Approved with the Amount, Denied and Canceled are Rejected without one', () => {
    const fields = (status: PrmMdfRequest['status']) => fundRequestFields({ ...request, status }, partner);
    expect(fields('Open')).toEqual({ Title: 'MDF-2001: Cloud Summit', RequestedAmount: 10_000, Amount: null, Activity: 'Event', ChannelPartnerId: '0015e00000NWCLD001', Status: 'Draft' });
    expect(fields('Approved')).toMatchObject({ Status: 'Approved', Amount: 10_000 });
    expect(fields('Closed')).toMatchObject({ Status: 'Approved', Amount: 10_000 });
    expect(fields('Denied')).toMatchObject({ Status: 'Rejected', Amount: null });
    expect(fields('Canceled')).toMatchObject({ Status: 'Rejected', Amount: null });
  });

  it('a request refused for missing fields still syncs, with a title and a zero requested amount', () => {
    expect(fundRequestFields({ ...request, activityName: null, amountRequested: null, status: 'Denied' } as unknown as PrmMdfRequest, partner)).toMatchObject({
      Title: 'MDF-2001: MDF request',
      RequestedAmount: 0,
      Status: 'Rejected',
    });
  });

  it('a long activity name is cut to the 255 characters of a Funds Request Title, so the request still reaches Salesforce', () => {
    const name = 'Cloud Summit '.repeat(25).trim();
    const { Title } = fundRequestFields({ ...request, activityName: name }, partner);
    expect(Title).toHaveLength(255);
    expect(Title).toBe(`MDF-2001: ${name}`.slice(0, 254) + '…');
  });
});
