import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { PARTNER_LEAD_FIELDS } from '../marketo/marketo-lead-fields.ts';
import type { LeadsConnection } from './leads-connection.ts';
import { emailKey } from './email-key.ts';

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

/** One Marketo lead of the email, with what a share records on it (D25, D27). */
const MarketoLeadOfEmail = z.object({
  id: z.number().int(),
  impartner_partner_account: z.string().nullable().describe('The partner that holds the lead now (Impartner Partner Account); null when none.'),
  marketing_suspended: z.boolean().describe('Its Marketing Suspended now.'),
  marketing_suspended_before_share: z.boolean().nullable().describe('Its Marketing Suspended Before Share: what the share in progress recorded, when a partner holds it.'),
});

/**
 * `leads.find_marketo_lead` (D20, D21): the Marketo lead to route, by email, with its id, phone, names and company.
 * None fails the step with `LeadNotInMarketo`, which the step's retry policy re-looks for: a web form's
 * webhook may come before Marketo has written the lead, and the routing waits a while for it rather
 * than failing at once. It also answers who holds the lead now and its Marketing Suspended, so that a
 * share records the suspension the recall gives back (D25, D27). Duplicates are common in Marketo: when
 * several leads have the email, `leads` lists each (Marketo skips an update by email of them, 1007), so
 * that the routing writes the share on every one by id and tells ops to merge them; the lead answered
 * at the top level (the moment's) is the first, by id.
 */
export const findMarketoLead = defineAction({
  description: 'The Marketo lead of an email (id, email, phone) and every Marketo lead of that email (leads, several when Marketo has duplicates); fails with LeadNotInMarketo, retryable, while Marketo has none.',
  input: z.object({ email: z.string().min(3).describe('The lead\'s email (any letter case).') }),
  output: MarketoLeadOfEmail.extend({
    email: z.string(),
    phone: z.string().nullable(),
    first_name: z.string().nullable().default(null).describe('Its First Name in Marketo (the first of the duplicates that has one); null when none.'),
    last_name: z.string().nullable().default(null).describe('Its Last Name in Marketo, as first_name.'),
    company: z.string().nullable().default(null).describe('Its Company Name in Marketo, as first_name.'),
    leads: z.array(MarketoLeadOfEmail).min(1).describe('Every Marketo lead with the email, by id; more than one when Marketo has duplicates.'),
  }),
  idempotent: true,
  uses: ['marketo'],
  run: async (input, ctx: ActionContext<LeadsConnection>) => {
    const email = emailKey(input.email);
    const { found, leads } = await readMarketoLeadsOfEmail(ctx, email, ['phone', 'firstName', 'lastName', 'company']);
    if (leads.length > 1) ctx.note(`${leads.length} Marketo leads have ${email} (${leads.map((l) => l.id).join(', ')}): duplicates to merge`);
    const first = found[0]!;
    // The phone the PRM sync needs may be on any of the duplicates.
    // So may the names: a web form that asks only the email, or a second event's row without them, is
    // shared with the names Marketo has (D20), not with none over the names the partner had.
    const known = (field: string) => found.map((lead) => (typeof lead[field] === 'string' ? (lead[field] as string).trim() : '')).find((v) => v !== '') ?? null;
    const phone = known('phone');
    return { ...leads[0]!, email: typeof first.email === 'string' ? first.email : email, phone, first_name: known('firstName'), last_name: known('lastName'), company: known('company'), leads };
  },
});

/** One Marketo lead of an email, as `readMarketoLeadsOfEmail` answers it. */
export type MarketoLeadOfEmail = z.infer<typeof MarketoLeadOfEmail>;

/**
 * Every Marketo lead with the email (in lower case, `emailKey`), by id, as Marketo has them now, with
 * what a share records on each (`leads`) and the fields read (`found`: id, email, the share's fields and
 * `extraFields`). None fails with `LeadNotInMarketo` (retryable). Shared by the read that starts a
 * routing and by the writes that must land on the leads the email has when they run (a merge since
 * the first read leaves fewer).
 */
export async function readMarketoLeadsOfEmail(
  ctx: ActionContext<LeadsConnection>,
  email: string,
  extraFields: readonly string[] = [],
): Promise<{ found: Array<Record<string, unknown> & { id: number }>; leads: MarketoLeadOfEmail[] }> {
  const call = { signal: ctx.signal, note: ctx.note };
  const { impartnerPartnerAccount, marketingSuspended, marketingSuspendedBeforeShare } = PARTNER_LEAD_FIELDS;
  const fields = ['id', 'email', ...extraFields, impartnerPartnerAccount.name, marketingSuspended.name, marketingSuspendedBeforeShare.name];
  const found: Array<Record<string, unknown> & { id: number }> = [];
  for await (const lead of ctx.connection.marketo().client.leadsBy('email', [email], fields, call)) found.push(lead);
  if (found.length === 0) throw new LeadNotInMarketoError(email);
  found.sort((a, b) => a.id - b.id);
  const leads = found.map((lead) => {
    const held = String(lead[impartnerPartnerAccount.name] ?? '').trim();
    const before = lead[marketingSuspendedBeforeShare.name];
    return {
      id: lead.id,
      impartner_partner_account: held === '' ? null : held,
      marketing_suspended: lead[marketingSuspended.name] === true,
      marketing_suspended_before_share: typeof before === 'boolean' ? before : null,
    };
  });
  return { found, leads };
}
