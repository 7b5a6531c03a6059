import { usd } from '../../server/engine/expression.ts';
import { countryName } from '../../server/engine/country-name.ts';
import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { RunId } from '../../server/engine/ids.ts';
import type { Store } from '../../server/store/store.ts';
import { addExact, compareExact, exactUsd, hasFractionOfCent } from '../../server/engine/money.ts';
import { centsDown, downToTheCent, percentOf, shareOf } from './programme-money.ts';
import { ActivityDelivery, MDF_REQUEST_FORM_LABELS, MdfRequestForm, isCountryCode, isRegionCode, type MdfRequest } from '../../schemas/domain/mdf-request.ts';
import { isIsoDate, unreadableDate, unreadableNumber } from '../../schemas/domain/prm-fields.ts';
import type { Partner } from '../../schemas/domain/partner.ts';

/**
 * The programme's numbers the check applies (D4, D5). Ops keep them in the `mdf-programme` table and the
 * recipe passes its row to the check; these are the values docs/rules.md states for D4 and D5, used
 * only by a run pinned to a recipe version from before the table (approval v10 and older), which
 * passes none.
 */
export interface ProgrammeRules {
  /** D4: the smallest MDF amount a partner may request, in USD. */
  minimum_request_usd: number;
  /** D5: the largest share of an activity's total cost the vendor covers, e.g. 0.5. */
  maximum_vendor_share: number;
}
export const DOMAIN_PROGRAMME_RULES: ProgrammeRules = { minimum_request_usd: 1_000, maximum_vendor_share: 0.5 };

/** D8: the label the partner sees for the activity's region. */
export const ACTIVITY_REGION_LABEL = 'Activity Region';

export const RuleProblem = z.object({
  /** The rule, as docs/rules.md numbers it, e.g. "D4". */
  rule: z.string(),
  /** The form field concerned, when there is one. */
  field: z.string().nullable(),
  /** A sentence the partner can act on. */
  message: z.string(),
});
export type RuleProblem = z.infer<typeof RuleProblem>;

/** The share of the cost an amount is, as the partner reads it: "60%", "50.01%", never a rounded "50%" for an amount over half. */
function shareOfCost(amount: number, cost: number, maximumShare: number): string {
  const percent = Math.round((amount / cost) * 10_000) / 100;
  return percent > maximumShare * 100 ? `${percent}%` : `more than ${percentOf(maximumShare)}`;
}

/** A number field the rules can count with: a number not below zero (text, blanks and negatives are told as D6 problems). */
const nonNegative = (value: unknown): number | undefined => (typeof value === 'number' && value >= 0 ? value : undefined);

/** The request as the check reads it: the 13 form fields (D6), the activity's region (D8) and country (D13). */
export type CheckedRequest = Pick<MdfRequest, keyof MdfRequestForm> & { activityRegion?: string | null; activityCountry?: string | null };

/** How a D6 problem says that the requested amount has a fraction of a cent. */
const FRACTION_OF_CENT = 'has a fraction of a cent';

/** The form's number fields (D6): read from text when plainly a number, else kept as sent (prm-fields.ts). */
const NUMBER_FIELDS = ['totalCost', 'targetContacts', 'estimatedPipeline', 'partnerInvestment', 'amountRequested'] as const;

/**
 * The MDF programme's intake rules (D3–D6, and D8's activity region, without which no approver can be
 * chosen), as a pure function so that each rule is unit-tested and the recipe only decides what to do
 * with the answer. Every problem is returned, not just the first.
 */
export function checkMdfRequest(
  request: CheckedRequest,
  partner: Pick<Partner, 'name' | 'marketingReady'>,
  rules: ProgrammeRules = DOMAIN_PROGRAMME_RULES,
): RuleProblem[] {
  const { minimum_request_usd: minimum, maximum_vendor_share: share } = rules;
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
  // D6: a value the PRM holds in a form that cannot be read for sure (prm-fields.ts) reaches the check as
  // sent: the partner is told the field, what it holds and how to write it, never left without an answer.
  for (const field of NUMBER_FIELDS) {
    const value = request[field];
    const label = MDF_REQUEST_FORM_LABELS[field];
    if (typeof value === 'string' && value.trim() !== '') problems.push({ rule: 'D6', field, message: unreadableNumber(label, value) });
    else if (typeof value === 'number' && value < 0) problems.push({ rule: 'D6', field, message: `${label} cannot be negative (it is ${value}).` });
    else if (field === 'targetContacts' && typeof value === 'number' && !Number.isInteger(value)) {
      problems.push({ rule: 'D6', field, message: `${label} must be a whole number (it is ${value}).` });
    }
  }
  for (const field of ['startDate', 'endDate'] as const) {
    const value = request[field];
    if (typeof value === 'string' && value.trim() !== '' && !isIsoDate(value)) problems.push({ rule: 'D6', field, message: unreadableDate(MDF_REQUEST_FORM_LABELS[field], value) });
  }
  const mode = request.deliveryMode;
  if (typeof mode === 'string' && mode.trim() !== '' && !ActivityDelivery.safeParse(mode).success) {
    problems.push({ rule: 'D6', field: 'deliveryMode', message: `${MDF_REQUEST_FORM_LABELS.deliveryMode} must be ${ActivityDelivery.options.join(' or ')} (it is "${mode}").` });
  }
  // D13: whether the activity draws on the flexi-budget depends on its country: one that is no country code cannot be
  // decided. Two letters that name no country (`XX`, a typo such as `DR` for DE) are none either: read as a country
  // outside every target market, they made the request flexi without a word.
  const country = request.activityCountry;
  if (typeof country === 'string' && country.trim() !== '' && !isCountryCode(country)) {
    problems.push({ rule: 'D13', field: 'activityCountry', message: `The Activity Country must be a two-letter country code (ISO 3166-1 alpha-2, e.g. DE); it is "${country}".` });
  } else if (typeof country === 'string' && isCountryCode(country) && countryName(country) === undefined) {
    problems.push({ rule: 'D13', field: 'activityCountry', message: `The Activity Country "${country}" is no country's code: give the two-letter code of the country where the activity takes place (ISO 3166-1 alpha-2, e.g. DE).` });
  }
  // D8: the approver is the CMM of the activity's region, never of the partner's home region, so a
  // request that does not say where the activity takes place cannot be routed.
  const region = request.activityRegion;
  if (region === undefined || region === null || (typeof region === 'string' && region.trim() === '')) {
    problems.push({ rule: 'D8', field: 'activityRegion', message: `${ACTIVITY_REGION_LABEL} is required: it decides which Channel Marketing Manager approves the request.` });
  } else if (!isRegionCode(region)) {
    problems.push({
      rule: 'D8',
      field: 'activityRegion',
      message: `${ACTIVITY_REGION_LABEL} must be a region code such as EMEA or AMER (it is ${JSON.stringify(region)}): it decides which Channel Marketing Manager approves the request.`,
    });
  }
  if (isIsoDate(request.startDate) && isIsoDate(request.endDate) && request.endDate < request.startDate) {
    problems.push({
      rule: 'D6',
      field: 'endDate',
      message: `The Expected End Date (${request.endDate}) is before the Expected Start Date (${request.startDate}).`,
    });
  }
  // Amounts are compared exactly, never rounded to the cent first (USD 999.999 is under USD 1,000), and the
  // amount the vendor pays is in whole cents, as a claim's is (D18): a fraction of a cent is an invalid field.
  // A negative number is told as such above (D6), never as under the minimum or short of the cost too.
  const amount = nonNegative(request.amountRequested);
  const cost = nonNegative(request.totalCost);
  const investment = nonNegative(request.partnerInvestment);
  if (amount === undefined) return problems;
  const exactAmount = exactUsd(amount);
  if (hasFractionOfCent(amount)) {
    problems.push({
      rule: 'D6',
      field: 'amountRequested',
      message: `The ${MDF_REQUEST_FORM_LABELS.amountRequested}, ${amount}, ${FRACTION_OF_CENT}: give it in dollars and whole cents, e.g. ${usd(downToTheCent(amount))}.`,
    });
  }
  if (compareExact(exactAmount, exactUsd(minimum)) < 0) {
    problems.push({ rule: 'D4', field: 'amountRequested', message: `The minimum MDF request is ${usd(minimum)}; this request asks for ${usd(amount)}.` });
  }
  // D5 whenever both numbers are there: a total cost of 0 allows no MDF at all.
  if (cost !== undefined) {
    // D5: the share of the cost, exactly; the most the partner may request is it rounded DOWN to the cent.
    const bound = shareOf(cost, share);
    if (compareExact(exactAmount, bound) > 0) {
      problems.push({
        rule: 'D5',
        field: 'amountRequested',
        message:
          cost > 0
            ? `MDF covers at most ${percentOf(share)} of the activity's total cost: ${usd(amount)} of ${usd(cost)} is ${shareOfCost(amount, cost, share)}. The most you can request is ${usd(centsDown(bound))}.`
            : `MDF covers at most ${percentOf(share)} of the activity's total cost, and the Total Cost (USD) is ${usd(cost)}: no MDF can be requested for it (this request asks for ${usd(amount)}).`,
      });
    }
    if (investment !== undefined && compareExact(addExact(exactUsd(investment), exactAmount), exactUsd(cost)) < 0) {
      problems.push({
        rule: 'D5',
        field: 'partnerInvestment',
        message: `The Partner Investment (${usd(investment)}) and the MDF amount (${usd(amount)}) do not cover the Total Cost (${usd(cost)}).`,
      });
    }
  }
  return problems;
}

/** The fields the check reads from a request: the 13 form fields (D6), the activity's region (D8) and country (D13). */
const CHECKED_FIELDS = [...(Object.keys(MDF_REQUEST_FORM_LABELS) as Array<keyof MdfRequestForm>), 'activityRegion', 'activityCountry'] as const;

/** Whether a field holds the same value in both (absent and null alike). */
const sameField = (a: CheckedRequest, b: CheckedRequest, field: (typeof CHECKED_FIELDS)[number]) => JSON.stringify(a[field] ?? null) === JSON.stringify(b[field] ?? null);

/**
 * D3–D6, D8 when an approver has decided: the request as the PRM holds it now, against the request as
 * its approvers were shown it (`sent`, which passed the intake check with the same partner and rules).
 *
 * Unchanged, it has no problem: the approver decided it as shown, and it is decided normally even when a
 * rule was made stricter in the code since it was routed (b81beee: a fraction of a cent in the amount, a
 * D6 problem at intake since then, passed before). Changed, every problem of the request as it is now
 * counts, except a fraction of a cent in an amount the approvers were shown: it was accepted when routed
 * and the approver decided that amount.
 */
export function checkMdfRequestAtDecision(
  now: CheckedRequest,
  sent: CheckedRequest,
  partner: Pick<Partner, 'name' | 'marketingReady'>,
  rules: ProgrammeRules = DOMAIN_PROGRAMME_RULES,
): RuleProblem[] {
  if (CHECKED_FIELDS.every((field) => sameField(now, sent, field))) return [];
  const problems = checkMdfRequest(now, partner, rules);
  if (!sameField(now, sent, 'amountRequested')) return problems;
  return problems.filter((p) => !(p.rule === 'D6' && p.field === 'amountRequested' && p.message.includes(FRACTION_OF_CENT)));
}

/** A request as the check takes it: the form's fields, the activity's region and country, and any other field the PRM has. */
const RequestToCheck = MdfRequestForm.extend({ activityRegion: z.string().nullish(), activityCountry: z.string().nullish() }).passthrough();

const CheckInput = z
  .object({
    request: RequestToCheck,
    partner: z.object({ name: z.string(), marketingReady: z.boolean() }).passthrough(),
    /** The `mdf-programme` table's row (extra columns such as `programme` are ignored). */
    rules: z
      .object({ minimum_request_usd: z.number().nonnegative(), maximum_vendor_share: z.number().gt(0).max(1) })
      .passthrough()
      .optional()
      .describe("The programme's numbers (the mdf-programme table's row). Absent only in runs of recipe versions from before the table: USD 1,000 and 50%, as docs/rules.md states D4 and D5."),
    sent_for_approval: RequestToCheck.optional().describe(
      "At an approver's decision: the request as its approvers were shown it. Unchanged since, the request has no problem (it passed the intake check and the approver decided it as shown); changed, every problem of it counts except a fraction of a cent in the amount they were shown. Absent at intake. Runs of mdf-request-approval v27 and older, which do not pass it, are checked against the request their latest approval email showed.",
    ),
  })
  .strict();

/** What the check reads from a run's journal: the request the run's latest approval email showed. */
export type JournalReader = Pick<Store, 'getJournal'>;

/**
 * The request the run's latest approval email (an `approval.request` step: `signal`, `template` and
 * `data.request`) showed its approver, for the same MDF number; undefined before any was sent (intake).
 * For runs of mdf-request-approval v27 and older, routed before a check at decision was given
 * `sent_for_approval`: such runs waiting over the deploy (b81beee's fraction of a cent) decide against
 * what their approver saw. Needed until no run of those versions is left.
 */
async function requestShownInRun(journal: JournalReader, runId: RunId, mdfNumber: unknown): Promise<CheckedRequest | undefined> {
  let shown: CheckedRequest | undefined;
  for (const entry of await journal.getJournal(runId)) {
    const input = entry.input as { signal?: unknown; template?: unknown; data?: { request?: { mdfNumber?: unknown } } } | null;
    if (entry.status !== 'completed' || entry.stepType !== 'action' || typeof input?.signal !== 'string' || typeof input.template !== 'string') continue;
    if (input.data?.request?.mdfNumber === undefined || input.data.request.mdfNumber !== mdfNumber) continue;
    const request = RequestToCheck.safeParse(input.data.request);
    if (request.success) shown = request.data;
  }
  return shown;
}

/** The mdf connection's part the check uses: the store's journals (absent where no engine runs). */
interface CheckConnection {
  journal?: JournalReader;
}

export const checkMdfRequestAction = defineAction({
  description: "Checks an MDF request against the programme rules D3–D6 and its activity region (D8); returns every problem found. At an approver's decision, against the request as the approvers were shown it.",
  input: CheckInput,
  output: z.object({ ok: z.boolean(), problems: z.array(RuleProblem), rules_broken: z.array(z.string()) }),
  idempotent: true,
  async run(input, ctx: ActionContext<CheckConnection>) {
    const rules = input.rules ?? DOMAIN_PROGRAMME_RULES;
    const journal = ctx.connection?.journal;
    const sent = input.sent_for_approval ?? (journal ? await requestShownInRun(journal, ctx.runId, input.request.mdfNumber) : undefined);
    const problems = sent === undefined ? checkMdfRequest(input.request, input.partner, rules) : checkMdfRequestAtDecision(input.request, sent, input.partner, rules);
    return { ok: problems.length === 0, problems, rules_broken: [...new Set(problems.map((p) => p.rule))] };
  },
});
