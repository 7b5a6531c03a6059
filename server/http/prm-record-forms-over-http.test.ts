import { describe, expect, it } from 'vitest';
import type { Runtime } from '../runtime.ts';
import { useMockRuntime } from '../../test/support/mock-runtime.ts';

/**
 * Review 6, findings 1 and 2: an MDF request or claim as a real PRM may deliver it, one field in a form
 * the schema did not expect, through the runtime `npm start` builds (mock mode, shipped recipes, demo
 * data): the signed POST /webhooks/prm is accepted (a refused delivery is lost for good: the PRM does
 * not retry a 4xx), and the partner gets an answer: a receipt and the approver an email, or the field
 * to correct (D6, D15). What is still refused (not an MDF request at all) is counted in /metrics.
 */
const mockRuntime = useMockRuntime();

interface Mail {
  to: string[];
  subject: string;
  text: string;
}

const PARTNER = 'field@contoso.example'; // MDF-1002's submitter (Contoso, AMER)
const AMER_CMM = 'cmm.amer@vendor.example';
const CLAIMANT = 'marketing@northwind.example'; // MDF-0901's submitter (approved)

async function deliver(rt: Runtime, body: Record<string, unknown>) {
  const res = await rt.app.request('/_mock/prm/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await res.json()) as Record<string, unknown>;
  await rt.engine.runUntilIdle();
  return { status: res.status, answer };
}

/** MDF-1002 submitted with `set` changed in the PRM first. */
async function submitRequest(rt: Runtime, set: Record<string, unknown>) {
  rt.systems!.prm.updateMdfRequest('MDF-1002', set);
  return deliver(rt, { event: 'mdf_request.submitted', mdf_number: 'MDF-1002' });
}

async function mailbox(rt: Runtime, to: string): Promise<Mail[]> {
  const res = await rt.app.request(`/_mock/mailbox?to=${encodeURIComponent(to)}`);
  return ((await res.json()) as { messages: Mail[] }).messages;
}

const RECEIPT = 'We received your MDF request MDF-1002: Partner Roadshow Chicago';
const APPROVAL = 'MDF approval needed: MDF-1002 Partner Roadshow Chicago (Contoso Systems)';
const REFUSED = 'Your MDF request MDF-1002 cannot be approved as submitted';

describe('an MDF request with a field in an unexpected form (review 6, finding 1)', () => {
  it('D6: a number field left blank ("") is accepted and the partner is told it is required', async () => {
    const rt = await mockRuntime();
    expect((await submitRequest(rt, { totalCost: '' })).status).toBe(202);
    const mail = await mailbox(rt, PARTNER);
    expect(mail.find((m) => m.subject === REFUSED)?.text).toContain('Total Cost (USD) is required.');
    expect(await mailbox(rt, AMER_CMM)).toEqual([]);
  });

  it('D6: numbers sent as text that are plainly numbers ("12000", "12,000.00") are read: the approver sees USD 12,000', async () => {
    const rt = await mockRuntime();
    expect((await submitRequest(rt, { totalCost: '12,000.00', amountRequested: '6000' })).status).toBe(202);
    const approval = (await mailbox(rt, AMER_CMM)).find((m) => m.subject === APPROVAL);
    expect(approval?.text).toMatch(/Total cost: +USD 12,000\n/);
    expect(approval?.text).toMatch(/MDF requested: +USD 6,000\n/);
  });

  it('D6: a number that cannot be read for sure ("12,000": twelve thousand, or twelve?) is told to the partner with its value and the form to use', async () => {
    const rt = await mockRuntime();
    expect((await submitRequest(rt, { totalCost: '12,000' })).status).toBe(202);
    const refusal = (await mailbox(rt, PARTNER)).find((m) => m.subject === REFUSED);
    expect(refusal?.text).toContain('Total Cost (USD) could not be read as a number: "12,000". Please give it in digits');
    expect(await mailbox(rt, AMER_CMM)).toEqual([]);
  });

  it('D8: an activity region with a trailing space ("AMER ") is routed to the AMER approver', async () => {
    const rt = await mockRuntime();
    expect((await submitRequest(rt, { activityRegion: 'AMER ' })).status).toBe(202);
    expect((await mailbox(rt, AMER_CMM)).map((m) => m.subject)).toContain(APPROVAL);
  });

  it('D6, D7: dates sent as date-times at midnight are read as their dates: the receipt goes out and the approver sees the dates', async () => {
    const rt = await mockRuntime();
    expect((await submitRequest(rt, { startDate: '2026-06-02T00:00:00', endDate: '2026-06-04T00:00:00Z' })).status).toBe(202);
    expect((await mailbox(rt, PARTNER)).map((m) => m.subject)).toContain(RECEIPT);
    expect((await mailbox(rt, AMER_CMM)).find((m) => m.subject === APPROVAL)?.text).toMatch(/Dates: +2026-06-02 to 2026-06-04\n/);
  });

  it('D6: a date-time at another hour (which day was picked is not known) is told to the partner, not refused', async () => {
    const rt = await mockRuntime();
    expect((await submitRequest(rt, { endDate: '2026-06-03T19:00:00-05:00' })).status).toBe(202);
    const refusal = (await mailbox(rt, PARTNER)).find((m) => m.subject === REFUSED);
    expect(refusal?.text).toContain('Expected End Date could not be read as a date: "2026-06-03T19:00:00-05:00". Please give it as YYYY-MM-DD');
  });
});

describe('a partner account with a picklist value in an unexpected form', () => {
  it('D3, D7, D8: a partner whose region, type and contact carry surrounding spaces ("AMER ", " Channel") still has its request received and routed', async () => {
    const rt = await mockRuntime();
    const spaced = rt.systems!.prm.addPartner({ name: 'Contoso Systems', type: ' Channel', marketingReady: true, crmId: 'a0B5g00000AbCdEfGH ', contactEmail: ' alliances@contoso.example ', region: 'AMER ' } as never);
    expect((await submitRequest(rt, { partnerId: spaced.id })).status).toBe(202);
    expect((await mailbox(rt, PARTNER)).map((m) => m.subject)).toContain(RECEIPT);
    expect((await mailbox(rt, AMER_CMM)).map((m) => m.subject)).toContain(APPROVAL);
  });
});

describe('a record the PRM holds without an Updated stamp (imported or migrated: docs/systems.md)', () => {
  it('D7, D8: an MDF request without one is received and routed: the partner gets the receipt, the approver the email', async () => {
    const rt = await mockRuntime();
    const { id: _id, created: _c, updated: _u, ...fields } = rt.systems!.prm.findMdfRequest('MDF-1002')! as Record<string, unknown>;
    rt.systems!.prm.addMdfRequest({ ...fields, mdfNumber: 'MDF-1090', updated: null } as never);
    expect((await deliver(rt, { event: 'mdf_request.submitted', mdf_number: 'MDF-1090' })).status).toBe(202);
    expect((await mailbox(rt, PARTNER)).map((m) => m.subject)).toContain('We received your MDF request MDF-1090: Partner Roadshow Chicago');
    expect((await mailbox(rt, AMER_CMM)).map((m) => m.subject)).toContain('MDF approval needed: MDF-1090 Partner Roadshow Chicago (Contoso Systems)');
  });

  it('D15, D18: an MDF claim without one is received, and its later approval still reaches the partner', async () => {
    const rt = await mockRuntime();
    const attachments = [
      { name: 'pop.pdf', kind: 'POP', url: 'https://prm.vendor.example/files/pop.pdf' },
      { name: 'leads.csv', kind: 'Lead List', url: 'https://prm.vendor.example/files/leads.csv' },
    ];
    const claim = rt.systems!.prm.addMdfClaim({ mdfNumber: 'MDF-0901', title: 'Imported Partner Day costs', amount: 8000, paidDate: '2026-04-10', actualCosts: 16000, attachments, updated: null } as never);
    expect((await deliver(rt, { event: 'mdf_claim.submitted', claim_id: claim.id })).status).toBe(202);
    expect((await mailbox(rt, CLAIMANT)).map((m) => m.subject)).toContain('We received your MDF claim "Imported Partner Day costs" for MDF-0901');
    rt.systems!.prm.updateMdfClaim(claim.id, { status: 'Approved' });
    expect((await deliver(rt, { event: 'mdf_claim.changed', claim_id: claim.id })).status).toBe(202);
    expect((await mailbox(rt, CLAIMANT)).some((m) => /approved/i.test(m.subject))).toBe(true);
    expect((await mailbox(rt, CLAIMANT)).map((m) => m.subject)).toContain('Your MDF claim "Imported Partner Day costs" for MDF-0901 is approved');
  });
});

describe('a Description longer than any id (review 6, finding 2)', () => {
  it('D7, D8: a 50,000-character Description (a pasted agenda) gets the partner a receipt and reaches the approver whole', async () => {
    const rt = await mockRuntime();
    const agenda = `${'Day 1: keynote, labs, customer panel. '.repeat(1320)}End of agenda.`;
    expect(agenda.length).toBeGreaterThan(50_000);
    expect((await submitRequest(rt, { description: agenda })).status).toBe(202);
    expect((await mailbox(rt, PARTNER)).map((m) => m.subject)).toContain(RECEIPT);
    expect((await mailbox(rt, AMER_CMM)).find((m) => m.subject === APPROVAL)?.text).toContain(agenda);
  });
});

describe('an MDF claim with a field in an unexpected form (review 6, finding 1)', () => {
  const attachments = [
    { name: 'pop.pdf', kind: 'POP', url: 'https://prm.vendor.example/files/pop.pdf' },
    { name: 'leads.csv', kind: 'Lead List', url: 'https://prm.vendor.example/files/leads.csv' },
  ];
  const claimOf = (rt: Runtime, set: Record<string, unknown> = {}) =>
    rt.systems!.prm.addMdfClaim({ mdfNumber: 'MDF-0901', title: 'Partner Day Frankfurt costs', amount: 8000, paidDate: '2026-04-10', actualCosts: 16000, attachments, ...set } as never);

  it('D15: a Claim Amount left blank ("") is accepted and the partner is told it is missing', async () => {
    const rt = await mockRuntime();
    const claim = claimOf(rt, { amount: '' });
    expect((await deliver(rt, { event: 'mdf_claim.submitted', claim_id: claim.id })).status).toBe(202);
    expect((await mailbox(rt, CLAIMANT)).some((m) => m.text.includes('The Claim Amount is missing.'))).toBe(true);
  });

  it('D15, D16: a claim with an invoice attached besides its POP and lead list (a kind the runtime does not know) is received', async () => {
    const rt = await mockRuntime();
    const claim = claimOf(rt, { attachments: [...attachments, { name: 'invoice.pdf', kind: 'Invoice', url: 'https://prm.vendor.example/files/invoice.pdf' }] });
    expect((await deliver(rt, { event: 'mdf_claim.submitted', claim_id: claim.id })).status).toBe(202);
    const subjects = (await mailbox(rt, CLAIMANT)).map((m) => m.subject);
    expect(subjects).toContain('We received your MDF claim "Partner Day Frankfurt costs" for MDF-0901');
  });

  it('D17, D18: ops set Missing POP to a value of their own ("Invoice copy"): the partner is asked for it, and the later approval still reaches them', async () => {
    const rt = await mockRuntime();
    const claim = claimOf(rt);
    expect((await deliver(rt, { event: 'mdf_claim.submitted', claim_id: claim.id })).status).toBe(202);
    rt.systems!.prm.updateMdfClaim(claim.id, { missingPop: 'Invoice copy' });
    expect((await deliver(rt, { event: 'mdf_claim.changed', claim_id: claim.id })).status).toBe(202);
    rt.systems!.prm.updateMdfClaim(claim.id, { status: 'Approved' });
    expect((await deliver(rt, { event: 'mdf_claim.changed', claim_id: claim.id })).status).toBe(202);
    const subjects = (await mailbox(rt, CLAIMANT)).map((m) => m.subject);
    expect(subjects.some((s) => s.endsWith('is missing: Invoice copy'))).toBe(true);
    expect(subjects.some((s) => /approved/i.test(s))).toBe(true);
    expect(subjects).toContain('Your MDF claim "Partner Day Frankfurt costs" is missing: Invoice copy');
    expect(subjects).toContain('Your MDF claim "Partner Day Frankfurt costs" for MDF-0901 is approved');
  });
});

describe('a Submitted By Email that is no usable address (the PRM stores what the partner typed)', () => {
  const CONTOSO_CONTACT = 'alliances@contoso.example'; // Contoso's contact email in the PRM
  const OPS = 'mdf.ops@vendor.example'; // the mdf-programme table's ops_email

  for (const typed of ['not-an-email', 'jane@', '', 'Jane Doe <jane@contoso.example>']) {
    it(`D7, D8: ${JSON.stringify(typed)} is accepted (202): the approver is asked and the receipt goes to the partner's contact email`, async () => {
      const rt = await mockRuntime();
      expect((await submitRequest(rt, { submittedByEmail: typed })).status).toBe(202);
      expect((await mailbox(rt, AMER_CMM)).map((m) => m.subject)).toContain(APPROVAL);
      expect((await mailbox(rt, CONTOSO_CONTACT)).map((m) => m.subject)).toContain(RECEIPT);
      expect((await mailbox(rt, OPS)).map((m) => m.subject)).toEqual([]);
    });
  }

  it('D7: with no usable partner contact email either, ops are told the MDF number, the field, its value and what the partner was not told; the approver is still asked', async () => {
    const rt = await mockRuntime();
    const litware = { id: 105 }; // Litware Resellers (AMER): no contact email in the PRM
    expect((await submitRequest(rt, { submittedByEmail: 'not-an-email', partnerId: litware.id })).status).toBe(202);
    expect((await mailbox(rt, AMER_CMM)).map((m) => m.subject)).toContain('MDF approval needed: MDF-1002 Partner Roadshow Chicago (Litware Resellers)');
    const told = await mailbox(rt, OPS);
    expect(told.map((m) => m.subject)).toEqual(['MDF-1002: the partner was not sent "We received your MDF request MDF-1002: Partner Roadshow Chicago"']);
    expect(told[0]!.text).toContain('Submitted By Email of MDF request MDF-1002 is "not-an-email", which is not an email address');
    expect(told[0]!.text).toContain('Litware Resellers has no contact email in the PRM');
    const runs = (await (await rt.app.request('/runs?recipe=mdf-request-approval')).json()) as { runs: { status: string }[] };
    expect(runs.runs.map((r) => r.status)).not.toContain('failed');
  });

  it('D15, D16: a claim against a request whose Submitted By Email is "jane@" passes intake: the receipt goes to the partner\'s contact email', async () => {
    const rt = await mockRuntime();
    rt.systems!.prm.updateMdfRequest('MDF-0901', { submittedByEmail: 'jane@' });
    const attachments = [
      { name: 'pop.pdf', kind: 'POP', url: 'https://prm.vendor.example/files/pop.pdf' },
      { name: 'leads.csv', kind: 'Lead List', url: 'https://prm.vendor.example/files/leads.csv' },
    ];
    const claim = rt.systems!.prm.addMdfClaim({ mdfNumber: 'MDF-0901', title: 'Partner Day Frankfurt costs', amount: 8000, paidDate: '2026-04-10', actualCosts: 16000, attachments } as never);
    expect((await deliver(rt, { event: 'mdf_claim.submitted', claim_id: claim.id })).status).toBe(202);
    expect((await mailbox(rt, 'ops@northwind.example')).map((m) => m.subject)).toContain('We received your MDF claim "Partner Day Frankfurt costs" for MDF-0901');
    const runs = (await (await rt.app.request('/runs?recipe=mdf-claim-intake')).json()) as { runs: { status: string }[] };
    expect(runs.runs.map((r) => r.status)).toEqual(['completed']);
  });
});

describe('a delivery that is no MDF request at all is still refused, and counted', () => {
  it('400 for a request without its partner id, and partnerflow_webhooks_refused_total{reason="invalid"} counts it for ops to alert on', async () => {
    const rt = await mockRuntime();
    const { status } = await submitRequest(rt, { partnerId: null });
    expect(status).toBe(400);
    const metrics = await (await rt.app.request('/metrics')).text();
    expect(metrics).toMatch(/^partnerflow_webhooks_refused_total\{reason="invalid"[^}]*\} 1$/m);
  });
});
