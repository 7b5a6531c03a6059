import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { PrmClient } from './prm-client.ts';
import { PrmMdfClaim } from './prm-records.ts';

/**
 * `prm.get_mdf_claim`: the claim as the PRM has it now (a webhook's copy may be older). An id the PRM
 * does not know fails the step with NotFoundError, which is not retried.
 */
export const getMdfClaim = defineAction({
  description: 'Reads an MDF claim from the PRM by its record id.',
  input: z.object({
    claim_id: z.coerce.number().int().positive().describe('The PRM record id of the claim (a claim event\'s id).'),
  }),
  output: PrmMdfClaim,
  idempotent: true,
  run: (input, ctx: ActionContext<PrmClient>) => ctx.connection.getMdfClaim(input.claim_id, { signal: ctx.signal, note: ctx.note }),
});
