import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { PARTNER_LEAD_FIELDS } from '../marketo/marketo-lead-fields.ts';
import { bodySizedBatches, MarketoLeadsSkippedError, type LeadUpsertResult } from '../marketo/upsert-leads.ts';
import { emailKey } from './email-key.ts';
import { readMarketoLeadsOfEmail } from './find-marketo-lead.ts';
import type { LeadsConnection } from './leads-connection.ts';

/** A Marketo lead of the email as an earlier step read it: its id, and for a share what it held then. */
const KnownLead = z.object({
  id: z.number().int().positive(),
  impartner_partner_account: z.string().nullable().optional().describe('The partner that held it when read (null: none).'),
  marketing_suspended: z.boolean().optional().describe('Its Marketing Suspended when read.'),
});
type KnownLead = z.infer<typeof KnownLead>;

/**
 * `leads.write_marketo_leads` (D20, D23, D27): writes fields on every Marketo lead of an email, by id
 * (duplicates are common, and Marketo skips an update by email of them, 1007).
 *
 * The leads an earlier step read (`leads`) are written first, so a routing costs no extra call. But ops
 * merge duplicates when told, which deletes the losing ids: a write hours later (a PRM outage in
 * between) or a retry of the run days later would answer 1004 for the id merged away, again at every
 * retry, with ids taken from the journal. So a 1004 makes the step read the leads the email has now and
 * write those not written yet: the lead that remains once merged. Without `leads` it reads first.
 *
 * Exactly once: an update by id of the values a lead already has changes nothing (Marketo records no
 * Change Data Value), so a lead written again (a retry) gets nothing twice. A lead gone between the
 * step's own read and its write (a merge in those milliseconds) fails the attempt, retryable: the next
 * one reads again. Any other skip (1003: a value Marketo refuses) fails the step, not retried
 * (`MarketoLeadsSkipped`).
 *
 * `record_marketing_suspended_before_share` is the share's one per-lead value (D25, D27): each lead's
 * own Marketing Suspended goes to Marketing Suspended Before Share, which the recall gives back, unless a
 * partner holds the lead already (Impartner Partner Account set): then the value its first share
 * recorded stays (a second partner's share, a merge into a lead shared before), so a lead ops had
 * suspended stays suspended after the recall.
 */
export const writeMarketoLeads = defineAction({
  description: 'Writes fields on every Marketo lead of an email, by id: the leads an earlier step read, and when Marketo no longer has one (1004: merged or deleted since), the leads the email has now (after a merge, the lead that remains). Answers the ids written.',
  input: z.object({
    email: z.string().min(3).describe("The lead's email (any letter case)."),
    leads: z
      .array(KnownLead)
      .min(1)
      .optional()
      .describe("The leads of the email an earlier step read (find_marketo_lead's `leads`, or the `ids` of an earlier write as { id }), written first. Without it the step reads them."),
    set: z.record(z.string(), z.unknown()).refine((set) => Object.keys(set).length > 0, 'give at least one field').describe('Lead fields by API name (marketo-lead-fields.ts), the same on each lead, e.g. { "partnerSyncedDate": "2026-03-02T09:00:00Z" }.'),
    record_marketing_suspended_before_share: z
      .boolean()
      .default(false)
      .describe("A partner share (D25, D27): each lead's own Marketing Suspended is written to Marketing Suspended Before Share, unless a partner holds the lead already (then the value its first share recorded stays). Needs each known lead's impartner_partner_account and marketing_suspended (else the step reads them)."),
  }),
  output: z.object({
    ids: z.array(z.number().int()).min(1).describe('The Marketo lead ids the email has, each written, lowest first: more than one while Marketo has duplicates.'),
    read_again: z.boolean().describe('True when Marketo no longer had a lead read before (1004: merged or deleted since) and the leads of the email were read again.'),
  }),
  idempotent: true,
  uses: ['marketo'],
  run: async (input, ctx: ActionContext<LeadsConnection>) => {
    const email = emailKey(input.email);
    const share = input.record_marketing_suspended_before_share;
    const read = async (): Promise<KnownLead[]> => (await readMarketoLeadsOfEmail(ctx, email)).leads;
    const usable = input.leads !== undefined && (!share || input.leads.every((l) => l.impartner_partner_account !== undefined && l.marketing_suspended !== undefined));
    let leads = usable ? input.leads! : await read();
    let fresh = !usable;
    const written = new Set<number>();
    for (;;) {
      const gone = await writeEach(ctx, leads.filter((l) => !written.has(l.id)), input.set, share, written);
      if (gone.length === 0) break;
      if (fresh) {
        // Gone since this very attempt read it: the next attempt reads again.
        throw new MarketoLeadsSkippedError('updateOnly', 'id', gone.records, gone.results, { retryable: true, suffix: `: merged or deleted since it was read; the next attempt reads the leads of ${email} again` });
      }
      ctx.note(`Marketo no longer has lead ${gone.ids.join(', ')} of ${email} (1004: merged or deleted since it was read): reading its leads again`);
      leads = await read();
      fresh = true;
    }
    const ids = leads.map((l) => l.id).sort((a, b) => a - b);
    ctx.note(`wrote ${Object.keys(input.set).join(', ')} on ${ids.length === 1 ? `Marketo lead ${ids[0]}` : `${ids.length} Marketo leads of ${email} (${ids.join(', ')}): duplicates`}`);
    return { ids, read_again: fresh && usable };
  },
});

/**
 * Writes `set` on each lead by id (updateOnly), adding each written id to `written`. Answers the leads
 * Marketo no longer has (1004), with the call's records and results for the error; any other skip
 * fails at once, not retried.
 */
async function writeEach(
  ctx: ActionContext<LeadsConnection>,
  leads: readonly KnownLead[],
  set: Record<string, unknown>,
  share: boolean,
  written: Set<number>,
): Promise<{ length: number; ids: number[]; records: Array<Record<string, unknown>>; results: Array<z.input<typeof LeadUpsertResult>> }> {
  const before = PARTNER_LEAD_FIELDS.marketingSuspendedBeforeShare.name;
  const records = leads.map((lead) => ({ ...set, ...(share && lead.impartner_partner_account === null ? { [before]: lead.marketing_suspended } : {}), id: lead.id }));
  const client = ctx.connection.marketo().client;
  const call = { signal: ctx.signal, note: ctx.note };
  const results: Array<z.input<typeof LeadUpsertResult>> = [];
  for (const batch of bodySizedBatches(records)) {
    const answered = await client.upsertLeads({ action: 'updateOnly', lookupField: 'id', leads: batch }, call);
    if (answered.length !== batch.length) throw Object.assign(new Error(`marketo: an update of ${batch.length} leads answered ${answered.length} results`), { retryable: false });
    for (const r of answered) {
      const status = r.status === 'updated' ? 'updated' : 'skipped';
      results.push({ index: results.length, id: r.id ?? null, status, reasons: (r.reasons ?? []).map((x) => ({ code: x.code, message: x.message })) });
    }
  }
  for (const r of results) if (r.status === 'updated') written.add(records[r.index]!.id);
  const skipped = results.filter((r) => r.status === 'skipped');
  if (skipped.some((r) => !r.reasons.some((x) => x.code === '1004'))) throw new MarketoLeadsSkippedError('updateOnly', 'id', records, results);
  return { length: skipped.length, ids: skipped.map((r) => records[r.index]!.id), records, results };
}
