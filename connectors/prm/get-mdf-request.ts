import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { PrmClient } from './prm-client.ts';
import { PrmMdfRequest } from './prm-records.ts';

/**
 * `prm.get_mdf_request`: the request as the PRM has it now (a webhook's copy may be older). A number the
 * PRM does not know fails the step with NotFoundError, which is not retried.
 */
export const getMdfRequest = defineAction({
  description: 'Reads an MDF request from the PRM by its MDF number.',
  input: z.object({
    mdf_number: z.string().min(1).describe('The Funds Request Number, e.g. MDF-1001.'),
  }),
  output: PrmMdfRequest,
  idempotent: true,
  run: (input, ctx: ActionContext<PrmClient>) =>
    ctx.connection.getMdfRequestByNumber(input.mdf_number, { signal: ctx.signal, note: ctx.note }),
});
