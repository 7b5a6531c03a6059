import { z } from 'zod';
import { defineAction } from '../kit/define-connector.ts';
import { MDF_REQUEST_FORM_LABELS, MdfRequestForm, type MdfRequest } from '../../schemas/domain/mdf-request.ts';
import type { Partner } from '../../schemas/domain/partner.ts';

/** D4: the smallest MDF amount a partner may request, in USD. */
export const MINIMUM_REQUEST_USD = 1_000;
/** D5: the largest share of an activity's total cost the vendor covers. */
export const MAXIMUM_VENDOR_SHARE = 0.5;

export const RuleProblem = z.object({
  /** The DOMAIN.md rule, e.g. "D4". */
  rule: z.string(),
  /** The form field concerned, when there is one. */
  field: z.string().nullable(),
  /** A sentence the partner can act on. */
  message: z.string(),
});
export type RuleProblem = z.infer<typeof RuleProblem>;

const usd = (n: number) => `USD ${n.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;

/**
 * The MDF programme's intake rules (D3–D6), as a pure function so that each rule is unit-tested and
 * the recipe only decides what to do with the answer. Every problem is returned, not just the first.
 */
export function checkMdfRequest(request: Pick<MdfRequest, keyof MdfRequestForm>, partner: Pick<Partner, 'name' | 'marketingReady'>): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (!partner.marketingReady) {
    problems.push({
      rule: 'D3',
      field: null,
      message: `${partner.name} is not yet Marketing-Ready, and only Marketing-Ready partners may request MDF. Your Channel Marketing Manager can help you complete the Marketing-Ready checklist.`,
    });
  }
  const missing = (Object.keys(MDF_REQUEST_FORM_LABELS) as Array<keyof MdfRequestForm>).filter((field) => {
    const value = request[field];
    return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
  });
  for (const field of missing) {
    problems.push({ rule: 'D6', field, message: `${MDF_REQUEST_FORM_LABELS[field]} is required.` });
  }
  if (request.startDate && request.endDate && request.endDate < request.startDate) {
    problems.push({
      rule: 'D6',
      field: 'endDate',
      message: `The Expected End Date (${request.endDate}) is before the Expected Start Date (${request.startDate}).`,
    });
  }
  const amount = request.amountRequested;
  if (typeof amount === 'number' && amount < MINIMUM_REQUEST_USD) {
    problems.push({ rule: 'D4', field: 'amountRequested', message: `The minimum MDF request is ${usd(MINIMUM_REQUEST_USD)}; this request asks for ${usd(amount)}.` });
  }
  const cost = request.totalCost;
  if (typeof amount === 'number' && typeof cost === 'number' && cost > 0) {
    if (amount > cost * MAXIMUM_VENDOR_SHARE) {
      const share = Math.round((amount / cost) * 1000) / 10;
      problems.push({
        rule: 'D5',
        field: 'amountRequested',
        message: `MDF covers at most 50% of the activity's total cost: ${usd(amount)} of ${usd(cost)} is ${share}%. The most you can request is ${usd(cost * MAXIMUM_VENDOR_SHARE)}.`,
      });
    }
    const investment = request.partnerInvestment;
    if (typeof investment === 'number' && investment + amount < cost) {
      problems.push({
        rule: 'D5',
        field: 'partnerInvestment',
        message: `The Partner Investment (${usd(investment)}) and the MDF amount (${usd(amount)}) do not cover the Total Cost (${usd(cost)}).`,
      });
    }
  }
  return problems;
}

const CheckInput = z
  .object({
    request: MdfRequestForm.passthrough(),
    partner: z.object({ name: z.string(), marketingReady: z.boolean() }).passthrough(),
  })
  .strict();

export const checkMdfRequestAction = defineAction({
  description: 'Checks an MDF request against the programme rules D3–D6; returns every problem found.',
  input: CheckInput,
  output: z.object({ ok: z.boolean(), problems: z.array(RuleProblem), rules_broken: z.array(z.string()) }),
  idempotent: true,
  async run(input) {
    const problems = checkMdfRequest(input.request, input.partner);
    return { ok: problems.length === 0, problems, rules_broken: [...new Set(problems.map((p) => p.rule))] };
  },
});
