import { z } from 'zod';
import { chunk } from '../kit/batch.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { MARKETO_LIMITS } from './marketo-limits.ts';
import type { MarketoConnection } from './marketo-connection.ts';

/** Marketo's reason for skipping a record, e.g. `{ code: '1005', message: 'Lead already exists' }`. */
export const MarketoReasonOutput = z.object({ code: z.string(), message: z.string() });

/** What happened to one lead of the input, at the same position. */
export const LeadUpsertResult = z.object({
  index: z.number().int().describe('Position of the lead in the input, from 0.'),
  id: z.number().int().nullable().describe('The Marketo lead id; null when skipped.'),
  status: z.enum(['created', 'updated', 'skipped']),
  reasons: z.array(MarketoReasonOutput).describe('Why it was skipped (Marketo codes: 1004 not found, 1005 already exists, 1006 unknown field, 1007 several matches…); empty otherwise.'),
});

/**
 * `marketo.upsert_leads`: creates or updates leads (`POST /v1/leads.json`), any number, 300 a call
 * (fewer when 300 would pass Marketo's 1 MB body limit). Answers per lead: created, updated or skipped
 * with Marketo's reasons. A skipped lead is an answer, not a failure of the step, unless the step says
 * `on_skipped: fail`: Marketo answers a skip inside a 200, so a write that must land is checked here.
 */
export const upsertLeads = defineAction({
  description: 'Creates or updates Marketo leads (createOrUpdate, updateOnly or createOnly, matched on a lookup field), 300 a call; answers created / updated / skipped per lead.',
  input: z.object({
    action: z.enum(['createOrUpdate', 'updateOnly', 'createOnly']).default('createOrUpdate'),
    lookup_field: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a lead field API name, e.g. email').default('email').describe('The field leads are matched on.'),
    leads: z.array(z.record(z.string(), z.unknown())).min(1).describe('Lead fields by API name (marketo-lead-fields.ts); any number, sent 300 a call.'),
    on_skipped: z
      .enum(['answer', 'fail'])
      .default('answer')
      .describe("answer: a skipped lead is in the results, for the recipe to act on. fail: a skipped lead fails the step (not retried), naming each skipped lead and Marketo's reasons, for a write that must land on every lead (a partner share, D20, D27)."),
  }),
  output: z.object({
    results: z.array(LeadUpsertResult),
    created: z.number().int(),
    updated: z.number().int(),
    skipped: z.number().int(),
  }),
  // Matched on the lookup field, the same leads land the same way twice; createOnly a second time answers `skipped`.
  idempotent: true,
  run: async (input, ctx: ActionContext<MarketoConnection>) => {
    const call = { signal: ctx.signal, note: ctx.note };
    const results: Array<z.input<typeof LeadUpsertResult>> = [];
    let calls = 0;
    for (const batch of bodySizedBatches(input.leads)) {
      const answered = await ctx.connection.client.upsertLeads({ action: input.action, lookupField: input.lookup_field, leads: batch }, call);
      calls += 1;
      if (answered.length !== batch.length) {
        throw Object.assign(new Error(`marketo: an upsert of ${batch.length} leads answered ${answered.length} results`), { retryable: false });
      }
      for (const r of answered) {
        const status = r.status === 'created' || r.status === 'updated' ? r.status : 'skipped';
        results.push({ index: results.length, id: r.id ?? null, status, reasons: (r.reasons ?? []).map((x) => ({ code: x.code, message: x.message })) });
      }
    }
    const count = (status: string) => results.filter((r) => r.status === status).length;
    if (input.on_skipped === 'fail' && count('skipped') > 0) throw new MarketoLeadsSkippedError(input.action, input.lookup_field, input.leads, results);
    ctx.note(`upserted ${input.leads.length} leads in ${calls} Marketo call${calls === 1 ? '' : 's'}: ${count('created')} created, ${count('updated')} updated, ${count('skipped')} skipped`);
    return { results, created: count('created'), updated: count('updated'), skipped: count('skipped') };
  },
});

/** The error name of a write Marketo skipped on some leads while the step asked for every one (`on_skipped: fail`). */
export const MARKETO_LEADS_SKIPPED = 'MarketoLeadsSkipped';

/**
 * Marketo answered 200 but skipped leads the step had to write. Not retryable by default: the same write
 * gets the same answer (1007 several leads, 1004 none, 1003 a value refused) until someone changes the
 * leads. A write that reads its leads again at each attempt (`leads.write_marketo_leads`) passes
 * `retryable` for a lead gone since its read (1004): the next attempt no longer has it.
 */
export class MarketoLeadsSkippedError extends Error {
  override name = MARKETO_LEADS_SKIPPED;
  readonly retryable: boolean;
  constructor(
    action: string,
    lookupField: string,
    leads: ReadonlyArray<Record<string, unknown>>,
    results: ReadonlyArray<z.input<typeof LeadUpsertResult>>,
    options: { retryable?: boolean; suffix?: string } = {},
  ) {
    const skipped = results.filter((r) => r.status === 'skipped');
    const named = skipped.map((r) => `${lookupField} ${String(leads[r.index]?.[lookupField])}: ${r.reasons.map((x) => `${x.code} ${x.message}`).join('; ') || 'no reason given'}`);
    const written = results.length - skipped.length;
    super(`marketo: the ${action} by ${lookupField} skipped ${skipped.length} of ${results.length} lead${results.length === 1 ? '' : 's'} (${named.join(', ')})${written > 0 ? `; the other ${written} ${written === 1 ? 'was' : 'were'} written` : ''}${options.suffix ?? ''}`);
    this.retryable = options.retryable ?? false;
  }
}

/**
 * The leads cut into calls of at most 300, each batch halved again while its body would pass Marketo's
 * 1 MB limit (413), so a large input never costs a refused call.
 */
export function bodySizedBatches<T>(records: readonly T[]): T[][] {
  const room = MARKETO_LIMITS.maxBodyBytes - 1_024; // the envelope around the records
  const out: T[][] = [];
  const fit = (batch: T[]) => {
    if (batch.length > 1 && Buffer.byteLength(JSON.stringify(batch)) > room) {
      const half = Math.ceil(batch.length / 2);
      fit(batch.slice(0, half));
      fit(batch.slice(half));
    } else out.push(batch);
  };
  for (const batch of chunk(records, MARKETO_LIMITS.batchSize)) fit(batch);
  return out;
}
