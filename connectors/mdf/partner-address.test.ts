import { describe, expect, it } from 'vitest';
import { partnerAddress } from './partner-address.ts';

const ops = { ops_email: 'mdf.ops@vendor.example', ops_name: 'Partner Marketing Operations' };
const partner = { id: 102, name: 'Contoso Systems', contactEmail: 'alliances@contoso.example' };
const request = (submittedByEmail: string | null | undefined) => ({ mdfNumber: 'MDF-1002', submittedByEmail });

describe('mdf.partner_address: where the partner emails about an MDF request go (D7)', () => {
  it('to the submitter when Submitted By Email is an address, as always', () => {
    expect(partnerAddress(request('field@contoso.example'), partner, ops)).toEqual({ to: ['field@contoso.example'], from: 'submitted_by_email', unreachable: null });
  });

  it("to the partner's contact email when Submitted By Email is no address, blank or missing", () => {
    for (const typed of ['not-an-email', 'jane@', 'Jane Doe <jane@contoso.example>', '', null, undefined]) {
      expect(partnerAddress(request(typed), partner, ops), String(typed)).toEqual({ to: ['alliances@contoso.example'], from: 'partner_contact_email', unreachable: null });
    }
  });

  it('to nobody when neither is an address: ops are to be told instead, with the MDF number, the field, the value typed and the partner\'s contact', () => {
    const none = partnerAddress(request('not-an-email'), { ...partner, contactEmail: null }, ops);
    expect(none.to).toEqual([]);
    expect(none.from).toBeNull();
    expect(none.unreachable).toEqual({
      to: ['mdf.ops@vendor.example'],
      template: 'mdf-request-email-not-sent',
      data: {
        ops_name: 'Partner Marketing Operations',
        mdf_number: 'MDF-1002',
        problem: 'the Submitted By Email of MDF request MDF-1002 is "not-an-email", which is not an email address, and Contoso Systems has no contact email in the PRM (partner account 102).',
      },
    });
    const blank = partnerAddress(request(null), { ...partner, contactEmail: 'contoso' }, ops);
    expect(blank.unreachable?.data.problem).toBe(
      'the Submitted By Email of MDF request MDF-1002 is blank, and the contact email of Contoso Systems in the PRM (partner account 102) is "contoso", which is not an email address either.',
    );
  });
});
