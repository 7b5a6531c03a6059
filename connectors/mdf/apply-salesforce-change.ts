import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { ChangedFundRecord } from '../salesforce/list-changed-fund-records.ts';
import type { MdfConnection } from './sync-fund-request.ts';
import {
  CLAIM_STATUS_FROM_SALESFORCE,
  REQUEST_STATUS_FROM_SALESFORCE,
  approvedAmount,
  reopensDecidedRequest,
  claimFieldSides,
  decideField,
  evidenceWithoutBase,
  requestFieldSides,
  type SyncBases,
} from './sync-rule.ts';

// The mappings and the rule live in sync-rule.ts, shared with the PRM → Salesforce syncs.
export { CLAIM_STATUS_FROM_SALESFORCE, REQUEST_STATUS_FROM_SALESFORCE } from './sync-rule.ts';

const Outcome = z.object({
  key: z.string(),
  found: z.boolean().describe('False when the PRM has no such request or claim (made in Salesforce only): nothing to do.'),
  changed: z.array(z.string()).describe('The PRM fields this change set, e.g. ["status"]; [] for an echo or when the PRM won.'),
  status: z.string().nullable().describe('The PRM status after the change.'),
  prm_won: z.boolean().describe('The PRM kept a value that differs from Salesforce (D1 sync rule: the PRM changed it, won the conflict, or cannot take it): Salesforce is to be written back.'),
  record: z.record(z.string(), z.unknown()).nullable().describe('The PRM record after the change.'),
  reopen_refused: z
    .boolean()
    .describe("True when Salesforce's Draft would have reopened a request the PRM has decided (Approved, Denied): the PRM keeps its decision (D11: a request is Open only from its submission), Salesforce is to be written back and ops told."),
});

/**
 * `mdf.apply_salesforce_change` (D1, Salesforce → PRM): brings a Funds Request's Status and Amount, or a
 * Funds Claim's Status, that someone changed in Salesforce into the PRM, keyed by the MDF number (the
 * claim key for a claim). Reads the PRM first and decides each field by the sync rule (sync-rule.ts)
 * against its sync base: only Salesforce changed it → written to the PRM; the PRM changed it too, or
 * cannot take it → `prm_won` (the recipe writes Salesforce back); both hold the same → nothing written
 * (an echo of the runtime's own write tells nobody). Each field that ends the same on both sides moves
 * its base. An edit of another PRM field (a purchase order number) is no change of the status. A
 * Salesforce Draft over a request the PRM has decided is not taken (`reopen_refused`, sync-rule.ts
 * `reopensDecidedRequest`): the recipe writes Salesforce back and tells ops.
 */
export const applySalesforceChange = defineAction({
  description: 'Writes a status or amount changed in Salesforce to the PRM request or claim, when it differs and the conflict rule lets it (D1).',
  input: z.object({ change: ChangedFundRecord }),
  output: Outcome,
  idempotent: true,
  uses: ['prm'],
  run: async ({ change }, ctx: ActionContext<MdfConnection>) => {
    const call = { signal: ctx.signal, note: ctx.note };
    const prm = ctx.connection.prm();
    const bases = ctx.connection.bases;
    const ref = { object: change.object, key: change.key };
    const theirs = { status: change.status, amount: change.amount };
    const moved: SyncBases = {};
    if (change.object === 'PartnerFundRequest') {
      const request = await prm.findMdfRequestByNumber(change.key, call);
      if (!request) {
        ctx.note(`the PRM has no MDF request ${change.key}; nothing to bring back`);
        return { key: change.key, found: false, changed: [], status: null, prm_won: false, record: null, reopen_refused: false };
      }
      const base = await bases.syncBases(ref);
      // The poll reads only changes by others than the integration (the old evidence, for records without a base).
      const evidence = evidenceWithoutBase(request.updated, { last_modified: change.last_modified, by_others: true });
      let current = request;
      const changed: string[] = [];
      let prmWon = false;
      const status = decideField(requestFieldSides(current, theirs, base, evidence).status);
      const reopenRefused = status.decision === 'to_salesforce' && reopensDecidedRequest(current.status, change.status ? REQUEST_STATUS_FROM_SALESFORCE[change.status] : undefined);
      if (status.decision === 'to_prm') {
        current = await prm.updateMdfRequestStatus(current.id, REQUEST_STATUS_FROM_SALESFORCE[change.status!]!, `Changed in Salesforce (${change.status})`, call);
        changed.push('status');
      } else if (status.decision === 'to_salesforce') {
        prmWon = true;
        ctx.note(`${change.key}: the PRM keeps ${current.status} over Salesforce's ${change.status} (${status.why}, D1)`);
      }
      if (status.decision !== 'to_salesforce') moved.status = { prm: current.status, salesforce: change.status };
      // The status just written moved the PRM's approved amount (approved: the amount; otherwise none): the
      // runtime's own write, so it is no PRM change of the amount.
      const amountBase = changed.includes('status') && base.amount ? { ...base, amount: { prm: approvedAmount(current), salesforce: base.amount.salesforce } } : base;
      const amount = decideField(requestFieldSides(current, theirs, amountBase, evidence).amount);
      if (amount.decision === 'to_prm') {
        current = await prm.updateMdfRequestAmount(current.id, change.amount!, call);
        changed.push('amountRequested');
      } else if (amount.decision === 'to_salesforce') {
        prmWon = true;
        ctx.note(`${change.key}: the PRM keeps the approved amount ${String(approvedAmount(current))} over Salesforce's ${String(change.amount)} (${amount.why}, D1)`);
      }
      if (amount.decision !== 'to_salesforce') moved.amount = { prm: approvedAmount(current), salesforce: change.amount };
      await bases.saveSyncBases({ ...ref, bases: moved, now: ctx.clock.now() });
      return { key: change.key, found: true, changed, status: current.status, prm_won: prmWon, record: current as unknown as Record<string, unknown>, reopen_refused: reopenRefused };
    }
    const claimId = Number(/(\d+)$/.exec(change.key)?.[1]);
    const claim = Number.isInteger(claimId) && claimId > 0 ? await prm.getMdfClaim(claimId, call).catch((e: unknown) => ((e as { status?: number }).status === 404 ? null : Promise.reject(e))) : null;
    if (!claim) {
      ctx.note(`the PRM has no MDF claim for key ${change.key}; nothing to bring back`);
      return { key: change.key, found: false, changed: [], status: null, prm_won: false, record: null, reopen_refused: false };
    }
    const evidence = evidenceWithoutBase(claim.updated, { last_modified: change.last_modified, by_others: true });
    const status = decideField(claimFieldSides(claim, theirs, await bases.syncBases(ref), evidence).status);
    if (status.decision === 'agree') {
      await bases.saveSyncBases({ ...ref, bases: { status: { prm: claim.status, salesforce: change.status } }, now: ctx.clock.now() });
      return { key: change.key, found: true, changed: [], status: claim.status, prm_won: false, record: claim as unknown as Record<string, unknown>, reopen_refused: false };
    }
    if (status.decision === 'to_salesforce') {
      ctx.note(`claim ${change.key}: the PRM keeps ${claim.status} over Salesforce's ${change.status} (${status.why}, D1)`);
      return { key: change.key, found: true, changed: [], status: claim.status, prm_won: true, record: claim as unknown as Record<string, unknown>, reopen_refused: false };
    }
    const updated = await prm.updateMdfClaimStatus(claim.id, CLAIM_STATUS_FROM_SALESFORCE[change.status!]!, `Changed in Salesforce (${change.status})`, call);
    await bases.saveSyncBases({ ...ref, bases: { status: { prm: updated.status, salesforce: change.status } }, now: ctx.clock.now() });
    return { key: change.key, found: true, changed: ['status'], status: updated.status, prm_won: false, record: updated as unknown as Record<string, unknown>, reopen_refused: false };
  },
});
