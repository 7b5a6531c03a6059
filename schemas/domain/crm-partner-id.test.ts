import { describe, expect, it } from 'vitest';
import { readCrmPartnerId, salesforceId18, sameCrmPartnerId } from './crm-partner-id.ts';

describe('CRM Partner IDs (D20)', () => {
  it('expands a 15-character Id with Salesforce checksum', () => {
    // Salesforce's own example pair: 001A0000006Vm9r -> 001A0000006Vm9rIAC
    expect(salesforceId18('001A0000006Vm9r')).toBe('001A0000006Vm9rIAC');
    expect(salesforceId18('0015e00000LTWRE')).toBe('0015e00000LTWREAA5');
  });

  it('reads the 15-character form case-sensitively: two cases are two partners', () => {
    const upper = readCrmPartnerId('0015e00000LTWRE');
    const lower = readCrmPartnerId('0015e00000ltwre');
    expect(upper).toEqual({ ok: true, id18: '0015e00000LTWREAA5', given: 15 });
    expect(lower).toEqual({ ok: true, id18: '0015e00000ltwreAAA', given: 15 });
  });

  it('takes an 18-character Id as it is, trimmed, and refuses other lengths naming the value', () => {
    expect(readCrmPartnerId(' 0015e00000LTWREAA5 ')).toEqual({ ok: true, id18: '0015e00000LTWREAA5', given: 18 });
    const bad = readCrmPartnerId('0015e00000LTW');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toContain('"0015e00000LTW"');
  });

  it('reads an 18-character Id whose case a spreadsheet changed back into Salesforce case, by its checksum', () => {
    expect(readCrmPartnerId('0015E00000LTWREAA5')).toEqual({ ok: true, id18: '0015e00000LTWREAA5', given: 18 });
    // Not a real Salesforce Id (its checksum fits no casing): kept exactly as given.
    expect(readCrmPartnerId('0015e00000NWCLD001')).toEqual({ ok: true, id18: '0015e00000NWCLD001', given: 18 });
  });

  it('compares 18-character Ids without regard to case', () => {
    expect(sameCrmPartnerId('0015e00000LTWREAA5', '0015E00000LTWREAA5')).toBe(true);
    expect(sameCrmPartnerId('0015e00000LTWREAA5', '0015e00000LTWREAA6')).toBe(false);
  });
});
