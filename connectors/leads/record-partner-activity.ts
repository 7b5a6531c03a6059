import { z } from 'zod';
import { stampMillis } from '../../schemas/domain/source-stamp.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { PARTNER_LEAD_FIELDS } from '../marketo/marketo-lead-fields.ts';
import type { LeadsConnection } from './leads-connection.ts';
import { emailKey } from './email-key.ts';

const { lastPartnerActivity, lastPartnerActivityAccount, impartnerPartnerAccount } = PARTNER_LEAD_FIELDS;

/**
 * `leads.record_partner_activity` (D24, D25): records that the partner worked a lead, on the Marketo
 * lead's Last Partner Activity, so that the day-23 reminder and the day-30 recall leave the lead with
 * the partner. The lead is found by email (a PRM change) or by Marketo id (a Marketo change).
 *
 * Activity counts per partner: Last Partner Activity Account gets whose work it is, the PRM lead's
 * partner (`partner_account`, a PRM change) or, for a Marketo change, the partner the Marketo lead
 * names (its Lead Status follows the Salesforce Lead, which that partner holds). A lead shared with two
 * partners (a joint booth) has one Marketo lead: one partner's work must not keep the other's untouched
 * copy from its reminder and recall (inactive-partner-leads.ts reads the account).
 *
 * Only a lead a partner holds (Impartner Partner Account set) is written, and only with a later time
 * than the one it has: a run repeated after a crash, or two runs of one lead in any order, leave the
 * latest activity; nothing is written when nothing changes (no Marketo call is spent, no activity made).
 */
export const recordPartnerActivity = defineAction({
  description: "Records a partner's work on a lead as the Marketo lead's Last Partner Activity (never moved back), for the recall reminder and the recall (D24, D25).",
  input: z
    .object({
      email: z.string().min(3).optional().describe('The lead, by email (a PRM lead the partner worked).'),
      lead_id: z.coerce.number().int().positive().optional().describe('The lead, by Marketo id (a Marketo change).'),
      partner_account: z
        .union([z.string(), z.number()])
        .nullish()
        .transform((v) => (v === null || v === undefined || String(v).trim() === '' ? undefined : String(v).trim())).describe('The PRM account id of the partner who worked it (a PRM change: the PRM lead\'s partner). Without it: the partner the Marketo lead names.'),
      at: z.string().refine((v) => stampMillis(v) !== undefined, 'a date and time').describe('When the partner worked it.'),
      what: z.string().min(1).describe('What the partner did, for the journal (e.g. "Lead Status → Contacted in the PRM").'),
    })
    .refine((i) => (i.email === undefined) !== (i.lead_id === undefined), { message: 'give `email` or `lead_id` (one of them)' }),
  output: z.object({
    recorded: z.array(z.number().int()).describe('The Marketo leads whose Last Partner Activity was set to `at`.'),
    skipped: z.array(z.object({ id: z.number().int(), reason: z.string() })).describe('Leads left as they were, and why.'),
    found: z.number().int().describe('Marketo leads found (0: Marketo has no such lead; the recall then finds no activity either).'),
  }),
  idempotent: true,
  async run(input, ctx: ActionContext<LeadsConnection>) {
    const { client } = ctx.connection.marketo();
    const call = { signal: ctx.signal, note: ctx.note };
    const at = new Date(stampMillis(input.at)!).toISOString();
    const [filterType, value] = input.email !== undefined ? ['email', emailKey(input.email)] : ['id', input.lead_id!];
    const recorded: number[] = [];
    const skipped: Array<{ id: number; reason: string }> = [];
    let found = 0;
    const updates: Array<Record<string, unknown>> = [];
    for await (const lead of client.leadsBy(filterType, [value], ['id', 'email', impartnerPartnerAccount.name, lastPartnerActivity.name], call)) {
      found += 1;
      const held = lead[impartnerPartnerAccount.name];
      const previous = lead[lastPartnerActivity.name];
      if (held === null || held === undefined || held === '') skipped.push({ id: lead.id, reason: 'no partner holds it (Impartner Partner Account empty)' });
      else if (typeof previous === 'string' && (stampMillis(previous) ?? NaN) >= Date.parse(at)) skipped.push({ id: lead.id, reason: `already has a later or equal Last Partner Activity (${previous})` });
      else updates.push({ id: lead.id, [lastPartnerActivity.name]: at, [lastPartnerActivityAccount.name]: input.partner_account ?? String(held).trim() });
    }
    if (updates.length > 0) {
      const results = await client.upsertLeads({ action: 'updateOnly', lookupField: 'id', leads: updates }, call);
      results.forEach((result, i) => {
        const id = updates[i]!.id as number;
        if (result.status === 'updated') recorded.push(id);
        else skipped.push({ id, reason: `Marketo skipped it: ${(result.reasons ?? []).map((r) => `${r.code} ${r.message}`).join('; ')}` });
      });
    }
    ctx.note(`${input.what}: ${found === 0 ? `no Marketo lead ${filterType} ${value}` : `Last Partner Activity ${at} (partner ${input.partner_account ?? 'named by the lead'}) on ${recorded.length ? recorded.join(', ') : 'none'}${skipped.length ? `; left ${skipped.map((s) => `${s.id} (${s.reason})`).join(', ')}` : ''}`}`);
    return { recorded, skipped, found };
  },
});
