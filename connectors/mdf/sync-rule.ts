import type { MdfClaimStatus } from '../../schemas/domain/mdf-claim.ts';
import type { MdfRequestStatus } from '../../schemas/domain/mdf-request.ts';
import { stampMillis } from '../../schemas/domain/source-stamp.ts';

/**
 * The two-way sync rule (D1, README "Two-way sync with Salesforce (D1)"), in one place and pure: both
 * directions (`mdf.apply_salesforce_change`, Salesforce → PRM; `mdf.sync_fund_request` and
 * `mdf.sync_fund_claim`, PRM → Salesforce) decide each field of a record with `decideField`.
 *
 * Per record and field the runtime keeps a **sync base**: the value both sides last agreed on (the
 * store's `sync_bases`, each side's value in its own terms). A side changed when its value differs
 * from its base; the runtime's own writes move the base with them, so they never count as changes
 * (no echoes). Then:
 * - the two sides say the same → `agree`: just move the base (both changed to the same value, or an echo);
 * - only Salesforce changed → `to_prm`: the PRM takes Salesforce's value;
 * - only the PRM changed → `to_salesforce`: the PRM → Salesforce sync writes it;
 * - both changed to different values → the conflict winner (`lifecycleWinner` for a status: the
 *   further stage wins, at the same stage the PRM; the PRM for an amount), and the loser's side is written.
 * Salesforce's value is never taken where the PRM cannot take it (`prmCanTake`: over a final PRM status,
 * a Draft over a decided request, or an Amount of a request that is not approved): the PRM's value is
 * written back instead.
 */

/** One field's value on one side: a status, an amount, or null (none). */
export type SyncValue = string | number | null;

/** The values of one field both sides last agreed on, each in its own terms (PRM `Closed`, Salesforce `Approved`). */
export interface SyncBase {
  prm: SyncValue;
  salesforce: SyncValue;
}

/** What the sync knows about one field of one record when it decides. */
export interface FieldSides {
  prm: SyncValue;
  salesforce: SyncValue;
  /** The PRM's value, shown as Salesforce shows it, equals Salesforce's value. */
  same: boolean;
  /** The base kept for this field; null for a record last synced before the runtime kept bases. */
  base: SyncBase | null;
  /**
   * Only without a base (records synced before bases were kept), the old evidence: someone other than
   * the integration wrote the Salesforce record last, and the PRM record was edited after that
   * (whole-second stamps: the same second counts as before, most often the runtime's own write).
   */
  withoutBase: { salesforceByOthers: boolean; prmEditedAfter: boolean };
  /** Whether the PRM may take Salesforce's value at all (not over a final status; no Draft over a decided request; an Amount only for an approved request). */
  prmCanTake: boolean;
  /** Who wins when both changed to different values. */
  conflictWinner: 'prm' | 'salesforce';
}

/** What to do with one field: move the base only, write Salesforce's value to the PRM, or the PRM's to Salesforce. */
export type SyncDecision = 'agree' | 'to_prm' | 'to_salesforce';

/** A decision with the changes it was made from, and why (for a journal note). */
export interface FieldDecision {
  decision: SyncDecision;
  prmChanged: boolean;
  salesforceChanged: boolean;
  why: string;
}

/** Which sides changed the field since the base (or, without one, by the old evidence). */
export function changedSides(f: Pick<FieldSides, 'prm' | 'salesforce' | 'base' | 'withoutBase'>): { prm: boolean; salesforce: boolean } {
  if (f.base) return { prm: f.prm !== f.base.prm, salesforce: f.salesforce !== f.base.salesforce };
  return { prm: f.withoutBase.prmEditedAfter, salesforce: f.withoutBase.salesforceByOthers };
}

/** The three-way rule for one field (see the top of this file). */
export function decideField(f: FieldSides): FieldDecision {
  const { prm, salesforce } = changedSides(f);
  const at = { prmChanged: prm, salesforceChanged: salesforce };
  if (f.same) return { decision: 'agree', ...at, why: 'both sides hold the same value' };
  if (salesforce && !prm) {
    return f.prmCanTake
      ? { decision: 'to_prm', ...at, why: 'only Salesforce changed it' }
      : { decision: 'to_salesforce', ...at, why: 'only Salesforce changed it, but the PRM cannot take that value here' };
  }
  if (salesforce && prm) {
    return f.conflictWinner === 'salesforce' && f.prmCanTake
      ? { decision: 'to_prm', ...at, why: 'both changed it: Salesforce wins under the conflict rule' }
      : { decision: 'to_salesforce', ...at, why: 'both changed it: the PRM wins under the conflict rule' };
  }
  // Only the PRM changed it, or neither did although the sides differ (the PRM is the record of truth).
  return { decision: 'to_salesforce', ...at, why: prm ? 'only the PRM changed it' : 'the sides differ without a change: the PRM is the record of truth' };
}

/**
 * How far along its lifecycle a status is (D11, D18): Open, then decided (Approved or Denied), then
 * final (Closed, Canceled for a request; Paid for a claim).
 */
const STAGE: Record<string, number> = { Open: 0, Approved: 1, Denied: 1, Closed: 2, Canceled: 2, Paid: 2 };

/** The conflict rule for a status both sides changed: the status further along the lifecycle wins; at the same stage the PRM, the record of truth for MDF. */
export function lifecycleWinner(prmStatus: string, salesforceStatusInPrm: string): 'prm' | 'salesforce' {
  return (STAGE[salesforceStatusInPrm] ?? 0) > (STAGE[prmStatus] ?? 0) ? 'salesforce' : 'prm';
}

/** Whether a PRM status is final (Closed, Canceled, a claim's Paid): Salesforce never moves it back. */
export function isFinalStatus(status: string): boolean {
  return (STAGE[status] ?? 0) >= 2;
}

/**
 * D1, D11: whether Salesforce's status would take a decided request (Approved, Denied) back to Open. A
 * request is Open only from its submission: only a submission starts an approval run, so a request
 * reopened from Salesforce's Draft would sit Open with nobody asked to decide it (its claim refused, its
 * claim reminders stopped) while the partner believes it decided. The PRM keeps its decision, and the
 * poll's recipe tells ops, who change it in the PRM if it is to change.
 */
export function reopensDecidedRequest(prmStatus: MdfRequestStatus, salesforceStatusInPrm: MdfRequestStatus | undefined): boolean {
  return salesforceStatusInPrm === 'Open' && (prmStatus === 'Approved' || prmStatus === 'Denied');
}

/** D1: a Funds Request's Salesforce Status as the PRM's request status. */
export const REQUEST_STATUS_FROM_SALESFORCE: Record<string, MdfRequestStatus> = { Draft: 'Open', Approved: 'Approved', Rejected: 'Denied' };
/** D1: a Funds Claim's Salesforce Status as the PRM's claim status. */
export const CLAIM_STATUS_FROM_SALESFORCE: Record<string, MdfClaimStatus> = { Draft: 'Open', Approved: 'Approved', Rejected: 'Denied', Paid: 'Paid' };
/** D1: what Salesforce shows for a PRM request status (Closed, approved then claimed, is Approved; Canceled is Rejected). */
export const REQUEST_STATUS_IN_SALESFORCE: Readonly<Record<MdfRequestStatus, 'Draft' | 'Approved' | 'Rejected'>> = { Open: 'Draft', Approved: 'Approved', Closed: 'Approved', Denied: 'Rejected', Canceled: 'Rejected' };
/** D1: what Salesforce shows for a PRM claim status. */
export const CLAIM_STATUS_IN_SALESFORCE: Readonly<Record<MdfClaimStatus, 'Draft' | 'Approved' | 'Rejected' | 'Paid'>> = { Open: 'Draft', Approved: 'Approved', Denied: 'Rejected', Paid: 'Paid' };

/** A request's approved amount as Salesforce's Amount shows it: its amount while Approved or Closed, otherwise none. */
export function approvedAmount(request: { status: MdfRequestStatus; amountRequested?: number | string | null | undefined }): number | null {
  const approved = request.status === 'Approved' || request.status === 'Closed';
  // An amount the PRM holds as text that is not plainly a number (prm-fields.ts) is none.
  return approved && typeof request.amountRequested === 'number' && request.amountRequested ? request.amountRequested : null;
}

/** The fields of a record the sync keeps in step, and their bases, by field name. */
export type SyncBases = Partial<Record<string, SyncBase>>;
/** The old evidence for records without a base (see `FieldSides.withoutBase`). */
export type WithoutBase = FieldSides['withoutBase'];

/** A Funds Request's fields as the sync sees them: `status` and `amount` (the approved amount). */
export function requestFieldSides(
  request: { status: MdfRequestStatus; amountRequested?: number | string | null | undefined },
  salesforce: { status: string | null; amount: number | null },
  bases: SyncBases,
  withoutBase: WithoutBase,
): { status: FieldSides; amount: FieldSides } {
  const theirs = salesforce.status ? REQUEST_STATUS_FROM_SALESFORCE[salesforce.status] : undefined;
  const amount = approvedAmount(request);
  const approved = request.status === 'Approved' || request.status === 'Closed';
  return {
    status: {
      prm: request.status,
      salesforce: salesforce.status,
      same: REQUEST_STATUS_IN_SALESFORCE[request.status] === salesforce.status,
      base: bases.status ?? null,
      withoutBase,
      prmCanTake: theirs !== undefined && !isFinalStatus(request.status) && !reopensDecidedRequest(request.status, theirs),
      conflictWinner: theirs ? lifecycleWinner(request.status, theirs) : 'prm',
    },
    amount: {
      prm: amount,
      salesforce: salesforce.amount,
      same: amount === salesforce.amount,
      base: bases.amount ?? null,
      withoutBase,
      // The Amount is the approved amount: it means something only while the request is approved.
      prmCanTake: approved && salesforce.amount !== null,
      conflictWinner: 'prm',
    },
  };
}

/** A Funds Claim's one synced field as the sync sees it: `status`. */
export function claimFieldSides(claim: { status: MdfClaimStatus }, salesforce: { status: string | null }, bases: SyncBases, withoutBase: WithoutBase): { status: FieldSides } {
  const theirs = salesforce.status ? CLAIM_STATUS_FROM_SALESFORCE[salesforce.status] : undefined;
  return {
    status: {
      prm: claim.status,
      salesforce: salesforce.status,
      same: CLAIM_STATUS_IN_SALESFORCE[claim.status] === salesforce.status,
      base: bases.status ?? null,
      withoutBase,
      prmCanTake: theirs !== undefined && !isFinalStatus(claim.status),
      conflictWinner: theirs ? lifecycleWinner(claim.status, theirs) : 'prm',
    },
  };
}


/**
 * The old evidence for a record without a base: who wrote Salesforce last, and whether the PRM was edited
 * after it. A PRM record without an Updated stamp (imported, never written through the API since) was not.
 */
export function evidenceWithoutBase(prmUpdated: string | null, salesforce: { last_modified: string; by_others: boolean }): WithoutBase {
  return { salesforceByOthers: salesforce.by_others, prmEditedAfter: (stampMillis(prmUpdated) ?? Number.NaN) > (stampMillis(salesforce.last_modified) ?? Number.NaN) };
}
