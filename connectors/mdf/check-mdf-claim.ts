import { z } from 'zod';
import { CLAIM_STATUS_REASON_MAX, ClaimAttachmentKind, claimTitleKey } from '../../schemas/domain/mdf-claim.ts';
import { cutToLength } from '../../schemas/domain/cut-to-length.ts';
import { defineAction } from '../kit/define-connector.ts';
import { usd } from '../../server/engine/expression.ts';
import { RuleProblem } from './check-mdf-request.ts';
import { addExact, compareExact, exactToNumber, exactUsd, hasFractionOfCent, subtractExact, type ExactAmount } from '../../server/engine/money.ts';
import { centsDown, downToTheCent, percentOf, shareOf } from './programme-money.ts';
import { isIsoDate, readPrmNumber, unreadableDate, unreadableNumber } from '../../schemas/domain/prm-fields.ts';
import { MDF_REQUEST_FORM_LABELS, MdfRequestStatus } from '../../schemas/domain/mdf-request.ts';

/** Money as the emails show it ($usd in templates): USD 1,000.50, USD 8,000. */
const money = (n: number) => usd(n) ?? String(n);

/** An exact amount as the emails show it. */
const moneyOf = (amount: ExactAmount) => money(exactToNumber(amount));

/** What is left of a bound after the other claims, in whole cents rounded down (an amount the partner can claim). */
const leftAfter = (bound: ExactAmount, claimed: ExactAmount) => Math.max(centsDown(subtractExact(bound, claimed)), 0);

/**
 * D15: a Paid Date later than today is refused, with this many days of tolerance: today is the runtime's
 * date in UTC, and a partner east of UTC may already be on the next day (a time-zone allowance, not a
 * programme rule ops set).
 */
export const PAID_DATE_TOLERANCE_DAYS = 1;

/** An ISO date (YYYY-MM-DD) plus whole days, as an ISO date. */
function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The attachments D15 requires on every claim; D16 names those missing. */
export const REQUIRED_ATTACHMENT_KINDS = ['POP', 'Lead List'] as const satisfies readonly ClaimAttachmentKind[];

/** The claim fields the check reads (the PRM record, extra fields ignored). */
export const CheckedClaim = z
  .object({
    id: z.number().int().positive(),
    mdfNumber: z.string(),
    title: z.string().nullish(),
    /** A number, or (prm-fields.ts) the text the PRM holds when it is not plainly one: told to the partner (D15). */
    amount: z.union([z.number(), z.string()]).nullish(),
    paidDate: z.string().nullish(),
    actualCosts: z.union([z.number(), z.string()]).nullish(),
    attachments: z.array(z.object({ kind: z.string() }).passthrough()).nullish(),
  })
  .passthrough();
export type CheckedClaim = z.infer<typeof CheckedClaim>;

/** The request the claim draws on: its status and approved amount. */
export const ClaimedRequest = z
  .object({
    mdfNumber: z.string(),
    status: MdfRequestStatus,
    // A number the PRM holds as text it is not plainly (prm-fields.ts) counts as none: the request's own intake told it.
    amountRequested: z.union([z.number(), z.string()]).nullish(),
    totalCost: z.union([z.number(), z.string()]).nullish(),
  })
  .passthrough();
export type ClaimedRequest = z.infer<typeof ClaimedRequest>;

/**
 * Another claim (from `prm.list_mdf_claims`): by title (D15) or against the same request (D18). Its Claim Amount
 * (D18, D19) and Actual Costs (D19) are read as the listing reads them (PrmMdfClaimSummary): plain number text is
 * that number, text that is not plainly one counts as none (its own intake told it).
 */
export const OtherClaim = z
  .object({
    id: z.number().int(),
    mdfNumber: z.string(),
    title: z.string().nullish(),
    status: z.string().optional(),
    amount: z.preprocess(readPrmNumber, z.number().nullish().catch(null)),
    actualCosts: z.preprocess(readPrmNumber, z.number().nullish().catch(null)),
  })
  .passthrough();
export type OtherClaim = z.infer<typeof OtherClaim>;

/**
 * The claim's own Actual Costs as the check decides them once: a number not below zero, 'told' when the
 * partner is told they are unreadable or negative (D15), null when the claim gives none.
 */
type OwnCosts = number | 'told' | null;

/**
 * D19: what the activity actually cost, as the claims of its request report it (a claim's Actual Costs are the
 * activity's, docs/systems.md, so the request's claims share one cap): the claim's own figure, the partner's
 * latest; without it, the latest figure a counted claim of the request gives, so leaving the field empty on a
 * second claim cannot raise the cap to the planned cost; with none, the request's planned Total Cost (D15's
 * form does not ask for Actual Costs); with neither, nothing (the approved amount, D18, is the bound).
 */
function activityCosts(ownCosts: OwnCosts, counted: readonly OtherClaim[], request: ClaimedRequest): { usd: number; named: string } | undefined {
  // The claim's own figure, unreadable or negative, is told to the partner (D15): no bound is made from another in its place.
  if (ownCosts === 'told') return undefined;
  if (ownCosts !== null) return { usd: ownCosts, named: `the Actual Costs (${money(ownCosts)})` };
  // Another claim's figure, read as its listing reads it (OtherClaim): a number or none.
  const reported = [...counted].sort((a, b) => b.id - a.id).find((other) => typeof other.actualCosts === 'number');
  if (reported?.actualCosts != null) {
    const usd = reported.actualCosts;
    return { usd, named: `the Actual Costs claim ${reported.id} gives (${money(usd)}), which count as this claim gives none` };
  }
  const totalCost = requestNumber(request, 'totalCost');
  if (totalCost !== null) return { usd: totalCost, named: `the request's Total Cost (${money(totalCost)}), which counts as no Actual Costs were given` };
  return undefined;
}

/**
 * A number of the request a bound of the claim is made from (D18's approved amount, D19's Total Cost): null
 * when blank. Text that is not plainly a number cannot bound anything, and the request passed its intake
 * with a number there (ops changed it since, or the PRM answers it in another form): the check fails for
 * ops to correct it rather than let the claim through unchecked.
 */
function requestNumber(request: ClaimedRequest, field: 'amountRequested' | 'totalCost'): number | null {
  const value = readPrmNumber(request[field]);
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  throw new Error(
    `MDF request ${request.mdfNumber}: its ${MDF_REQUEST_FORM_LABELS[field]} in the PRM is ${JSON.stringify(value)}, which is not plainly a number, so the claim cannot be checked against it (D18, D19): correct it in the PRM, then retry this run`,
  );
}

/** What the intake does with a claim: refuse it (every problem at once), and which attachments to ask for. */
export interface ClaimCheck {
  problems: RuleProblem[];
  /** D16: the required attachment kinds the claim lacks (told, but not a reason to refuse). */
  missing_attachments: string[];
  /** D15: the earlier claim that has the title, for ops (the run's journal) only: it may be another partner's. */
  title_taken_by: { id: number; mdf_number: string } | null;
}

/**
 * The MDF programme's claim rules as a pure function, so each is unit-tested and the recipe only acts on
 * the answer. A claim is refused (Denied with the reasons, docs/rules.md D15-D19) when:
 * - D12: its request is Canceled; D18: its request is not Approved otherwise (Open, Denied, or Closed by an
 *   approved claim): there is no approved amount left to claim;
 * - D15: a title, amount or paid date is missing, the paid date is after `today` (with a day of tolerance), or another, earlier claim not Denied has the same title
 *   (claimTitleKey: NFKC, case folded, whitespace runs one space): a refused claim gives its title back, so the partner can resubmit under it;
 *   the message names that claim only when it is against the same request (another may be another partner's);
 * - D18: the amount is zero or has a fraction of a cent, or it is over the request's approved amount, alone
 *   or with the request's other claims not Denied (equal is accepted): the earlier ones (lower PRM id, so
 *   the later of two claims submitted together is the one refused) and any approved or paid;
 * - D19: the amount is over the programme's share (the mdf-programme table's maximum_vendor_share, D5) of
 *   the activity's actual costs, alone or with the same other claims as D18 (the request's claims share one
 *   cap: each reports the activity's costs); without Actual Costs on the claim (D15's form does not require
 *   them), those of the latest counted claim giving them, else the request's Total Cost; with none, the
 *   approved amount (D18) is the bound.
 * Missing attachments (D16) are returned apart: the partner is asked for them, the claim is not refused.
 */
export function checkMdfClaim(
  claim: CheckedClaim,
  request: ClaimedRequest,
  rules: { maximum_vendor_share: number },
  sameTitle: readonly OtherClaim[] = [],
  requestClaims: readonly OtherClaim[] = [],
  today?: string,
): ClaimCheck {
  const problems: RuleProblem[] = [];
  const number = request.mdfNumber;
  if (request.status === 'Canceled') {
    problems.push({ rule: 'D12', field: null, message: `The MDF request ${number} was canceled, so no claim can be paid against it.` });
  } else if (request.status !== 'Approved') {
    // Closed names the approved claim that closed it, when there is one (an approval ops took back reopens the request).
    const approvedClaim = requestClaims.find((other) => other.id !== claim.id && (other.status === 'Approved' || other.status === 'Paid'));
    const why = request.status !== 'Closed' ? `is ${request.status}, not approved` : approvedClaim ? `is closed: claim ${approvedClaim.id} against it was approved` : 'is Closed';
    problems.push({ rule: 'D18', field: null, message: `The MDF request ${number} ${why}, so no claim can be paid against it.` });
  }
  // A title of characters never shown (a zero-width space) has an empty key: it shows nothing, so it is missing.
  const title = claimTitleKey(claim.title ?? '') === '' ? '' : (claim.title?.trim() ?? '');
  if (title === '') problems.push({ rule: 'D15', field: 'Claim Title', message: 'The Claim Title is missing.' });
  // Only an earlier claim (a lower PRM id) takes a title: the later of two is the duplicate, whichever event arrives first.
  const taken = title === '' ? undefined : sameTitle.find((other) => other.id < claim.id && other.status !== 'Denied' && claimTitleKey(other.title ?? '') === claimTitleKey(title));
  if (taken) {
    // Titles are unique among every partner's claims, and the partner reads this (the email, and the Status Reason in its
    // portal): only a claim against the same request, surely the partner's own, is named; another may be another partner's.
    const by = taken.mdfNumber === number ? `claim ${taken.id} against ${taken.mdfNumber} ("${taken.title?.trim()}")` : 'another claim';
    problems.push({
      rule: 'D15',
      field: 'Claim Title',
      message: `The Claim Title "${title}" is already used by ${by}; titles must be unique among all claims (letter case, spacing and the way accents are typed do not count). Please submit the claim again with another title.`,
    });
  }
  const paidDate = claim.paidDate?.trim() ?? '';
  if (paidDate === '') problems.push({ rule: 'D15', field: 'Paid Date', message: 'The Paid Date is missing.' });
  else if (!isIsoDate(paidDate)) problems.push({ rule: 'D15', field: 'Paid Date', message: unreadableDate('The Paid Date', paidDate) });
  else if (today !== undefined && paidDate > addDays(today, PAID_DATE_TOLERANCE_DAYS)) {
    problems.push({ rule: 'D15', field: 'Paid Date', message: `The Paid Date (${paidDate}) is in the future: give the date the costs were paid, no later than today (${today}).` });
  }
  // A number the PRM holds as text that is not plainly one (prm-fields.ts) is told as such; blank text is missing.
  const amount = typeof claim.amount === 'string' && claim.amount.trim() === '' ? null : claim.amount;
  const actualCosts = claim.actualCosts;
  let ownCosts: OwnCosts = null;
  if (typeof actualCosts === 'string' && actualCosts.trim() !== '') {
    problems.push({ rule: 'D15', field: 'Actual Costs', message: unreadableNumber('The Actual Costs', actualCosts) });
    ownCosts = 'told';
  } else if (typeof actualCosts === 'number' && actualCosts < 0) {
    problems.push({ rule: 'D15', field: 'Actual Costs', message: `The Actual Costs cannot be negative (they are ${money(actualCosts)}).` });
    ownCosts = 'told';
  } else if (typeof actualCosts === 'number') {
    ownCosts = actualCosts;
  }
  if (amount === null || amount === undefined) {
    problems.push({ rule: 'D15', field: 'Claim Amount', message: 'The Claim Amount is missing.' });
  } else if (typeof amount === 'string') {
    problems.push({ rule: 'D15', field: 'Claim Amount', message: unreadableNumber('The Claim Amount', amount) });
  } else if (compareExact(exactUsd(amount), exactUsd(0)) <= 0) {
    // Compared as the exact amount, as every bound is: 1e-9 is floating point noise around USD 0 (money.ts), not a claim.
    problems.push({ rule: 'D18', field: 'Claim Amount', message: `The Claim Amount is ${moneyOf(exactUsd(amount))}: there is nothing to reimburse.` });
  } else {
    // A fraction of a cent is told, and the amount is still compared exactly with the bounds (every problem at once):
    // never rounded to the cent first, as a request's (D4, D5).
    if (hasFractionOfCent(amount)) {
      problems.push({ rule: 'D18', field: 'Claim Amount', message: `The Claim Amount (${amount}) has a fraction of a cent: give it in dollars and whole cents, e.g. ${money(downToTheCent(amount))}.` });
    }
    // The request's other claims that count against it (D18, D19): not Denied, and earlier (a lower PRM id, so the
    // later of two claims submitted together is the one refused) or already approved or paid.
    const counted = requestClaims.filter(
      (other) => other.id !== claim.id && other.status !== 'Denied' && (other.id < claim.id || other.status === 'Approved' || other.status === 'Paid'),
    );
    // Another claim's amount, read as its listing reads it (OtherClaim): a number or none.
    const claimed = counted.reduce((sum, other) => addExact(sum, exactUsd(other.amount ?? 0)), exactUsd(0));
    const exactAmount = exactUsd(amount);
    const total = addExact(claimed, exactAmount);
    const others = counted.map((other) => `claim ${other.id}${other.amount != null ? `: ${money(other.amount)}` : ''}`).join(', ');
    const leftOf = (bound: ExactAmount) => {
      const left = leftAfter(bound, claimed);
      return left > 0 ? `at most ${money(left)} is left to claim` : 'nothing is left to claim';
    };
    // D18's bound only for an Approved request: another is refused above, with no approved amount left to claim.
    const approved = request.status === 'Approved' ? requestNumber(request, 'amountRequested') : null;
    if (approved !== null) {
      const exactApproved = exactUsd(approved);
      if (compareExact(exactAmount, exactApproved) > 0) {
        problems.push({ rule: 'D18', field: 'Claim Amount', message: `The Claim Amount (${money(amount)}) is more than the ${money(approved)} approved for ${number}.` });
      } else if (compareExact(total, exactApproved) > 0) {
        problems.push({
          rule: 'D18',
          field: 'Claim Amount',
          message: `The Claim Amount (${money(amount)}) and the other claims against ${number} (${others}) come to ${moneyOf(total)}, more than the ${money(approved)} approved: ${leftOf(exactApproved)}.`,
        });
      }
    }
    const costs = activityCosts(ownCosts, counted, request);
    if (costs) {
      const share = rules.maximum_vendor_share;
      // D19: the share of the costs, exactly (half of USD 1,999.995 is 999.9975); the partner is told it rounded down to the cent.
      const bound = shareOf(costs.usd, share);
      if (compareExact(exactAmount, bound) > 0) {
        problems.push({
          rule: 'D19',
          field: 'Claim Amount',
          message: `The Claim Amount (${money(amount)}) is more than ${percentOf(share)} of ${costs.named}: at most ${money(centsDown(bound))} can be claimed.`,
        });
      } else if (compareExact(total, bound) > 0) {
        problems.push({
          rule: 'D19',
          field: 'Claim Amount',
          message: `The Claim Amount (${money(amount)}) and the other claims against ${number} (${others}) come to ${moneyOf(total)}, more than ${percentOf(share)} of ${costs.named}: ${leftOf(bound)}.`,
        });
      }
    }
  }
  const kinds = new Set((claim.attachments ?? []).map((a) => a.kind));
  const missing_attachments = REQUIRED_ATTACHMENT_KINDS.filter((kind) => !kinds.has(kind));
  return { problems, missing_attachments, title_taken_by: taken ? { id: taken.id, mdf_number: taken.mdfNumber } : null };
}

/**
 * `mdf.check_claim` (D12, D15, D16, D18, D19): checks a submitted claim against its request, the programme's
 * share and the other claims with its title. `reason` is what the PRM's Status Reason gets when refused.
 */
export const checkMdfClaimAction = defineAction({
  description: 'Checks an MDF claim against its request (D12, D18), the programme share of the actual costs (D19), its required fields and unique title (D15); lists missing attachments (D16).',
  input: z
    .object({
      claim: CheckedClaim,
      request: ClaimedRequest,
      rules: z.object({ maximum_vendor_share: z.number().gt(0).max(1) }).passthrough().describe("The mdf-programme table's row: maximum_vendor_share (D5, D19)."),
      same_title: z.array(OtherClaim).default([]).describe('Other claims with this title (prm.list_mdf_claims by title).'),
      request_claims: z.array(OtherClaim).default([]).describe("The request's claims (prm.list_mdf_claims by mdf_number): D18 counts their amounts, except Denied ones."),
    })
    .strict(),
  output: z.object({
    ok: z.boolean().describe('True when nothing refuses the claim.'),
    problems: z.array(RuleProblem),
    rules_broken: z.array(z.string()),
    reason: z.string().describe('The problems in one sentence list, for the claim\'s Status Reason ("" when ok), cut with … to the 4,000 characters the PRM field holds.'),
    missing_attachments: z.array(z.string()).describe('D16: the required attachment kinds the claim lacks (POP, Lead List).'),
    title_taken_by: z
      .object({ id: z.number().int(), mdf_number: z.string() })
      .nullable()
      .describe("D15: the earlier claim that has the title, for ops (the run's journal); never for the partner, as it may be another partner's."),
  }),
  idempotent: true,
  async run(input, ctx) {
    // D15: today, the runtime's date (UTC): a Paid Date after it (beyond a day's tolerance) is refused. The
    // runtime always gives a clock; a bare call (a unit test of the other rules) checks no date against today.
    const now = (ctx as { clock?: { now(): number } } | undefined)?.clock?.now();
    const today = now === undefined ? undefined : new Date(now).toISOString().slice(0, 10);
    const { problems, missing_attachments, title_taken_by } = checkMdfClaim(input.claim, input.request, input.rules, input.same_title, input.request_claims, today);
    const rules_broken = [...new Set(problems.map((p) => p.rule))];
    // Cut to what the PRM's Status Reason holds (a long title quoted once or twice would fail the denial's write and
    // leave the claim Open); the partner's email has every reason whole.
    const reason = problems.length ? cutToLength(`Refused (${rules_broken.join(', ')}): ${problems.map((p) => p.message).join(' ')}`, CLAIM_STATUS_REASON_MAX) : '';
    return { ok: problems.length === 0, problems, rules_broken, reason, missing_attachments, title_taken_by };
  },
});
