import { describe, expect, it } from 'vitest';
import { PrmMdfClaimSummary } from './prm-records.ts';

describe('PrmMdfClaimSummary: other claims as a listing returns them (D15, D18)', () => {
  const listed = { id: 7, mdfNumber: 'MDF-0901', title: 'Partner Day', status: 'Open' };

  it('reads an amount sent as plain number text as the number, and one it cannot read as none, so one odd claim blocks no intake', () => {
    expect(PrmMdfClaimSummary.parse({ ...listed, amount: '8000.50' }).amount).toBe(8000.5);
    expect(PrmMdfClaimSummary.parse({ ...listed, amount: '' }).amount).toBeNull();
    expect(PrmMdfClaimSummary.parse({ ...listed, amount: 'eight thousand' }).amount).toBeNull();
  });
});

describe('PrmMdfClaimSummary: Actual Costs another claim reports (D19)', () => {
  const listed = { id: 7, mdfNumber: 'MDF-0901', title: 'Partner Day', status: 'Approved' };

  it('reads them as the amount is read: plain number text is the number, text it cannot read is none', () => {
    expect(PrmMdfClaimSummary.parse({ ...listed, actualCosts: '2,000.50' }).actualCosts).toBe(2000.5);
    expect(PrmMdfClaimSummary.parse({ ...listed, actualCosts: 16000 }).actualCosts).toBe(16000);
    expect(PrmMdfClaimSummary.parse({ ...listed, actualCosts: ' ' }).actualCosts).toBeNull();
    expect(PrmMdfClaimSummary.parse({ ...listed, actualCosts: 'about 2k' }).actualCosts).toBeNull();
  });
});
