import { describe, expect, it } from 'vitest';
import { checkMdfRequest, checkMdfRequestAtDecision } from './check-mdf-request.ts';

const complete = {
  activityName: 'Cloud Summit Munich',
  activityType: 'Event',
  deliveryMode: 'In Person' as const,
  description: 'Booth and talk',
  startDate: '2026-03-10',
  endDate: '2026-03-11',
  totalCost: 10_000,
  targetContacts: 200,
  estimatedPipeline: 250_000,
  partnerInvestment: 5_000,
  amountRequested: 5_000,
  verticalIndustry: 'Manufacturing',
  segment: 'Enterprise',
  activityRegion: 'EMEA',
};
const ready = { name: 'Northwind Cloud', marketingReady: true };

describe('MDF intake rules', () => {
  it('accepts a complete request from a marketing-ready partner asking for half the cost', () => {
    expect(checkMdfRequest(complete, ready)).toEqual([]);
  });

  it('D3: refuses a partner that is not marketing-ready and says why', () => {
    const problems = checkMdfRequest(complete, { name: 'Tailspin', marketingReady: false });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ rule: 'D3' });
    expect(problems[0]!.message).toContain('Tailspin is not yet Marketing-Ready');
  });

  it('D4: USD 900 is below the USD 1,000 minimum', () => {
    const problems = checkMdfRequest({ ...complete, amountRequested: 900, partnerInvestment: 9_100 }, ready);
    expect(problems.map((p) => p.rule)).toEqual(['D4']);
    expect(problems[0]!.message).toBe('The minimum MDF request is USD 1,000; this request asks for USD 900.');
  });

  it('D5: 60% of the cost is over the 50% the vendor covers', () => {
    const problems = checkMdfRequest({ ...complete, amountRequested: 6_000, partnerInvestment: 4_000 }, ready);
    expect(problems.map((p) => p.rule)).toEqual(['D5']);
    expect(problems[0]!.message).toContain('USD 6,000 of USD 10,000 is 60%');
    expect(problems[0]!.message).toContain('The most you can request is USD 5,000');
  });

  it('D5: the partner investment and MDF must cover the total cost', () => {
    const problems = checkMdfRequest({ ...complete, partnerInvestment: 2_000 }, ready);
    expect(problems).toEqual([expect.objectContaining({ rule: 'D5', field: 'partnerInvestment' })]);
  });

  it('D5: a total cost of 0 allows no MDF: USD 5,000 requested against it is refused', () => {
    const problems = checkMdfRequest({ ...complete, totalCost: 0, partnerInvestment: 0, amountRequested: 5_000 }, ready);
    expect(problems).toEqual([expect.objectContaining({ rule: 'D5', field: 'amountRequested' })]);
    expect(problems[0]!.message).toBe(
      "MDF covers at most 50% of the activity's total cost, and the Total Cost (USD) is USD 0: no MDF can be requested for it (this request asks for USD 5,000).",
    );
  });

  it('D4, D5 boundaries: USD 1,000 and exactly half the cost pass; USD 999.99 and one cent over half do not', () => {
    expect(checkMdfRequest({ ...complete, totalCost: 2_000, partnerInvestment: 1_000, amountRequested: 1_000 }, ready)).toEqual([]);
    expect(checkMdfRequest({ ...complete, totalCost: 2_000, partnerInvestment: 1_000.01, amountRequested: 999.99 }, ready).map((p) => p.rule)).toEqual(['D4']);
    const overByACent = checkMdfRequest({ ...complete, totalCost: 10_000, partnerInvestment: 4_999.99, amountRequested: 5_000.01 }, ready);
    expect(overByACent.map((p) => p.message)).toEqual([
      "MDF covers at most 50% of the activity's total cost: USD 5,000.01 of USD 10,000 is more than 50%. The most you can request is USD 5,000.",
    ]);
    const over = checkMdfRequest({ ...complete, totalCost: 20_000, partnerInvestment: 9_998, amountRequested: 10_002 }, ready);
    expect(over[0]!.message).toContain('USD 10,002 of USD 20,000 is 50.01%');
  });

  it('D5: amounts in cents add up exactly: 1,000.14 of investment and 1,000 of MDF cover a cost of 2,000.14', () => {
    // In binary floating point 1000.14 + 1000 is 2000.1399999999999, just under the cost.
    expect(checkMdfRequest({ ...complete, totalCost: 2_000.14, partnerInvestment: 1_000.14, amountRequested: 1_000 }, ready)).toEqual([]);
    expect(checkMdfRequest({ ...complete, totalCost: 2_000.28, partnerInvestment: 1_000.14, amountRequested: 1_000.14 }, ready)).toEqual([]);
  });

  it('D5: the most the partner is told they can request is accepted by the rule: half of USD 2,000.01 rounds down to USD 1,000', () => {
    const refused = checkMdfRequest({ ...complete, totalCost: 2_000.01, partnerInvestment: 1_000, amountRequested: 1_000.01 }, ready);
    expect(refused.map((p) => p.message)).toEqual([
      "MDF covers at most 50% of the activity's total cost: USD 1,000.01 of USD 2,000.01 is more than 50%. The most you can request is USD 1,000.",
    ]);
    expect(checkMdfRequest({ ...complete, totalCost: 2_000.01, partnerInvestment: 1_000.01, amountRequested: 1_000 }, ready)).toEqual([]);
    // Every cost from USD 2,000.00 to 2,000.99: the amount told is never refused again.
    for (let c = 200_000; c < 200_100; c++) {
      const cost = c / 100;
      const message = checkMdfRequest({ ...complete, totalCost: cost, partnerInvestment: cost, amountRequested: cost }, ready)[0]!.message;
      const told = Number(/The most you can request is USD ([\d,.]+)\./.exec(message)![1]!.replace(/,/g, ''));
      expect(checkMdfRequest({ ...complete, totalCost: cost, partnerInvestment: cost, amountRequested: told }, ready), `cost ${cost}`).toEqual([]);
    }
  });

  it('D4, D6: USD 999.999 is below the USD 1,000 minimum (compared exactly, not as a rounded USD 1,000), and its fraction of a cent is told as for a claim', () => {
    const problems = checkMdfRequest({ ...complete, totalCost: 12_000, partnerInvestment: 11_000.001, amountRequested: 999.999 }, ready);
    expect(problems).toEqual([
      {
        rule: 'D6',
        field: 'amountRequested',
        message: 'The Total Amount Required from the MDF programme (USD), 999.999, has a fraction of a cent: give it in dollars and whole cents, e.g. USD 999.99.',
      },
      { rule: 'D4', field: 'amountRequested', message: 'The minimum MDF request is USD 1,000; this request asks for USD 999.999.' },
    ]);
  });

  it('D5, D6: USD 1,000.004 of a USD 2,000 activity is more than half (compared exactly), and its fraction of a cent is told', () => {
    const problems = checkMdfRequest({ ...complete, totalCost: 2_000, partnerInvestment: 1_000, amountRequested: 1_000.004 }, ready);
    expect(problems.map((p) => [p.rule, p.field])).toEqual([
      ['D6', 'amountRequested'],
      ['D5', 'amountRequested'],
    ]);
    expect(problems[1]!.message).toBe(
      "MDF covers at most 50% of the activity's total cost: USD 1,000.004 of USD 2,000 is more than 50%. The most you can request is USD 1,000.",
    );
  });

  it('D5: a cost with a fraction of a cent is compared exactly: USD 1,000 is more than half of USD 1,999.999, and USD 2,000 does not cover USD 2,000.004', () => {
    const overHalf = checkMdfRequest({ ...complete, totalCost: 1_999.999, partnerInvestment: 1_000, amountRequested: 1_000 }, ready);
    expect(overHalf.map((p) => p.message)).toEqual([
      "MDF covers at most 50% of the activity's total cost: USD 1,000 of USD 1,999.999 is more than 50%. The most you can request is USD 999.99.",
    ]);
    const notCovered = checkMdfRequest({ ...complete, totalCost: 2_000.004, partnerInvestment: 1_000, amountRequested: 1_000 }, ready);
    expect(notCovered.map((p) => p.message)).toEqual(['The Partner Investment (USD 1,000) and the MDF amount (USD 1,000) do not cover the Total Cost (USD 2,000.004).']);
    expect(checkMdfRequest({ ...complete, totalCost: 2_000.004, partnerInvestment: 1_000.01, amountRequested: 1_000 }, ready)).toEqual([]);
  });

  it('D4, D5: exact decimals, not binary floating point: USD 1,000.10 meets the minimum, is half of USD 2,000.20, and 0.1 + 0.2 style noise is not a fraction of a cent', () => {
    expect(checkMdfRequest({ ...complete, totalCost: 2_000.2, partnerInvestment: 1_000.1, amountRequested: 1_000.1 }, ready)).toEqual([]);
    // A minimum ops set with cents in the table is compared exactly too.
    const rules = { minimum_request_usd: 1_000.1, maximum_vendor_share: 0.5 };
    expect(checkMdfRequest({ ...complete, totalCost: 2_000.2, partnerInvestment: 1_000.1, amountRequested: 1_000.1 }, ready, rules)).toEqual([]);
    expect(checkMdfRequest({ ...complete, totalCost: 2_000.2, partnerInvestment: 1_000.11, amountRequested: 1_000.09 }, ready, rules).map((p) => p.message)).toEqual([
      'The minimum MDF request is USD 1,000.10; this request asks for USD 1,000.09.',
    ]);
    // 1,000.1 + 0.2 is 1000.3000000000001 in floating point: still USD 1,000.30 to the partner and the check.
    expect(checkMdfRequest({ ...complete, totalCost: 2_000.6, partnerInvestment: 1_000.3, amountRequested: 1_000.1 + 0.2 }, ready)).toEqual([]);
  });

  it("D4, D5: the programme's numbers come from the mdf-programme table's row, not constants", () => {
    const rules = { minimum_request_usd: 2_500, maximum_vendor_share: 0.4 };
    expect(checkMdfRequest({ ...complete, totalCost: 10_000, partnerInvestment: 6_000, amountRequested: 4_000 }, ready, rules)).toEqual([]);
    expect(checkMdfRequest({ ...complete, totalCost: 10_000, partnerInvestment: 8_000, amountRequested: 2_000 }, ready, rules).map((p) => p.message)).toEqual([
      'The minimum MDF request is USD 2,500; this request asks for USD 2,000.',
    ]);
    expect(checkMdfRequest({ ...complete, totalCost: 10_000, partnerInvestment: 5_000, amountRequested: 5_000 }, ready, rules).map((p) => p.message)).toEqual([
      "MDF covers at most 40% of the activity's total cost: USD 5,000 of USD 10,000 is 50%. The most you can request is USD 4,000.",
    ]);
  });

  it('D8: a request without an activity region is refused, naming the Activity Region', () => {
    for (const activityRegion of [undefined, null, ' ']) {
      const problems = checkMdfRequest({ ...complete, activityRegion }, ready);
      expect(problems).toEqual([expect.objectContaining({ rule: 'D8', field: 'activityRegion' })]);
      expect(problems[0]!.message).toContain('Activity Region is required');
    }
  });

  it('D8: an activity region that is no region code is told to the partner with the value, as a missing one is', () => {
    expect(checkMdfRequest({ ...complete, activityRegion: 'North America' }, ready)).toEqual([
      {
        rule: 'D8',
        field: 'activityRegion',
        message: 'Activity Region must be a region code such as EMEA or AMER (it is "North America"): it decides which Channel Marketing Manager approves the request.',
      },
    ]);
  });

  it('D5, D6: a negative Partner Investment is told once, not as short of the Total Cost too', () => {
    expect(checkMdfRequest({ ...complete, partnerInvestment: -100 }, ready).map((p) => p.rule)).toEqual(['D6']);
    expect(checkMdfRequest({ ...complete, partnerInvestment: -100 }, ready)).toEqual([{ rule: 'D6', field: 'partnerInvestment', message: 'Partner Investment (USD) cannot be negative (it is -100).' }]);
  });

  it('D6: names every missing field by its form label', () => {
    const problems = checkMdfRequest({ ...complete, description: '  ', segment: null, targetContacts: undefined }, ready);
    expect(problems.map((p) => p.message)).toEqual(['Description is required.', 'Target Number of Contacts is required.', 'Segment Target is required.']);
  });

  it('D6: an end date before the start date is refused', () => {
    const problems = checkMdfRequest({ ...complete, endDate: '2026-03-09' }, ready);
    expect(problems).toEqual([expect.objectContaining({ rule: 'D6', field: 'endDate', message: 'The Expected End Date (2026-03-09) is before the Expected Start Date (2026-03-10).' })]);
  });

  it('reports every broken rule at once', () => {
    const problems = checkMdfRequest({ ...complete, amountRequested: 900, partnerInvestment: 9_100, activityName: null }, { name: 'Tailspin', marketingReady: false });
    expect(problems.map((p) => p.rule)).toEqual(['D3', 'D6', 'D4']);
  });

  it('D5 with a share from the table: exactly 35% of USD 3,400 (USD 1,190) is accepted, a cent more is refused, and the most told is accepted again', () => {
    const rules = { minimum_request_usd: 1_000, maximum_vendor_share: 0.35 };
    expect(checkMdfRequest({ ...complete, totalCost: 3_400, partnerInvestment: 2_210, amountRequested: 1_190 }, ready, rules)).toEqual([]);
    const over = checkMdfRequest({ ...complete, totalCost: 3_400, partnerInvestment: 2_209.99, amountRequested: 1_190.01 }, ready, rules);
    expect(over.map((p) => p.rule)).toEqual(['D5']);
    expect(over[0]!.message).toContain('The most you can request is USD 1,190.');
  });

  it('D5: for every whole-dollar cost up to USD 10,000 and shares 0.35, 0.7 and 0.5, the exact share is accepted', () => {
    const refused: string[] = [];
    for (const share of [0.35, 0.7, 0.5]) {
      for (let cost = 2_000; cost <= 10_000; cost++) {
        const amount = Math.floor(cost * share * 100 + 1e-6) / 100;
        if (amount < 1_000) continue;
        const problems = checkMdfRequest({ ...complete, totalCost: cost, partnerInvestment: cost - amount, amountRequested: amount }, ready, { minimum_request_usd: 1_000, maximum_vendor_share: share });
        if (problems.length > 0) refused.push(`${amount} of ${cost} at ${share}`);
      }
    }
    expect(refused).toEqual([]);
  });
});

describe('D6: a field the PRM sent in a form that cannot be read (review 6): the partner is told which and how to write it', () => {
  const messagesOf = (set: Record<string, unknown>) => checkMdfRequest({ ...complete, ...set } as never, ready).map((p) => `${p.rule} ${p.field}: ${p.message}`);

  it('a number kept as text ("2,500", "USD 2500") names the field, the value and the form to use', () => {
    expect(messagesOf({ totalCost: '12,000' })).toEqual([
      'D6 totalCost: Total Cost (USD) could not be read as a number: "12,000". Please give it in digits, with a point before any cents and no currency or thousands separators, e.g. 2500 or 2500.50.',
    ]);
    expect(messagesOf({ amountRequested: 'USD 5000' })[0]).toMatch(/^D6 amountRequested: Total Amount Required from the MDF programme \(USD\) could not be read as a number: "USD 5000"/);
    expect(messagesOf({ amountRequested: 'USD 5000' })).toEqual([
      'D6 amountRequested: Total Amount Required from the MDF programme (USD) could not be read as a number: "USD 5000". Please give it in digits, with a point before any cents and no currency or thousands separators, e.g. 2500 or 2500.50.',
    ]);
  });

  it('a negative amount and a Target Number of Contacts that is no whole number are told', () => {
    expect(messagesOf({ estimatedPipeline: -5 })).toEqual(['D6 estimatedPipeline: Estimated Pipeline Created (USD) cannot be negative (it is -5).']);
    expect(messagesOf({ targetContacts: 20.5 })).toEqual(['D6 targetContacts: Target Number of Contacts must be a whole number (it is 20.5).']);
  });

  it('a date that is not a calendar date names the field, the value and the form YYYY-MM-DD; no end-before-start comparison with it', () => {
    expect(messagesOf({ startDate: '03/10/2026' })).toEqual([
      'D6 startDate: Expected Start Date could not be read as a date: "03/10/2026". Please give it as YYYY-MM-DD, e.g. 2026-06-04.',
    ]);
    // One that sorts after the end date (2026-03-11) as text is still not compared with it: told once, as unreadable.
    expect(messagesOf({ startDate: '2026-13-01' })).toEqual(['D6 startDate: Expected Start Date could not be read as a date: "2026-13-01". Please give it as YYYY-MM-DD, e.g. 2026-06-04.']);
  });

  it('an In Person or Virtual value that is neither, and an Activity Country that is no two-letter code, are told', () => {
    expect(messagesOf({ deliveryMode: 'Hybrid' })).toEqual(['D6 deliveryMode: In Person or Virtual must be In Person or Virtual (it is "Hybrid").']);
    expect(messagesOf({ activityCountry: 'Germany' })).toEqual([
      'D13 activityCountry: The Activity Country must be a two-letter country code (ISO 3166-1 alpha-2, e.g. DE); it is "Germany".',
    ]);
    expect(messagesOf({ activityCountry: 'de' })).toEqual([]);
  });

  it('D13: two letters that are no country\'s code (a typo, DR for DE) are told, not read as a country outside every target market', () => {
    expect(messagesOf({ activityCountry: 'DR' })).toEqual([
      'D13 activityCountry: The Activity Country "DR" is no country\'s code: give the two-letter code of the country where the activity takes place (ISO 3166-1 alpha-2, e.g. DE).',
    ]);
    expect(messagesOf({ activityCountry: 'xx' })).toHaveLength(1);
    expect(messagesOf({ activityCountry: 'pl' })).toEqual([]);
  });
});

describe('the rules at an approver\'s decision: the request as it is now against what its approvers were shown', () => {
  // Routed before amounts were compared exactly (b81beee): its fraction of a cent passed the intake check then.
  const sent = { ...complete, totalCost: 2_500, partnerInvestment: 1_499.995, amountRequested: 1_000.005 };

  it('an unchanged request has no problem, though its amount has a fraction of a cent: the approver decided it as shown', () => {
    expect(checkMdfRequest(sent, ready).map((p) => p.rule)).toEqual(['D6']);
    expect(checkMdfRequestAtDecision(sent, sent, ready)).toEqual([]);
    const asThePrmHoldsIt = { ...sent, mdfNumber: 'MDF-1', status: 'Open', updated: '2026-04-02T10:00:00Z' };
    expect(checkMdfRequestAtDecision(asThePrmHoldsIt, sent, ready)).toEqual([]);
  });

  it('D6: changed since, a fraction of a cent in the amount the approvers were shown is still not a problem (accepted when routed)', () => {
    expect(checkMdfRequestAtDecision({ ...sent, endDate: '2026-03-12' }, sent, ready)).toEqual([]);
  });

  it('D6: changed since, an amount changed to another fraction of a cent is told as at intake, and so is any other problem of the request as it is now', () => {
    const problems = checkMdfRequestAtDecision({ ...sent, amountRequested: 1_000.009, endDate: '2026-03-09' }, sent, ready);
    expect(problems.map((p) => p.message)).toEqual([
      'The Expected End Date (2026-03-09) is before the Expected Start Date (2026-03-10).',
      'The Total Amount Required from the MDF programme (USD), 1000.009, has a fraction of a cent: give it in dollars and whole cents, e.g. USD 1,000.',
    ]);
  });

  it('D5: the amount the approvers were shown with a cost lowered since is a new problem', () => {
    expect(checkMdfRequestAtDecision({ ...sent, totalCost: 1_900 }, sent, ready).map((p) => p.message)).toEqual([
      "MDF covers at most 50% of the activity's total cost: USD 1,000.005 of USD 1,900 is 52.63%. The most you can request is USD 950.",
    ]);
  });
});
