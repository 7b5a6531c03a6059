import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { AnnounceWrite } from './announce-write.ts';

/**
 * Creates a run of a recipe in the runtime's store, once per key (the engine's `startRun`). `startedBy`:
 * the run that starts it, whose business key (e.g. the MDF number) the started run is logged under and
 * found by, unless `businessKey` gives the started run one of its own.
 */
export type StartRun = (recipe: string, data: unknown, options: { dedupKey: string; startedBy?: string; businessKey?: string }) => Promise<{ id: string; created: boolean }>;

/** The runs connector's connection: the runtime's run starter, absent where no engine runs (validation). */
export interface RunsConnection {
  startRun?: StartRun;
  /** The runtime's delivery of its own writes (`runs.announce_write`), absent where no engine runs. */
  announceWrite?: AnnounceWrite;
}

/**
 * `runs.start`: starts a run of another recipe (one whose trigger is `{ "type": "run" }`) durably and
 * returns at once. The run is created in the store under the step's idempotency key (or `key`), so a
 * step repeated after a crash or a retry starts nothing more. The business runs hand the Salesforce
 * sync over this way (D1, D10): an outage of a reporting system retries in the sync's own run and
 * never holds up the request's routing and decision.
 */
export const startRun = defineAction({
  description: "Starts a run of a recipe whose trigger is { type: run }, once per key; the run's trigger.data is `input`.",
  input: z
    .object({
      recipe: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/).describe('The recipe to start, written as its name (validate checks it exists and has a run trigger).'),
      input: z.record(z.string(), z.unknown()).default({}).describe("What the started run reads as trigger.data."),
      key: z.string().min(1).max(300).optional().describe('Start at most one run per this key. Default: once per run and step.'),
      business_key: z
        .string()
        .min(1)
        .max(300)
        .optional()
        .describe("The started run's business key (GET /runs?key=, the console's filter), when it is about another record than the run that starts it (a lead of an import: its email). Default: the starting run's."),
    })
    .strict(),
  output: z.object({
    run_id: z.string().describe('The started run (or the one started before under the same key).'),
    created: z.boolean().describe('False when a run had been started under this key before.'),
  }),
  idempotent: true,
  run: async (input, ctx: ActionContext<RunsConnection>) => {
    if (!ctx.connection.startRun) throw new Error('runs.start needs the runtime engine to start runs');
    const started = await ctx.connection.startRun(input.recipe, input.input, { dedupKey: input.key ?? ctx.idempotencyKey, startedBy: ctx.runId, ...(input.business_key === undefined ? {} : { businessKey: input.business_key }) });
    ctx.note(`${started.created ? 'started' : 'already started'} ${input.recipe} run ${started.id}`);
    return { run_id: started.id, created: started.created };
  },
});
