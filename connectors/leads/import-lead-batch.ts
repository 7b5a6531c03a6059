import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { bodySizedBatches, LeadUpsertResult } from '../marketo/upsert-leads.ts';
import type { LeadsConnection } from './leads-connection.ts';

/** Fields an import only fills in when the Marketo lead has none: the person's own data as Marketo knows it wins. */
const FILL_IF_EMPTY = ['firstName', 'lastName', 'company', 'phone'] as const;
/** Fields an import never changes on an existing lead: where the lead first came from is its attribution. */
const NEVER_ON_EXISTING = new Set(['leadSource']);
/**
 * How far Marketo's createdAt (whole seconds, Marketo's clock) may fall before the import's start for a
 * lead the import created right after it started: the second cut off, and a little clock skew. A lead
 * something else created in these seconds before the start would be counted as the import's own.
 */
const CLOCK_MARGIN_MS = 5_000;

/**
 * `leads.import_batch` (D22): takes one batch of imported leads into Marketo without damaging leads
 * Marketo already has. A `createOnly` creates the new ones with every field (Lead Source included);
 * those Marketo already has (skipped, 1005) are read (`GET /v1/leads.json`) and then `updateOnly`
 * gets only what the import may change: the CRM Partner ID, an explicit opt-in, and the names, company
 * and phone where Marketo has none. A `createOrUpdate` would write the booth scan's Lead Source over
 * "Website" and "Bob" over "Robert". Leads Marketo skips for another reason (1007: several leads have
 * the email) are answered skipped with the reason, for ops.
 *
 * Safe to repeat: a repeat creates nothing new (skipped as existing) and updates the same values.
 * An attempt cut off after its createOnly (Marketo's 607 until the reset, an outage) leaves the leads
 * it created in Marketo: the next attempt finds them existing and, by `created_since` (when the import
 * started), reports them created, as they were, not updated; they get the same safe update as any
 * lead Marketo has, which writes nothing new on them.
 */
export const importLeadBatch = defineAction({
  description: 'Creates new Marketo leads (createOnly) and updates existing ones (updateOnly) without overwriting their Lead Source, names, company or phone; answers created / updated / skipped per lead.',
  input: z.object({
    leads: z.array(z.record(z.string(), z.unknown()).and(z.object({ email: z.string() }))).min(1).describe('Lead fields by API name, email included; 300 a batch.'),
    created_since: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("When the import started ($run.started_at): a lead Marketo answers as existing whose createdAt is since then was created by an earlier attempt of this batch, cut off before its update call (a 607), and is reported created, not updated."),
  }),
  output: z.object({ results: z.array(LeadUpsertResult), created: z.number().int(), updated: z.number().int(), skipped: z.number().int() }),
  idempotent: true,
  uses: ['marketo'],
  run: async (input, ctx: ActionContext<LeadsConnection>) => {
    const client = ctx.connection.marketo().client;
    const call = { signal: ctx.signal, note: ctx.note };
    const results: Array<z.input<typeof LeadUpsertResult>> = input.leads.map((_, index) => ({ index, id: null, status: 'skipped', reasons: [] }));
    const existing: number[] = [];
    /** Leads an earlier attempt of this batch created (Marketo has them, created since the import started). */
    const createdEarlier = new Set<number>();
    const since = input.created_since === undefined ? null : Date.parse(input.created_since) - CLOCK_MARGIN_MS;
    let offset = 0;
    for (const batch of bodySizedBatches(input.leads)) {
      const answered = await client.upsertLeads({ action: 'createOnly', lookupField: 'email', leads: batch }, call);
      if (answered.length !== batch.length) throw Object.assign(new Error(`marketo: a createOnly of ${batch.length} leads answered ${answered.length} results`), { retryable: false });
      answered.forEach((r, i) => {
        const index = offset + i;
        const reasons = (r.reasons ?? []).map((x) => ({ code: x.code, message: x.message }));
        if (r.status === 'created') results[index] = { index, id: r.id ?? null, status: 'created', reasons: [] };
        else if (reasons.some((x) => x.code === '1005')) existing.push(index);
        else results[index] = { index, id: null, status: 'skipped', reasons };
      });
      offset += batch.length;
    }
    if (existing.length > 0) {
      const have = new Map<string, Record<string, unknown>>();
      const emails = existing.map((i) => input.leads[i]!.email.toLowerCase());
      for await (const lead of client.leadsBy('email', emails, ['id', 'email', 'createdAt', ...FILL_IF_EMPTY], call)) {
        if (typeof lead.email === 'string') have.set(lead.email.toLowerCase(), lead);
      }
      if (since !== null) {
        for (const i of existing) {
          const createdAt = have.get(input.leads[i]!.email.toLowerCase())?.createdAt;
          if (typeof createdAt === 'string' && Date.parse(createdAt) >= since) createdEarlier.add(i);
        }
      }
      const updates = existing.map((i) => safeUpdate(input.leads[i]!, have.get(input.leads[i]!.email.toLowerCase())));
      let done = 0;
      for (const batch of bodySizedBatches(updates)) {
        const answered = await client.upsertLeads({ action: 'updateOnly', lookupField: 'email', leads: batch }, call);
        if (answered.length !== batch.length) throw Object.assign(new Error(`marketo: an updateOnly of ${batch.length} leads answered ${answered.length} results`), { retryable: false });
        answered.forEach((r, i) => {
          const index = existing[done + i]!;
          const ok = r.status === 'updated' || r.status === 'created';
          const status = !ok ? 'skipped' : createdEarlier.has(index) ? 'created' : 'updated';
          results[index] = { index, id: r.id ?? null, status, reasons: ok ? [] : (r.reasons ?? []).map((x) => ({ code: x.code, message: x.message })) };
        });
        done += batch.length;
      }
    }
    const count = (status: string) => results.filter((r) => r.status === status).length;
    const earlier = results.filter((r) => r.status === 'created' && createdEarlier.has(r.index)).length;
    const resumed = earlier > 0 ? ` (${earlier} before Marketo stopped the batch, taken up again after)` : '';
    ctx.note(`imported ${input.leads.length} leads: ${count('created')} created${resumed}, ${count('updated')} existing updated (Lead Source, names, company and phone kept), ${count('skipped')} skipped`);
    return { results, created: count('created'), updated: count('updated'), skipped: count('skipped') };
  },
});

/** What an import may write on a lead Marketo has: never its Lead Source; names, company, phone only where empty. */
function safeUpdate(lead: Record<string, unknown> & { email: string }, current: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(lead)) {
    if (NEVER_ON_EXISTING.has(field)) continue;
    if ((FILL_IF_EMPTY as readonly string[]).includes(field)) {
      const now = current?.[field];
      if (now !== undefined && now !== null && String(now).trim() !== '') continue;
    }
    out[field] = value;
  }
  return out;
}
