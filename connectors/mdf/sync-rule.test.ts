import { describe, expect, it } from 'vitest';
import { claimFieldSides, decideField, lifecycleWinner, requestFieldSides, type FieldSides, type SyncBases } from './sync-rule.ts';

/** The two-way sync rule (D1), case by case: pure functions, no systems. */
const noEvidence = { salesforceByOthers: false, prmEditedAfter: false };
const approvedBase: SyncBases = { status: { prm: 'Approved', salesforce: 'Approved' }, amount: { prm: 10000, salesforce: 10000 } };
const request = (status: 'Open' | 'Approved' | 'Denied' | 'Closed' | 'Canceled', amountRequested: number | null = 10000) => ({ status, amountRequested });

describe('D1 sync rule: one field, three ways (base, PRM, Salesforce)', () => {
  it('D1: both sides hold the base: agree (nothing to write)', () => {
    const { status, amount } = requestFieldSides(request('Approved'), { status: 'Approved', amount: 10000 }, approvedBase, noEvidence);
    expect(decideField(status)).toMatchObject({ decision: 'agree', prmChanged: false, salesforceChanged: false });
    expect(decideField(amount).decision).toBe('agree');
  });

  it("D1: only Salesforce changed (finance's Rejected): the PRM takes it, whatever else ops edited in the PRM record", () => {
    const { status } = requestFieldSides(request('Approved'), { status: 'Rejected', amount: 10000 }, approvedBase, { salesforceByOthers: true, prmEditedAfter: true });
    expect(decideField(status)).toMatchObject({ decision: 'to_prm', prmChanged: false, salesforceChanged: true });
    const claim = claimFieldSides({ status: 'Approved' }, { status: 'Rejected' }, { status: { prm: 'Approved', salesforce: 'Approved' } }, noEvidence);
    expect(decideField(claim.status).decision).toBe('to_prm');
  });

  it("D1: only Salesforce changed the Amount (finance's new approved amount): the PRM takes it", () => {
    const { amount } = requestFieldSides(request('Approved'), { status: 'Approved', amount: 8000 }, approvedBase, noEvidence);
    expect(decideField(amount)).toMatchObject({ decision: 'to_prm', prmChanged: false, salesforceChanged: true });
  });

  it('D1: only the PRM changed: the PRM → Salesforce sync writes it (a decision, a new amount)', () => {
    const { status, amount } = requestFieldSides(request('Denied'), { status: 'Approved', amount: 10000 }, approvedBase, noEvidence);
    expect(decideField(status)).toMatchObject({ decision: 'to_salesforce', prmChanged: true, salesforceChanged: false });
    // Denied: no approved amount any more, so the Amount is cleared in Salesforce.
    expect(decideField(amount)).toMatchObject({ decision: 'to_salesforce', prmChanged: true });
  });

  it("D1, D11: only Salesforce changed the status to Draft of a decided request: the PRM cannot take it (a request is Open only from its submission), so the PRM's is written back", () => {
    const deniedBase: SyncBases = { status: { prm: 'Denied', salesforce: 'Rejected' } };
    expect(decideField(requestFieldSides(request('Approved'), { status: 'Draft', amount: null }, approvedBase, noEvidence).status)).toMatchObject({ decision: 'to_salesforce', prmChanged: false, salesforceChanged: true });
    expect(decideField(requestFieldSides(request('Denied'), { status: 'Draft', amount: null }, deniedBase, noEvidence).status)).toMatchObject({ decision: 'to_salesforce', prmChanged: false, salesforceChanged: true });
  });

  it('D1: both changed to different values: the status further along the lifecycle wins (Paid over Approved; Approved over Open)', () => {
    const claimBase: SyncBases = { status: { prm: 'Open', salesforce: 'Draft' } };
    expect(decideField(claimFieldSides({ status: 'Approved' }, { status: 'Paid' }, claimBase, noEvidence).status).decision).toBe('to_prm');
    expect(decideField(claimFieldSides({ status: 'Paid' }, { status: 'Approved' }, claimBase, noEvidence).status).decision).toBe('to_salesforce');
    const openBase: SyncBases = { status: { prm: 'Denied', salesforce: 'Rejected' } };
    expect(decideField(requestFieldSides(request('Open'), { status: 'Approved', amount: null }, openBase, noEvidence).status).decision).toBe('to_prm');
    expect(decideField(requestFieldSides(request('Approved'), { status: 'Draft', amount: null }, openBase, noEvidence).status).decision).toBe('to_salesforce');
  });

  it('D1: both changed to different values at the same stage (Approved against Rejected): the PRM wins; an Amount both changed: the PRM wins', () => {
    const draftBase: SyncBases = { status: { prm: 'Open', salesforce: 'Draft' }, amount: { prm: null, salesforce: null } };
    const both = requestFieldSides(request('Approved'), { status: 'Rejected', amount: 9000 }, draftBase, noEvidence);
    expect(decideField(both.status)).toMatchObject({ decision: 'to_salesforce', prmChanged: true, salesforceChanged: true });
    expect(decideField(both.amount)).toMatchObject({ decision: 'to_salesforce', prmChanged: true, salesforceChanged: true });
    expect(lifecycleWinner('Approved', 'Denied')).toBe('prm');
    expect(lifecycleWinner('Denied', 'Approved')).toBe('prm');
    expect(lifecycleWinner('Approved', 'Paid')).toBe('salesforce');
  });

  it('D1: both changed to the same value: agree (just move the base); a PRM Closed is Approved in Salesforce', () => {
    const { status } = requestFieldSides(request('Denied'), { status: 'Rejected', amount: null }, approvedBase, noEvidence);
    expect(decideField(status)).toMatchObject({ decision: 'agree', prmChanged: true, salesforceChanged: true });
    expect(decideField(requestFieldSides(request('Closed'), { status: 'Approved', amount: 10000 }, approvedBase, noEvidence).status).decision).toBe('agree');
  });

  it("D1 echo: the runtime's own write moved the base with it, so it is no change on either side", () => {
    // The apply wrote Denied into the PRM and moved the base to {Denied, Rejected}: both sides hold it.
    const { status } = requestFieldSides(request('Denied'), { status: 'Rejected', amount: null }, { status: { prm: 'Denied', salesforce: 'Rejected' } }, { salesforceByOthers: true, prmEditedAfter: true });
    expect(decideField(status)).toMatchObject({ decision: 'agree', prmChanged: false, salesforceChanged: false });
  });

  it("D1: a final PRM status (Closed, Canceled, a claim's Paid) never takes Salesforce's value: the PRM's is written back", () => {
    const canceled = requestFieldSides(request('Canceled'), { status: 'Approved', amount: 10000 }, { status: { prm: 'Canceled', salesforce: 'Rejected' } }, noEvidence);
    expect(decideField(canceled.status)).toMatchObject({ decision: 'to_salesforce', salesforceChanged: true, prmChanged: false });
    const paid = claimFieldSides({ status: 'Paid' }, { status: 'Approved' }, { status: { prm: 'Paid', salesforce: 'Paid' } }, noEvidence);
    expect(decideField(paid.status).decision).toBe('to_salesforce');
  });

  it('D1: an Amount the PRM cannot take (the request is not approved, or Salesforce cleared it) is written back', () => {
    const open = requestFieldSides(request('Open'), { status: 'Draft', amount: 8000 }, { amount: { prm: null, salesforce: null } }, noEvidence);
    expect(decideField(open.amount)).toMatchObject({ decision: 'to_salesforce', salesforceChanged: true });
    const cleared = requestFieldSides(request('Approved'), { status: 'Approved', amount: null }, approvedBase, noEvidence);
    expect(decideField(cleared.amount).decision).toBe('to_salesforce');
  });

  it('D1 without a base (a record synced before bases were kept): Salesforce changed when others wrote it last, the PRM when edited after that', () => {
    const sides = (evidence: FieldSides['withoutBase']) => requestFieldSides(request('Approved'), { status: 'Rejected', amount: 10000 }, {}, evidence).status;
    expect(decideField(sides({ salesforceByOthers: true, prmEditedAfter: false })).decision).toBe('to_prm');
    expect(decideField(sides({ salesforceByOthers: true, prmEditedAfter: true }))).toMatchObject({ decision: 'to_salesforce', prmChanged: true, salesforceChanged: true });
    expect(decideField(sides({ salesforceByOthers: false, prmEditedAfter: false })).decision).toBe('to_salesforce');
  });
});
