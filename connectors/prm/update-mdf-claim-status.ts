import { z } from 'zod';
import { CLAIM_STATUS_REASON_MAX, MdfClaimStatus } from '../../schemas/domain/mdf-claim.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { PrmClient } from './prm-client.ts';
import { PrmMdfClaim } from './prm-records.ts';
import { StatusMovedOnError } from './update-mdf-request-status.ts';

/**
 * `prm.update_mdf_claim_status` (D18): sets a claim's Claim Approval Status and the reason. Idempotent:
 * a status the claim already has changes nothing. With `only_from`, the status is set only while the
 * claim still has one of those statuses, so a retried automatic denial (D12) does not overwrite an
 * approval ops made meanwhile.
 */
export const updateMdfClaimStatus = defineAction({
  description: 'Sets an MDF claim\'s Claim Approval Status in the PRM (Approved, Denied, Paid), with the reason.',
  input: z.object({
    claim_id: z.coerce.number().int().positive().describe('The PRM record id of the claim.'),
    status: MdfClaimStatus,
    reason: z.string().max(CLAIM_STATUS_REASON_MAX).nullish().describe('Why; cleared when omitted.'),
    only_from: z
      .array(MdfClaimStatus)
      .min(1)
      .optional()
      .describe('Set it only while the claim has one of these statuses; otherwise the step fails without writing.'),
  }),
  output: PrmMdfClaim,
  idempotent: true,
  run: async (input, ctx: ActionContext<PrmClient>) => {
    const call = { signal: ctx.signal, note: ctx.note };
    if (input.only_from) {
      const claim = await ctx.connection.getMdfClaim(input.claim_id, call);
      if (claim.status !== input.status && !input.only_from.includes(claim.status)) {
        throw new StatusMovedOnError(
          `claim ${input.claim_id} (${claim.mdfNumber}) is ${claim.status} in the PRM, not ${input.only_from.join(' or ')}: it was not set to ${input.status}`,
        );
      }
    }
    return ctx.connection.updateMdfClaimStatus(input.claim_id, input.status, input.reason, call);
  },
});
