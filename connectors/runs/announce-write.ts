import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { RunsConnection } from './start-run.ts';

/**
 * Hands a record the runtime itself wrote to a system to the recipes and timers that listen for that
 * system's event, as if the system had sent it (the engine's `deliver`). `deliveryId` is derived from
 * the change (record id and change stamp), so a retried step delivers nothing twice.
 */
export type AnnounceWrite = (source: string, event: string, data: unknown, deliveryId: string) => Promise<{ runIds: string[]; duplicate: boolean }>;

/**
 * `runs.announce_write`: whether the PRM sends a webhook for a change made through its own API is not
 * known (docs/systems.md), so a recipe that writes a status the other recipes react to (the claim
 * reminders' timers, the claim decision) announces the written record itself, as the event the PRM
 * would send. A later echo of the same change carries the same record id and change stamp: the timer
 * triggers apply it once (their `as_of`), and the webhook recipes that act on it dedup their runs on
 * that pair (their `dedup_key`), so the product neither depends on the echo nor acts twice on it.
 */
export const announceWrite = defineAction({
  description: 'Delivers a record this runtime wrote (e.g. to the PRM) to the recipes and timers of that system\'s event, once per change.',
  input: z
    .object({
      event: z
        .string()
        .regex(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$/)
        .describe('The event the system would send for this write, with its source, e.g. prm.mdf_claim.changed.'),
      record: z.record(z.string(), z.unknown()).describe('The record as the write returned it: the event\'s data, validated as the webhook\'s would be.'),
      change: z
        .string()
        .min(1)
        .max(200)
        .describe("The change's identity, the record id and change stamp (e.g. '42@2026-04-06T09:10:00Z'): one delivery per change, however often the step runs."),
    })
    .strict(),
  output: z.object({
    delivery_id: z.string().describe('The delivery the announcement was stored under.'),
    run_ids: z.array(z.string()).describe('The runs it started (or started before under the same delivery).'),
    duplicate: z.boolean().describe('True when this change had been announced before.'),
  }),
  idempotent: true,
  run: async (input, ctx: ActionContext<RunsConnection>) => {
    if (!ctx.connection.announceWrite) throw new Error('runs.announce_write needs the runtime engine to deliver events');
    const dot = input.event.indexOf('.');
    const source = input.event.slice(0, dot);
    const deliveryId = `runtime-write:${input.event.slice(dot + 1)}:${input.change}`;
    const result = await ctx.connection.announceWrite(source, input.event.slice(dot + 1), input.record, deliveryId);
    ctx.note(`${result.duplicate ? 'announced before' : 'announced'} ${input.event} ${input.change}: ${result.runIds.length} run(s)`);
    return { delivery_id: deliveryId, run_ids: result.runIds, duplicate: result.duplicate };
  },
});
