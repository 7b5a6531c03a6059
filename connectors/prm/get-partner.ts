import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { PrmClient } from './prm-client.ts';
import { PrmPartner } from './prm-records.ts';

/** `prm.get_partner`: the partner account, with its marketing-ready flag (D3), region and contact. */
export const getPartner = defineAction({
  description: 'Reads a partner account from the PRM by its id.',
  input: z.object({
    partner_id: z.coerce.number().int().positive().describe('The PRM account id (an MDF request\'s partnerId).'),
  }),
  output: PrmPartner,
  idempotent: true,
  run: (input, ctx: ActionContext<PrmClient>) =>
    ctx.connection.getPartner(input.partner_id, { signal: ctx.signal, note: ctx.note }),
});
