import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { PrmClient } from './prm-client.ts';
import { PrmMdfClaim, PrmMdfRequest } from './prm-records.ts';

/**
 * `prm.get_mdf_claim`: the claim as the PRM has it now (a webhook's copy may be older). An id the PRM
 * does not know fails the step with NotFoundError, which is not retried.
 *
 * With `with_request`, the request its MDF number names is read in the same step and returned as
 * `request`: a claim typed against an MDF number the PRM does not know fails this step, naming the
 * number, and a retry of the run reads the claim again, so ops may fix either the claim's MDF number or
 * the missing request before they retry (a separate request step would resume with the claim as first read).
 */
export const getMdfClaim = defineAction({
  description: 'Reads an MDF claim from the PRM by its record id; with with_request, also the request it claims against (as `request`).',
  input: z.object({
    claim_id: z.coerce.number().int().positive().describe('The PRM record id of the claim (a claim event\'s id).'),
    with_request: z.boolean().default(false).describe('Also read the request the claim draws on (by its MDF number), as `request`; an unknown number fails the step naming it.'),
  }),
  output: PrmMdfClaim.extend({ request: PrmMdfRequest.optional().describe('with_request: the request the claim draws on, as the PRM has it now.') }),
  idempotent: true,
  run: async (input, ctx: ActionContext<PrmClient>) => {
    const call = { signal: ctx.signal, note: ctx.note };
    const claim = await ctx.connection.getMdfClaim(input.claim_id, call);
    if (!input.with_request) return claim;
    try {
      return { ...claim, request: await ctx.connection.getMdfRequestByNumber(claim.mdfNumber, call) };
    } catch (error) {
      if (error instanceof Error) error.message = `claim ${claim.id}: ${error.message}; correct the claim's MDF number or add the request in the PRM, then retry the run`;
      throw error;
    }
  },
});
