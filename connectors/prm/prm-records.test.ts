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
