import { z } from 'zod';
import { MdfRequestStatus } from '../../schemas/domain/mdf-request.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { PrmClient } from './prm-client.ts';
import { PrmMdfRequest } from './prm-records.ts';

/** The request moved on in the PRM (ops canceled it) since the step decided to set its status. */
export class StatusMovedOnError extends Error {
  override name = 'StatusMovedOnError';
  // Another attempt would find the same status: an operator decides what happens to the request.
  readonly retryable = false;
}

/**
 * `prm.update_mdf_request_status` (D11): sets the status and the reason the partner sees. Idempotent:
 * setting a status the request already has changes nothing, so a retry after a lost answer is safe.
 * With `only_from`, the status is set only while the request still has one of those statuses: a
 * decision retried after a rate limit must not overwrite a cancellation ops made in the meantime.
 */
export const updateMdfRequestStatus = defineAction({
  description: 'Sets an MDF request\'s status in the PRM (Approved, Denied, ...), with the reason shown to the partner.',
  input: z.object({
    mdf_number: z.string().min(1).describe('The Funds Request Number, e.g. MDF-1001.'),
    status: MdfRequestStatus,
    reason: z.string().max(4000).nullish().describe('Why, shown to the partner; cleared when omitted.'),
    only_from: z
      .array(MdfRequestStatus)
      .min(1)
      .optional()
      .describe('Set it only while the request has one of these statuses (D11: a decision only from Open); otherwise the step fails without writing.'),
  }),
  output: PrmMdfRequest,
  idempotent: true,
  run: async (input, ctx: ActionContext<PrmClient>) => {
    const call = { signal: ctx.signal, note: ctx.note };
    const request = await ctx.connection.getMdfRequestByNumber(input.mdf_number, call);
    if (input.only_from && request.status !== input.status && !input.only_from.includes(request.status)) {
      throw new StatusMovedOnError(
        `${input.mdf_number} is ${request.status} in the PRM, not ${input.only_from.join(' or ')}: it was not set to ${input.status}`,
      );
    }
    return ctx.connection.updateMdfRequestStatus(request.id, input.status, input.reason, call);
  },
});
