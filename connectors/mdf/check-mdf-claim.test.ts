import { describe, expect, it } from 'vitest';
import { CheckedClaim, OtherClaim, checkMdfClaim, type ClaimedRequest } from './check-mdf-claim.ts';
import { mdfConnector } from './index.ts';
import { MdfClaim } from '../../schemas/domain/mdf-claim.ts';

const request: ClaimedRequest = { mdfNumber: 'MDF-0901', status: 'Approved', amountRequested: 8000 };
const share = { maximum_vendor_share: 0.5 };
const attachments = [
  { name: 'pop.pdf', kind: 'POP', url: 'https://prm.partnerflow.test/files/1' },
  { name: 'leads.csv', kind: 'Lead List', url: 'https://prm.partnerflow.test/files/2' },
];
const claim: CheckedClaim = { id: 5, mdfNumber: 'MDF-0901', title: 'Partner Day Frankfurt', amount: 7000, paidDate: '2026-04-10', actualCosts: 16000, attachments };
const rulesOf = (c: Partial<CheckedClaim>, r: Partial<ClaimedRequest> = {}, rules = share) => checkMdfClaim({ ...claim, ...c }, { ...request, ...r }, rules).problems.map((p) => p.rule);

describe('mdf.check_claim', () => {
  it('accepts a complete claim within the approved amount and half of the actual costs', () => {
    expect(checkMdfClaim(claim, request, share)).toEqual({ problems: [], missing_attachments: [], title_taken_by: null });
  });

  it('D18: a claim equal to the approved amount is accepted, one cent over is refused with the numbers', () => {
    expect(rulesOf({ amount: 8000 })).toEqual([]);
    const over = checkMdfClaim({ ...claim, amount: 8000.01, actualCosts: 20000 }, request, share).problems;
    expect(over).toEqual([{ rule: 'D18', field: 'Claim Amount', message: 'The Claim Amount (USD 8,000.01) is more than the USD 8,000 approved for MDF-0901.' }]);
  });

  it('D19: the programme share (D5) of the actual costs, in whole cents rounded down; the share comes from the table', () => {
    expect(rulesOf({ amount: 1000, actualCosts: 2000.01 })).toEqual([]);
    const over = checkMdfClaim({ ...claim, amount: 1000.01, actualCosts: 2000.01 }, request, share).problems;
    expect(over).toEqual([{ rule: 'D19', field: 'Claim Amount', message: 'The Claim Amount (USD 1,000.01) is more than 50% of the Actual Costs (USD 2,000.01): at most USD 1,000 can be claimed.' }]);
    // 35% of 3,400 is exactly 1,190: accepted (floating point makes it 1,189.99...).
    expect(rulesOf({ amount: 1190, actualCosts: 3400 }, {}, { maximum_vendor_share: 0.35 })).toEqual([]);
    expect(rulesOf({ amount: 7000, actualCosts: 16000 }, {}, { maximum_vendor_share: 0.4 })).toEqual(['D19']);
  });

  it('D15, D19: a claim without Actual Costs (not a field D15 requires) is bounded by the share of the request\'s Total Cost instead, and accepted within it', () => {
    expect(rulesOf({ amount: 2000, actualCosts: null }, { amountRequested: 2500, totalCost: 5000 })).toEqual([]);
    expect(rulesOf({ amount: 2500, actualCosts: undefined }, { amountRequested: 2500, totalCost: 5000 })).toEqual([]);
    const over = checkMdfClaim({ ...claim, amount: 2000, actualCosts: null }, { ...request, amountRequested: 8000, totalCost: 3000 }, share).problems;
    expect(over).toEqual([
      {
        rule: 'D19',
        field: 'Claim Amount',
        message: 'The Claim Amount (USD 2,000) is more than 50% of the request\'s Total Cost (USD 3,000), which counts as no Actual Costs were given: at most USD 1,500 can be claimed.',
      },
    ]);
    // Neither figure: the approved amount (D18), itself at most the share of the planned cost (D5), is the bound.
    expect(rulesOf({ amount: 8000, actualCosts: null }, { totalCost: null })).toEqual([]);
    expect(rulesOf({ amount: 8000.01, actualCosts: null }, { totalCost: null })).toEqual(['D18']);
  });

  it('D12, D18: a claim against a Canceled request, or one not (or no longer) Approved, is refused naming why', () => {
    expect(checkMdfClaim(claim, { ...request, status: 'Canceled' }, share).problems).toEqual([
      { rule: 'D12', field: null, message: 'The MDF request MDF-0901 was canceled, so no claim can be paid against it.' },
    ]);
    // D11, D18: Closed names the approved claim only when one is approved; otherwise it claims none was.
    const approvedClaim = { id: 2, mdfNumber: 'MDF-0901', title: 'First', status: 'Approved', amount: 8000 };
    expect(checkMdfClaim(claim, { ...request, status: 'Closed' }, share, [], [approvedClaim]).problems[0]!.message).toBe('The MDF request MDF-0901 is closed: claim 2 against it was approved, so no claim can be paid against it.');
    expect(checkMdfClaim(claim, { ...request, status: 'Closed' }, share, [], [{ ...approvedClaim, status: 'Denied' }]).problems[0]!.message).toBe('The MDF request MDF-0901 is Closed, so no claim can be paid against it.');
    expect(rulesOf({}, { status: 'Denied' })).toEqual(['D18']);
  });

  it('D15: an earlier claim with the same title (letter case and spaces ignored) refuses the later one, naming the title; the other claim only to ops when it may be another partner\'s', () => {
    const earlier = { id: 3, mdfNumber: 'MDF-0902', title: 'partner day FRANKFURT ' };
    const check = checkMdfClaim({ ...claim, title: '  Partner Day Frankfurt' }, request, share, [earlier]);
    // Against another request: perhaps another partner's, so neither its id, its request nor its title reach the partner.
    expect(check.problems).toEqual([
      {
        rule: 'D15',
        field: 'Claim Title',
        message: 'The Claim Title "Partner Day Frankfurt" is already used by another claim; titles must be unique among all claims (letter case, spacing and the way accents are typed do not count). Please submit the claim again with another title.',
      },
    ]);
    expect(check.title_taken_by).toEqual({ id: 3, mdf_number: 'MDF-0902' });
    // Against the same request: the partner's own claim, named.
    expect(checkMdfClaim({ ...claim, title: '  Partner Day Frankfurt' }, request, share, [{ ...earlier, mdfNumber: 'MDF-0901' }]).problems[0]!.message).toBe(
      'The Claim Title "Partner Day Frankfurt" is already used by claim 3 against MDF-0901 ("partner day FRANKFURT"); titles must be unique among all claims (letter case, spacing and the way accents are typed do not count). Please submit the claim again with another title.',
    );
    // The earlier claim is not refused because of the later one.
    expect(checkMdfClaim({ ...claim, id: 3 }, request, share, [{ id: 5, mdfNumber: 'MDF-0901', title: 'Partner Day Frankfurt' }]).problems).toEqual([]);
  });

  it('D15: a refused (Denied) claim gives its title back, so the partner can resubmit under the same title', () => {
    const refused = { id: 3, mdfNumber: 'MDF-0901', title: 'Partner Day Frankfurt', status: 'Denied' };
    expect(checkMdfClaim(claim, request, share, [refused]).problems).toEqual([]);
    expect(rulesOf({}, {}, share)).toEqual([]);
    expect(checkMdfClaim(claim, request, share, [{ ...refused, status: 'Open' }]).problems.map((p) => p.rule)).toEqual(['D15']);
  });

  it('D18: the request\'s other claims not Denied count against the approved amount (the later of two is refused, with the numbers)', () => {
    const first = { id: 3, mdfNumber: 'MDF-0901', title: 'Part 1', status: 'Open', amount: 8000 };
    // Actual costs wide enough that D19's share (checked on the same claims) refuses nothing here.
    const wide = { ...claim, actualCosts: 40000 };
    expect(checkMdfClaim({ ...wide, amount: 8000 }, request, share, [], [first]).problems).toEqual([
      {
        rule: 'D18',
        field: 'Claim Amount',
        message: 'The Claim Amount (USD 8,000) and the other claims against MDF-0901 (claim 3: USD 8,000) come to USD 16,000, more than the USD 8,000 approved: nothing is left to claim.',
      },
    ]);
    expect(checkMdfClaim({ ...wide, amount: 3000.01 }, request, share, [], [{ ...first, amount: 5000 }]).problems[0]!.message).toContain('at most USD 3,000 is left to claim');
    expect(checkMdfClaim({ ...wide, amount: 3000 }, request, share, [], [{ ...first, amount: 5000 }]).problems).toEqual([]);
    // A Denied claim counts for nothing; a later Open claim neither (it is the one refused), a later Approved one does.
    expect(checkMdfClaim({ ...wide, amount: 8000 }, request, share, [], [{ ...first, status: 'Denied' }]).problems).toEqual([]);
    expect(checkMdfClaim({ ...wide, amount: 8000 }, request, share, [], [{ ...first, id: 9 }]).problems).toEqual([]);
    expect(checkMdfClaim({ ...wide, amount: 8000 }, request, share, [], [{ ...first, id: 9, status: 'Approved' }]).problems.map((p) => p.rule)).toEqual(['D18']);
  });

  it('D19: the request\'s claims share one cap, the share of the activity\'s actual costs: the later claim is refused with the numbers', () => {
    const first = { id: 3, mdfNumber: 'MDF-0901', title: 'Frankfurt venue', status: 'Open', amount: 5000, actualCosts: 10000 };
    const later = { ...claim, title: 'Frankfurt catering', amount: 3000, actualCosts: 10000 };
    expect(checkMdfClaim(later, request, share, [], [first]).problems).toEqual([
      {
        rule: 'D19',
        field: 'Claim Amount',
        message: 'The Claim Amount (USD 3,000) and the other claims against MDF-0901 (claim 3: USD 5,000) come to USD 8,000, more than 50% of the Actual Costs (USD 10,000): nothing is left to claim.',
      },
    ]);
    // In whole cents, rounded down: half of USD 10,000.01 leaves USD 1,000 after USD 4,000.
    expect(checkMdfClaim({ ...later, amount: 1000, actualCosts: 10000.01 }, request, share, [], [{ ...first, amount: 4000 }]).problems).toEqual([]);
    expect(checkMdfClaim({ ...later, amount: 1000.01, actualCosts: 10000.01 }, request, share, [], [{ ...first, amount: 4000 }]).problems[0]!.message).toContain('at most USD 1,000 is left to claim');
    // The same claims as D18 count: not a Denied one, nor a later Open one; a later Approved one does.
    expect(checkMdfClaim(later, request, share, [], [{ ...first, status: 'Denied' }]).problems).toEqual([]);
    expect(checkMdfClaim(later, request, share, [], [{ ...first, id: 9 }]).problems).toEqual([]);
    expect(checkMdfClaim(later, request, share, [], [{ ...first, id: 9, status: 'Approved' }]).problems.map((p) => p.rule)).toEqual(['D19']);
  });

  it('D19: a claim without Actual Costs is held to the latest figure another counted claim of the request gives, not to the planned Total Cost', () => {
    const first = { id: 3, mdfNumber: 'MDF-0901', title: 'Frankfurt venue', status: 'Approved', amount: 5000, actualCosts: 12000 };
    const second = { ...first, id: 4, title: 'Frankfurt signage', status: 'Open', amount: 500, actualCosts: 10000 };
    const problems = checkMdfClaim({ ...claim, amount: 1000, actualCosts: null }, { ...request, amountRequested: 10000, totalCost: 20000 }, share, [], [first, second]).problems;
    expect(problems).toEqual([
      {
        rule: 'D19',
        field: 'Claim Amount',
        message: 'The Claim Amount (USD 1,000) and the other claims against MDF-0901 (claim 3: USD 5,000, claim 4: USD 500) come to USD 6,500, more than 50% of the Actual Costs claim 4 gives (USD 10,000), which count as this claim gives none: nothing is left to claim.',
      },
    ]);
    // With no figure on any claim, the request's Total Cost stands in, shared the same way.
    const noFigures = [{ ...first, actualCosts: null }, { ...second, actualCosts: undefined }];
    expect(checkMdfClaim({ ...claim, amount: 4500, actualCosts: null }, { ...request, amountRequested: 12000, totalCost: 20000 }, share, [], noFigures).problems).toEqual([]);
    expect(checkMdfClaim({ ...claim, amount: 4500.01, actualCosts: null }, { ...request, amountRequested: 12000, totalCost: 20000 }, share, [], noFigures).problems[0]!.message).toContain(
      "more than 50% of the request's Total Cost (USD 20,000), which counts as no Actual Costs were given: at most USD 4,500 is left to claim",
    );
  });

  it('D18: a claim of USD 0, or with a fraction of a cent, is refused with the reason', () => {
    expect(checkMdfClaim({ ...claim, amount: 0 }, request, share).problems).toEqual([
      { rule: 'D18', field: 'Claim Amount', message: 'The Claim Amount is USD 0: there is nothing to reimburse.' },
    ]);
    // Every problem at once, the amount compared exactly as for a request (D4, D5): USD 8,000.004 is also over the USD 8,000 approved.
    expect(checkMdfClaim({ ...claim, amount: 8000.004, actualCosts: 16000.01 }, request, share).problems).toEqual([
      { rule: 'D18', field: 'Claim Amount', message: 'The Claim Amount (8000.004) has a fraction of a cent: give it in dollars and whole cents, e.g. USD 8,000.' },
      { rule: 'D18', field: 'Claim Amount', message: 'The Claim Amount (USD 8,000.004) is more than the USD 8,000 approved for MDF-0901.' },
    ]);
    expect(checkMdfClaim({ ...claim, amount: 7999.996, actualCosts: 16000.01 }, request, share).problems.map((p) => p.message)).toEqual([
      'The Claim Amount (7999.996) has a fraction of a cent: give it in dollars and whole cents, e.g. USD 7,999.99.',
    ]);
    expect(rulesOf({ amount: 1000.1 })).toEqual([]);
    expect(checkMdfClaim({ ...claim, amount: 1000.5 }, request, share, []).problems).toEqual([]);
  });

  it('D18: an amount that is USD 0 in whole cents (a tiny float such as 1e-9, within the noise money.ts rounds away) is refused as nothing to reimburse, not accepted', () => {
    // Before: 1e-9 is above 0 and its fraction of a cent counts as floating point noise, so no rule caught it and the claim was confirmed.
    expect(checkMdfClaim({ ...claim, amount: 1e-9 }, request, share).problems).toEqual([
      { rule: 'D18', field: 'Claim Amount', message: 'The Claim Amount is USD 0: there is nothing to reimburse.' },
    ]);
    expect(rulesOf({ amount: -1e-9 })).toEqual(['D18']);
    expect(rulesOf({ amount: 0.01 })).toEqual([]);
  });

  it('D19, D18: costs and an approved amount with a fraction of a cent are compared exactly, never rounded first, and shown as they are', () => {
    // Half of USD 1,999.995 is 999.9975: USD 1,000 is over it (rounded to USD 2,000 first, it passed).
    expect(checkMdfClaim({ ...claim, amount: 1000, actualCosts: 1999.995 }, request, share).problems).toEqual([
      { rule: 'D19', field: 'Claim Amount', message: 'The Claim Amount (USD 1,000) is more than 50% of the Actual Costs (USD 1,999.995): at most USD 999.99 can be claimed.' },
    ]);
    expect(rulesOf({ amount: 999.99, actualCosts: 1999.995 })).toEqual([]);
    // An approved amount of USD 1,000.006 (approved before requests were held to whole cents): USD 1,000.01 is over it.
    expect(checkMdfClaim({ ...claim, amount: 1000.01 }, { ...request, amountRequested: 1000.006 }, share).problems).toEqual([
      { rule: 'D18', field: 'Claim Amount', message: 'The Claim Amount (USD 1,000.01) is more than the USD 1,000.006 approved for MDF-0901.' },
    ]);
    expect(rulesOf({ amount: 1000 }, { amountRequested: 1000.006 })).toEqual([]);
  });

  it('D15: a missing title, amount or paid date is refused, every problem at once', () => {
    expect(rulesOf({ title: '  ', amount: null, paidDate: null })).toEqual(['D15', 'D15', 'D15']);
  });

  it('D15: a Claim Title of nothing but characters never shown (a zero-width space) is missing, and takes no other claim\'s title', () => {
    const untitled = { id: 2, mdfNumber: 'MDF-0902', title: null, status: 'Open' };
    const result = checkMdfClaim({ ...claim, title: '\u200b\u00ad ' }, request, share, [OtherClaim.parse(untitled)]);
    expect(result.problems).toEqual([{ rule: 'D15', field: 'Claim Title', message: 'The Claim Title is missing.' }]);
    expect(result.title_taken_by).toBeNull();
  });

  it('D16: missing required attachments are listed (POP, Lead List) without refusing the claim', () => {
    expect(checkMdfClaim({ ...claim, attachments: [attachments[0]!] }, request, share)).toEqual({ problems: [], missing_attachments: ['Lead List'], title_taken_by: null });
    expect(checkMdfClaim({ ...claim, attachments: null }, request, share).missing_attachments).toEqual(['POP', 'Lead List']);
    expect(checkMdfClaim({ ...claim, attachments: [{ name: 'a', kind: 'Other', url: 'x' }, { name: 'b', kind: 'Other', url: 'y' }] }, request, share).missing_attachments).toEqual(['POP', 'Lead List']);
  });

  it('as an action: ok, the rules broken and one reason for the PRM Status Reason', async () => {
    const action = mdfConnector.actions.check_claim!;
    const output = (await action.run(action.input.parse({ claim: { ...claim, amount: 9000 }, request, rules: { programme: 'MDF', maximum_vendor_share: 0.5 } }), {} as never)) as { ok: boolean; rules_broken: string[]; reason: string };
    expect(output.ok).toBe(false);
    expect(output.rules_broken).toEqual(['D18', 'D19']);
    expect(output.reason).toBe('Refused (D18, D19): The Claim Amount (USD 9,000) is more than the USD 8,000 approved for MDF-0901. The Claim Amount (USD 9,000) is more than 50% of the Actual Costs (USD 16,000): at most USD 8,000 can be claimed.');
  });

  it('D15: a reason longer than the PRM Status Reason holds (a long title quoted twice) is cut to 4,000 characters with …; the problems stay whole for the email', async () => {
    const action = mdfConnector.actions.check_claim!;
    const title = `Partner Day Frankfurt ${'booth and catering costs, '.repeat(90)}`.trim();
    const output = (await action.run(
      action.input.parse({ claim: { ...claim, id: 6, title }, request, rules: { maximum_vendor_share: 0.5 }, same_title: [{ id: 5, mdfNumber: 'MDF-0901', title, status: 'Open' }] }),
      {} as never,
    )) as { reason: string; problems: Array<{ message: string }> };
    expect(output.reason).toHaveLength(4000);
    expect(output.reason.startsWith(`Refused (D15): The Claim Title "${title}" is already used by claim 5 against MDF-0901`)).toBe(true);
    expect(output.reason.endsWith('…')).toBe(true);
    expect(output.problems[0]!.message.endsWith('Please submit the claim again with another title.')).toBe(true);
  });
});

describe('mdf.check_claim: a field the PRM sent in a form that cannot be read (review 6)', () => {
  it('D15: a Claim Amount or Actual Costs kept as text names the field and the value; the claim is refused with it, not dropped', () => {
    const problems = checkMdfClaim({ ...claim, amount: '7,000' as never }, request, share).problems;
    expect(problems).toEqual([
      { rule: 'D15', field: 'Claim Amount', message: 'The Claim Amount could not be read as a number: "7,000". Please give it in digits, with a point before any cents and no currency or thousands separators, e.g. 2500 or 2500.50.' },
    ]);
    expect(rulesOf({ actualCosts: 'about 16k' as never })).toEqual(['D15']);
  });

  it('D15: a Paid Date that is not a calendar date names the value and the form', () => {
    expect(checkMdfClaim({ ...claim, paidDate: '10.04.2026' }, request, share).problems).toEqual([
      { rule: 'D15', field: 'Paid Date', message: 'The Paid Date could not be read as a date: "10.04.2026". Please give it as YYYY-MM-DD, e.g. 2026-06-04.' },
    ]);
  });

  it('D15: a Paid Date after today is refused, naming it and today; one day ahead (time zones) and today are accepted', () => {
    expect(checkMdfClaim({ ...claim, paidDate: '2026-04-12' }, request, share, [], [], '2026-04-10').problems).toEqual([
      { rule: 'D15', field: 'Paid Date', message: 'The Paid Date (2026-04-12) is in the future: give the date the costs were paid, no later than today (2026-04-10).' },
    ]);
    expect(checkMdfClaim({ ...claim, paidDate: '2026-04-11' }, request, share, [], [], '2026-04-10').problems).toEqual([]);
    expect(checkMdfClaim({ ...claim, paidDate: '2026-04-10' }, request, share, [], [], '2026-04-10').problems).toEqual([]);
    // Across a month and a year's end.
    expect(checkMdfClaim({ ...claim, paidDate: '2027-01-01' }, request, share, [], [], '2026-12-31').problems).toEqual([]);
    expect(checkMdfClaim({ ...claim, paidDate: '2027-01-02' }, request, share, [], [], '2026-12-31').problems.map((p) => p.field)).toEqual(['Paid Date']);
  });

  it('D18, D19: an Approved request whose amount or Total Cost the PRM now holds as text that is not plainly a number fails the check (for ops to correct), never lets the claim through unchecked', () => {
    expect(() => checkMdfClaim({ ...claim, amount: 9000, actualCosts: null }, { ...request, amountRequested: '2,500' as never, totalCost: 20000 }, share)).toThrow(
      'MDF request MDF-0901: its Total Amount Required from the MDF programme (USD) in the PRM is "2,500", which is not plainly a number, so the claim cannot be checked against it (D18, D19): correct it in the PRM, then retry this run',
    );
    expect(() => checkMdfClaim({ ...claim, amount: 900, actualCosts: null }, { ...request, amountRequested: 2500, totalCost: '20,000' as never }, share)).toThrow(
      new Error(
        'MDF request MDF-0901: its Total Cost (USD) in the PRM is "20,000", which is not plainly a number, so the claim cannot be checked against it (D18, D19): correct it in the PRM, then retry this run',
      ),
    );
    // The claim's own Actual Costs bound it (D19): the request's Total Cost is not read, whatever it holds.
    expect(rulesOf({ amount: 900, actualCosts: 2000 }, { amountRequested: 2500, totalCost: '20,000' as never })).toEqual([]);
  });

  it('D19: another counted claim\'s Actual Costs sent as plain number text are that number: a claim without its own cannot raise the cap to the planned Total Cost', () => {
    // Read as the action reads its input (OtherClaim), as the listing (PrmMdfClaimSummary) does.
    const approved = OtherClaim.parse({ id: 3, mdfNumber: 'MDF-0901', title: 'Partner Day Munich', status: 'Approved', amount: 900, actualCosts: '2000' });
    const problems = checkMdfClaim({ ...claim, amount: 1000, actualCosts: null }, { ...request, amountRequested: 5000, totalCost: 10000 }, share, [], [approved]).problems;
    expect(problems.map((p) => p.rule)).toEqual(['D19']);
    expect(problems[0]!.message).toContain('the Actual Costs claim 3 gives (USD 2,000)');
    expect(problems).toEqual([
      {
        rule: 'D19',
        field: 'Claim Amount',
        message:
          'The Claim Amount (USD 1,000) and the other claims against MDF-0901 (claim 3: USD 900) come to USD 1,900, more than 50% of the Actual Costs claim 3 gives (USD 2,000), which count as this claim gives none: at most USD 100 is left to claim.',
      },
    ]);
  });

  it("D18, D19: another counted claim's Claim Amount sent as plain number text is that number, read in the schema as its Actual Costs are: it counts against the approved amount and D19's cap", () => {
    const approved = OtherClaim.parse({ id: 3, mdfNumber: 'MDF-0901', title: 'Partner Day Munich', status: 'Approved', amount: '900', actualCosts: '2000' });
    expect(approved).toMatchObject({ amount: 900, actualCosts: 2000 });
    expect(checkMdfClaim({ ...claim, amount: 1000, actualCosts: null }, { ...request, amountRequested: 5000, totalCost: 10000 }, share, [], [approved]).problems).toEqual([
      {
        rule: 'D19',
        field: 'Claim Amount',
        message:
          'The Claim Amount (USD 1,000) and the other claims against MDF-0901 (claim 3: USD 900) come to USD 1,900, more than 50% of the Actual Costs claim 3 gives (USD 2,000), which count as this claim gives none: at most USD 100 is left to claim.',
      },
    ]);
    expect(checkMdfClaim({ ...claim, amount: 700, actualCosts: 20000 }, { ...request, amountRequested: 1500, totalCost: 10000 }, share, [], [approved]).problems.map((p) => p.message)).toEqual([
      'The Claim Amount (USD 700) and the other claims against MDF-0901 (claim 3: USD 900) come to USD 1,600, more than the USD 1,500 approved: at most USD 600 is left to claim.',
    ]);
  });

  it("D18, D19: another claim's Claim Amount the PRM holds as text that is not plainly a number counts as none, as its Actual Costs would (its own intake told it)", () => {
    const unreadable = OtherClaim.parse({ id: 3, mdfNumber: 'MDF-0901', title: 'Partner Day Munich', status: 'Approved', amount: 'about 900', actualCosts: '2000' });
    expect(unreadable).toMatchObject({ amount: null, actualCosts: 2000 });
    expect(checkMdfClaim({ ...claim, amount: 1000, actualCosts: null }, { ...request, amountRequested: 5000, totalCost: 10000 }, share, [], [unreadable]).problems).toEqual([]);
    expect(checkMdfClaim({ ...claim, amount: 1000.01, actualCosts: null }, { ...request, amountRequested: 5000, totalCost: 10000 }, share, [], [unreadable]).problems.map((p) => p.message)).toEqual([
      'The Claim Amount (USD 1,000.01) is more than 50% of the Actual Costs claim 3 gives (USD 2,000), which count as this claim gives none: at most USD 1,000 can be claimed.',
    ]);
  });

  it('D15: negative or unreadable Actual Costs of the claim itself are told once, with no D19 bound made from them', () => {
    expect(checkMdfClaim({ ...claim, actualCosts: -100 }, request, share).problems).toEqual([
      { rule: 'D15', field: 'Actual Costs', message: 'The Actual Costs cannot be negative (they are USD -100).' },
    ]);
    expect(rulesOf({ amount: 7000, actualCosts: 'about 16k' as never }, { totalCost: 1000 })).toEqual(['D15']);
  });

  it('D16: an attachment of a kind it does not know (an invoice) is neither a problem nor a required kind', () => {
    const result = checkMdfClaim({ ...claim, attachments: [...attachments, { name: 'invoice.pdf', kind: 'Invoice', url: 'https://prm.partnerflow.test/files/3' }] }, request, share);
    expect(result).toEqual({ problems: [], missing_attachments: [], title_taken_by: null });
    // As the PRM sends it: the claim read through MdfClaim first, the known kinds in any case and the unknown one kept.
    const received = MdfClaim.parse({
      ...claim,
      attachments: [
        { name: 'pop.pdf', kind: ' pop', url: 'https://prm.partnerflow.test/files/1' },
        { name: 'leads.csv', kind: 'LEAD LIST', url: 'https://prm.partnerflow.test/files/2' },
        { name: 'invoice.pdf', kind: 'Invoice', url: 'https://prm.partnerflow.test/files/3' },
      ],
      status: 'Open',
      created: '2026-04-10 09:00:00',
      updated: null,
    });
    expect(received.attachments?.map((a) => a.kind)).toEqual(['POP', 'Lead List', 'Invoice']);
    // …and then as the action reads its input.
    expect(checkMdfClaim(CheckedClaim.parse(received), request, share)).toEqual({ problems: [], missing_attachments: [], title_taken_by: null });
  });
});
