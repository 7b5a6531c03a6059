import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { LeadsConnection } from './leads-connection.ts';

/** The error name of a lead Marketo does not have (yet): a recipe's `on_error` tells it from an outage by this name. */
export const LEAD_NOT_IN_MARKETO = 'LeadNotInMarketo';

/**
 * Marketo has no lead with the email (yet). Retryable: Marketo writes a form fill asynchronously, so a
 * web-form webhook can arrive before the lead exists; the step's retry policy is how long to re-look.
 */
export class LeadNotInMarketoError extends Error {
  override name = LEAD_NOT_IN_MARKETO;
  readonly retryable = true;
  constructor(readonly email: string) {
    super(`Marketo has no lead with email ${email} (yet: a form fill is written asynchronously)`);
  }
}

/**
 * `leads.find_marketo_lead` (D20, D21): the Marketo lead to route, by email, with its id and phone.
 * None fails the step with `LeadNotInMarketo`, which the step's retry policy re-looks for: a web form's
 * webhook may come before Marketo has written the lead, and the routing waits a while for it rather
 * than failing at once.
 */
export const findMarketoLead = defineAction({
  description: 'The Marketo lead of an email (id, email, phone); fails with LeadNotInMarketo, retryable, while Marketo has none.',
  input: z.object({ email: z.string().min(3).describe('The lead\'s email (any letter case).') }),
  output: z.object({ id: z.number().int(), email: z.string(), phone: z.string().nullable() }),
  idempotent: true,
  uses: ['marketo'],
  run: async (input, ctx: ActionContext<LeadsConnection>) => {
    const email = input.email.trim().toLowerCase();
    const call = { signal: ctx.signal, note: ctx.note };
    for await (const lead of ctx.connection.marketo().client.leadsBy('email', [email], ['id', 'email', 'phone'], call)) {
      const phone = typeof lead.phone === 'string' && lead.phone.trim() !== '' ? lead.phone.trim() : null;
      return { id: lead.id, email: typeof lead.email === 'string' ? lead.email : email, phone };
    }
    throw new LeadNotInMarketoError(email);
  },
});
