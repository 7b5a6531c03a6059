import { z } from 'zod';
import { MdfRequestStatus } from '../../schemas/domain/mdf-request.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { PrmClient } from './prm-client.ts';
import { PrmMdfRequest } from './prm-records.ts';

/**
 * `prm.update_mdf_request_status` (D11): sets the status and the reason the partner sees. Idempotent:
 * setting a status the request already has changes nothing, so a retry after a lost answer is safe.
 */
export const updateMdfRequestStatus = defineAction({
  description: 'Sets an MDF request\'s status in the PRM (Approved, Denied, ...), with the reason shown to the partner.',
  input: z.object({
    mdf_number: z.string().min(1).describe('The Funds Request Number, e.g. MDF-1001.'),
    status: MdfRequestStatus,
    reason: z.string().max(4000).nullish().describe('Why, shown to the partner; cleared when omitted.'),
  }),
  output: PrmMdfRequest,
  idempotent: true,
  run: async (input, ctx: ActionContext<PrmClient>) => {
    const call = { signal: ctx.signal, note: ctx.note };
    const request = await ctx.connection.getMdfRequestByNumber(input.mdf_number, call);
    return ctx.connection.updateMdfRequestStatus(request.id, input.status, input.reason, call);
  },
});
