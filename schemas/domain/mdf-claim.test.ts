import { describe, expect, it } from 'vitest';
import { claimTitleKey, MdfClaim } from './mdf-claim.ts';

describe('claimTitleKey (D15)', () => {
  it('makes titles that differ only in case and surrounding spaces equal', () => {
    expect(claimTitleKey('  Partner Day FRANKFURT ')).toBe(claimTitleKey('partner day frankfurt'));
  });

  it('makes titles that look the same equal: inner whitespace runs and NBSP, NFD accents, ß and SS', () => {
    expect(claimTitleKey('Partner  Day\tFrankfurt')).toBe(claimTitleKey('Partner Day Frankfurt'));
    expect(claimTitleKey('Partner\u00a0Day Frankfurt\u00a0')).toBe(claimTitleKey('Partner Day Frankfurt'));
    expect(claimTitleKey('Cafe\u0301 Frankfurt')).toBe(claimTitleKey('Caf\u00e9 Frankfurt'));
    expect(claimTitleKey('STRASSENFEST KÖLN')).toBe(claimTitleKey('Straßenfest Köln'));
    expect(claimTitleKey('\uff30artner Day')).toBe(claimTitleKey('Partner Day'));
  });

  it('makes titles equal that differ only in characters never shown (zero-width space, soft hyphen, direction marks, word joiner, BOM) pasted with them', () => {
    expect(claimTitleKey('Partner Day Frankfurt\u200b')).toBe(claimTitleKey('Partner Day Frankfurt'));
    expect(claimTitleKey('Partner Day Frank\u00adfurt')).toBe(claimTitleKey('Partner Day Frankfurt'));
    expect(claimTitleKey('\u200ePartner Day\u2060 Frankfurt\u200f')).toBe(claimTitleKey('Partner Day Frankfurt'));
    expect(claimTitleKey('Part\ufeffner Day \u200b Frankfurt')).toBe(claimTitleKey('Partner Day Frankfurt'));
    expect(claimTitleKey('\u202aPartner Day Frankfurt\u202c')).toBe(claimTitleKey('Partner Day Frankfurt'));
    // Only those: a title of nothing but them has no key, as a blank one.
    expect(claimTitleKey('\u200b\u00ad')).toBe('');
  });

  it('keeps titles apart that differ in letters or in where a space falls', () => {
    expect(claimTitleKey('Partner Day Frankfurt')).not.toBe(claimTitleKey('Partner Day Frankfurt 2'));
    expect(claimTitleKey('PartnerDay')).not.toBe(claimTitleKey('Partner Day'));
  });
});

describe('MdfClaim', () => {
  const claim = { id: 1, mdfNumber: 'MDF-0901', status: 'Open', created: '2026-04-20T09:00:00Z', updated: '2026-04-20T09:00:00Z' };

  it('reads a claim with its form left blank, so the intake can tell the partner what is missing', () => {
    expect(MdfClaim.safeParse({ ...claim, title: null, amount: null, paidDate: '', attachments: null, missingPop: '' }).success).toBe(true);
  });

  it('refuses a status outside Open, Approved, Denied, Paid (an attachment of an unknown kind is read: prm-fields.test.ts, review 6)', () => {
    expect(MdfClaim.safeParse({ ...claim, status: 'Rejected' }).success).toBe(false);
  });
});
