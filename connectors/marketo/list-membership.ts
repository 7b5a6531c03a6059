import { z } from 'zod';
import { chunk } from '../kit/batch.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { MARKETO_LIMITS } from './marketo-limits.ts';
import type { MarketoConnection } from './marketo-connection.ts';
import { MarketoReasonOutput } from './upsert-leads.ts';

const ListInput = z.object({
  list_id: z.number().int().positive().describe('The static list id (Marketo: Lead Database > the list, id in its URL).'),
  lead_ids: z.array(z.number().int().positive()).min(1).describe('Marketo lead ids; any number, sent 300 a call.'),
});

const memberOutput = (done: 'added' | 'removed') =>
  z.object({
    results: z.array(z.object({ id: z.number().int(), status: z.enum([done, 'skipped']), reasons: z.array(MarketoReasonOutput) })),
    [done]: z.number().int(),
    skipped: z.number().int(),
  });

/** Adds or removes leads, 300 a call, and counts what Marketo did with each. */
async function changeMembership(done: 'added' | 'removed', input: z.output<typeof ListInput>, ctx: ActionContext<MarketoConnection>) {
  const call = { signal: ctx.signal, note: ctx.note };
  const results: Array<{ id: number; status: string; reasons: Array<{ code: string; message: string }> }> = [];
  for (const batch of chunk(input.lead_ids, MARKETO_LIMITS.batchSize)) {
    const answered =
      done === 'added' ? await ctx.connection.client.addToList(input.list_id, batch, call) : await ctx.connection.client.removeFromList(input.list_id, batch, call);
    answered.forEach((r, i) =>
      results.push({ id: r.id ?? batch[i]!, status: r.status === done ? done : 'skipped', reasons: (r.reasons ?? []).map((x) => ({ code: x.code, message: x.message })) }),
    );
  }
  const skipped = results.filter((r) => r.status === 'skipped').length;
  return { results, [done]: results.length - skipped, skipped } as never;
}

/** `marketo.add_to_list`: puts leads on a static list (`POST /v1/lists/<id>/leads.json`), 300 a call. */
export const addToList = defineAction({
  description: 'Adds Marketo leads to a static list, 300 a call; answers added or skipped (with the reason) per lead.',
  input: ListInput,
  output: memberOutput('added'),
  idempotent: true,
  run: (input, ctx: ActionContext<MarketoConnection>) => changeMembership('added', input, ctx),
});

/** `marketo.remove_from_list`: takes leads off a static list (`DELETE /v1/lists/<id>/leads.json`), 300 a call. */
export const removeFromList = defineAction({
  description: 'Removes Marketo leads from a static list, 300 a call; answers removed or skipped (with the reason) per lead.',
  input: ListInput,
  output: memberOutput('removed'),
  idempotent: true,
  run: (input, ctx: ActionContext<MarketoConnection>) => changeMembership('removed', input, ctx),
});
