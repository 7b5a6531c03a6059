import { z } from 'zod';
import { PartnerFundRequest } from '../../schemas/domain/fund-request.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { SalesforceConnection } from './salesforce-connection.ts';

/**
 * `salesforce.upsert_fund_request` (D1): the Funds Request for an MDF request, upserted by the MDF number
 * as external ID, so a repeat (a retry, a replayed run, the next status) updates the one record.
 */
export const upsertFundRequest = defineAction({
  description: 'Creates or updates the PartnerFundRequest that carries this MDF number.',
  input: z.object({
    mdf_number: z.string().min(1).describe('The MDF number, stored in the external-ID field.'),
    fields: PartnerFundRequest,
  }),
  output: z.object({
    id: z.string().describe('The PartnerFundRequest record ID.'),
    created: z.boolean().describe('True when this call created the record, false when it updated it.'),
  }),
  idempotent: true,
  run: async (input, ctx: ActionContext<SalesforceConnection>) => {
    const { client, mdfNumberField } = ctx.connection;
    const result = await client.upsert('PartnerFundRequest', mdfNumberField, input.mdf_number, input.fields, { signal: ctx.signal, note: ctx.note });
    ctx.note(`${result.created ? 'created' : 'updated'} PartnerFundRequest ${result.id} (${mdfNumberField} = ${input.mdf_number})`);
    return result;
  },
});
