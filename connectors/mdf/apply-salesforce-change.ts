import { z } from 'zod';
import type { MdfClaimStatus } from '../../schemas/domain/mdf-claim.ts';
import type { MdfRequestStatus } from '../../schemas/domain/mdf-request.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { ChangedFundRecord } from '../salesforce/list-changed-fund-records.ts';
import type { MdfConnection } from './sync-fund-request.ts';

/** D1: a Funds Request's Salesforce Status as the PRM's request status. */
export const REQUEST_STATUS_FROM_SALESFORCE: Record<string, MdfRequestStatus> = { Draft: 'Open', Approved: 'Approved', Rejected: 'Denied' };
/** D1: a Funds Claim's Salesforce Status as the PRM's claim status. */
export const CLAIM_STATUS_FROM_SALESFORCE: Record<string, MdfClaimStatus> = { Draft: 'Open', Approved: 'Approved', Rejected: 'Denied', Paid: 'Paid' };

/**
 * How far along its lifecycle a status is (D11, D18): Open, then decided (Approved or Denied), then
 * final (Closed, Canceled for a request; Paid for a claim).
 */
const STAGE: Record<string, number> = { Open: 0, Approved: 1, Denied: 1, Closed: 2, Canceled: 2, Paid: 2 };

/** What Salesforce shows for a PRM request status (the PRM → Salesforce sync's mapping, fund-request.ts). */
const REQUEST_STATUS_IN_SALESFORCE: Record<MdfRequestStatus, string> = { Open: 'Draft', Approved: 'Approved', Closed: 'Approved', Denied: 'Rejected', Canceled: 'Rejected' };

/**
 * The conflict rule (D1, README "Two-way sync with Salesforce"). A Salesforce change the PRM has not
 * seen is applied, unless the PRM's status is final (Closed, Canceled: Salesforce has no such status).
 * When the PRM record changed after the Salesforce change (both sides changed it at once), the
 * status further along the lifecycle wins (Paid beats Approved beats Open); at the same stage
 * (Approved against Denied) the PRM, the record of truth for MDF, wins.
 */
export function salesforceWins(prm: { status: string; changedAt: number }, salesforce: { status: string; changedAt: number }): boolean {
  const [p, s] = [STAGE[prm.status] ?? 0, STAGE[salesforce.status] ?? 0];
  // A tie goes to Salesforce: the PRM's stamp in the same second is most often the runtime's own write
  // of an earlier Salesforce change, and stamps have whole seconds only.
  const bothChanged = prm.changedAt > salesforce.changedAt;
  if (!bothChanged) return p < 2 || s > p;
  return s > p;
}

/** A PRM or Salesforce time in epoch ms; the PRM's zone-less stamps are UTC. */
export function stampOf(value: string): number {
  const iso = value.includes('T') ? value : value.replace(' ', 'T');
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`;
  return Date.parse(zoned.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

const Outcome = z.object({
  key: z.string(),
  found: z.boolean().describe('False when the PRM has no such request or claim (made in Salesforce only): nothing to do.'),
  changed: z.array(z.string()).describe('The PRM fields this change set, e.g. ["status"]; [] for an echo or when the PRM won.'),
  status: z.string().nullable().describe('The PRM status after the change.'),
  prm_won: z.boolean().describe('The PRM kept a value that differs from Salesforce (conflict rule): Salesforce is to be written back.'),
  record: z.record(z.string(), z.unknown()).nullable().describe('The PRM record after the change.'),
});

/**
 * `mdf.apply_salesforce_change` (D1, Salesforce → PRM): brings a Funds Request's Status and Amount, or a
 * Funds Claim's Status, that someone changed in Salesforce into the PRM, keyed by the MDF number (the
 * claim key for a claim). Reads the PRM first and writes only what differs, so an echo of the
 * runtime's own write that slips through writes nothing (and the recipe tells nobody); a conflict is
 * settled by `salesforceWins`.
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
    const changedAt = stampOf(change.last_modified);
    if (change.object === 'PartnerFundRequest') {
      const request = await prm.findMdfRequestByNumber(change.key, call);
      if (!request) {
        ctx.note(`the PRM has no MDF request ${change.key}; nothing to bring back`);
        return { key: change.key, found: false, changed: [], status: null, prm_won: false, record: null };
      }
      let current = request;
      const changed: string[] = [];
      let prmWon = false;
      const wanted = change.status ? REQUEST_STATUS_FROM_SALESFORCE[change.status] : undefined;
      if (wanted && change.status !== REQUEST_STATUS_IN_SALESFORCE[current.status]) {
        if (salesforceWins({ status: current.status, changedAt: stampOf(current.updated) }, { status: wanted, changedAt })) {
          current = await prm.updateMdfRequestStatus(current.id, wanted, `Changed in Salesforce (${change.status})`, call);
          changed.push('status');
        } else {
          prmWon = true;
          ctx.note(`${change.key}: the PRM keeps ${current.status} over Salesforce's ${change.status} (conflict rule, D1)`);
        }
      }
      // The Amount is the approved amount: it means something only while the request is approved.
      if (change.amount !== null && (current.status === 'Approved' || current.status === 'Closed') && change.amount !== current.amountRequested) {
        if (stampOf(request.updated) <= changedAt) {
          current = await prm.updateMdfRequestAmount(current.id, change.amount, call);
          changed.push('amountRequested');
        } else prmWon = true;
      }
      return { key: change.key, found: true, changed, status: current.status, prm_won: prmWon, record: current as unknown as Record<string, unknown> };
    }
    const claimId = Number(/(\d+)$/.exec(change.key)?.[1]);
    const claim = Number.isInteger(claimId) && claimId > 0 ? await prm.getMdfClaim(claimId, call).catch((e: unknown) => ((e as { status?: number }).status === 404 ? null : Promise.reject(e))) : null;
    if (!claim) {
      ctx.note(`the PRM has no MDF claim for key ${change.key}; nothing to bring back`);
      return { key: change.key, found: false, changed: [], status: null, prm_won: false, record: null };
    }
    const wanted = change.status ? CLAIM_STATUS_FROM_SALESFORCE[change.status] : undefined;
    if (!wanted || wanted === claim.status) return { key: change.key, found: true, changed: [], status: claim.status, prm_won: false, record: claim as unknown as Record<string, unknown> };
    if (!salesforceWins({ status: claim.status, changedAt: stampOf(claim.updated) }, { status: wanted, changedAt })) {
      ctx.note(`claim ${change.key}: the PRM keeps ${claim.status} over Salesforce's ${change.status} (conflict rule, D1)`);
      return { key: change.key, found: true, changed: [], status: claim.status, prm_won: true, record: claim as unknown as Record<string, unknown> };
    }
    const updated = await prm.updateMdfClaimStatus(claim.id, wanted, `Changed in Salesforce (${change.status})`, call);
    return { key: change.key, found: true, changed: ['status'], status: updated.status, prm_won: false, record: updated as unknown as Record<string, unknown> };
  },
});
