import { readFileSync } from 'node:fs';
import { withoutByteOrderMark } from '../byte-order-mark.ts';
import { jsonSyntaxError } from '../json-syntax-error.ts';
import { CONNECTORS } from '../../connectors/index.ts';
import { ConfigError, loadConfig, type RuntimeConfig } from '../config.ts';
import { createConsoleLogger } from '../log.ts';
import { createRuntime } from '../runtime.ts';
import type { Command } from './main.ts';
import { journalEntryView, runView } from '../http/views.ts';
import { startFreshMockStore } from './mock-store.ts';
import { describeOutcome, RUN_EXIT } from './run-outcome.ts';
import { describeStartupError } from './startup-error.ts';
import { describeStoreLocation } from '../store/open-store.ts';
import { recipeArgument } from './recipe-argument.ts';
import { runEvent, SCHEDULE_EVENT_SHAPE } from './run-event.ts';
import { previousScheduledSlot } from '../engine/previous-scheduled-slot.ts';

export const runCommand: Command = {
  usage: `Usage: partnerflow run <recipe> --event <file> [--mock] [--db <file>]

Runs one recipe of RECIPES_DIR (its name, or the path of its file) once with the event data in <file> (JSON: the event's data, or a webhook body
{ "event": ..., "data": ... }), until it completes, fails or waits, with the runs it starts itself;
nothing else on the store runs (other due runs, schedules, timers and polls are left to serve). Prints the run and its journal
on stdout (JSON, ISO times, as GET /runs/<id>), and on stderr how it ended: when it waits, for what
and until when, and what happens next (with --mock: nothing, once the command exits).
  --event <file>  the event to start the run with (required), the one the recipe's trigger gives:
                  a webhook recipe: its event (an example:
                  recipes/mdf-requests/examples/mdf-request-submitted.event.json), checked against
                  the event's schema; a body naming another event is refused
                  a schedule recipe: the fire time, ${SCHEDULE_EVENT_SHAPE}
  --mock          against the simulated systems with demo data (no credentials needed)
  --ignore-filter run a webhook recipe even when its trigger filter is false for the event (by
                  default that is refused, exit 2: a delivery of that event starts no run of it)
  --db <file>     the store (default: PARTNERFLOW_DB; with --mock an in-memory store)

Exit codes: 0 completed; 1 failed or canceled (or could not start); 2 bad arguments or event;
3 left waiting (for an approval, an event or a time).`,
  options: {
    event: { type: 'string' },
    mock: { type: 'boolean' },
    db: { type: 'string' },
    'ignore-filter': { type: 'boolean' },
  },
  async run({ values, positionals }) {
    const [recipeGiven] = positionals;
    if (!recipeGiven || typeof values.event !== 'string') {
      console.error(`partnerflow run: give a recipe name (or its file) and --event <file>\n\n${runCommand.usage}`);
      return RUN_EXIT.usage;
    }
    let json: unknown;
    let text: string;
    try {
      text = withoutByteOrderMark(readFileSync(values.event, 'utf8'));
      json = JSON.parse(text);
    } catch (error) {
      // Not JSON: the line and column of the first mistake, not Node's character offset.
      const mistake = error instanceof SyntaxError ? jsonSyntaxError(text!) : undefined;
      console.error(`partnerflow run: ${mistake ? `${values.event}:${mistake.line}:${mistake.column}: not valid JSON: ${mistake.message}` : `${values.event}: ${(error as Error).message}`}`);
      return RUN_EXIT.usage;
    }
    const mock = values.mock === true;
    let runtime;
    let config: RuntimeConfig;
    let recipeName: string;
    // Mock mode's store is locked to this process until the runtime has closed it.
    let releaseMockStore = () => {};
    try {
      const dbPath = typeof values.db === 'string' ? values.db : mock ? ':memory:' : undefined;
      // --db names a SQLite file: it wins over a PostgreSQL store (PARTNERFLOW_DATABASE_URL).
      const loaded = loadConfig(process.env, { mock, connectors: CONNECTORS, overrides: { logLevel: 'warn', ...(dbPath ? { dbPath, database: undefined } : {}) } });
      // A worker id of its own: run inside a replica's container, the command would otherwise hold its
      // lease under the replica's id, which that replica frees of a previous start when it restarts.
      config = { ...loaded, workerId: `${loaded.workerId}-run-${process.pid}` };
      // A wrong recipe argument is told before any store is opened or migrated.
      const given = await recipeArgument(recipeGiven, config.recipesDir);
      if (given.problem !== undefined) {
        console.error(`partnerflow run: ${given.problem}`);
        return RUN_EXIT.usage;
      }
      recipeName = given.name;
      // The simulated systems start with the demo data only: so does a store given to mock mode.
      if (mock) releaseMockStore = startFreshMockStore(config.dbPath);
      // stdout is the run as JSON (README: `| jq`); the engine's log lines go to stderr, beside how it ended.
      runtime = await createRuntime({ config, log: await createConsoleLogger(config.logLevel, process.stderr) });
    } catch (error) {
      releaseMockStore();
      console.error(error instanceof ConfigError ? error.message : describeStartupError(error, { dbSetting: typeof values.db === 'string' ? '--db' : 'PARTNERFLOW_DB' }));
      return 1;
    }
    try {
      const recipe = runtime.engine.recipes.get(recipeName);
      if (!recipe) {
        console.error(`partnerflow run: no recipe named "${recipeName}"; known: ${runtime.engine.recipes.list().map((r) => r.definition.name).join(', ')}`);
        return RUN_EXIT.usage;
      }
      const trigger = recipe.definition.trigger;
      const event = runEvent(recipe.definition, json, values.event, runtime.catalog);
      if (event.problem !== undefined) {
        console.error(`partnerflow run: ${event.problem}`);
        return RUN_EXIT.usage;
      }
      // A webhook recipe's trigger as a delivery of this event would have it: its filter (`serve` starts
      // no run for an event it is false for), and its keys, so that the run is the record's run for the
      // recipe's cancel_on, dedup_key and concurrency_key, not a run of no record beside the others.
      let keys: { dedupKey?: string; concurrencyKey?: string | null; correlationKey?: string | null } = {};
      if (trigger.type === 'webhook') {
        const triggered = await runtime.engine.webhookTriggerFor(recipeName, event.data, { ignoreFilter: values['ignore-filter'] === true });
        if (triggered.kind === 'filtered-out') {
          console.error(`partnerflow run: ${recipeName}'s trigger filter \`${trigger.filter}\` is false for ${values.event}: a delivery of this event starts no run of it. Give --ignore-filter to run it all the same`);
          return RUN_EXIT.usage;
        }
        if (triggered.kind === 'failed') {
          console.error(`partnerflow run: ${triggered.message}`);
          return RUN_EXIT.usage;
        }
        keys = { ...(triggered.dedupKey !== null ? { dedupKey: triggered.dedupKey } : {}), concurrencyKey: triggered.concurrencyKey, correlationKey: triggered.correlationKey };
      }
      // A schedule's slot run by hand is that slot's run: the slot fired before it as the engine reads it
      // (D23: the digest's window and its once_per keys are the scheduled run's, so what the schedule
      // already sent for the slot is not sent again).
      if (trigger.type === 'schedule') {
        const fire = event.data as { scheduled_at: string; previous_scheduled_at?: string | null };
        if (fire.previous_scheduled_at === undefined) {
          const previous = await previousScheduledSlot(runtime.store, recipeName, Date.parse(fire.scheduled_at));
          fire.previous_scheduled_at = previous === null ? null : new Date(previous).toISOString();
        }
      }
      const started = await runtime.engine.startRun(recipeName, event.data, { event: trigger.type === 'webhook' ? trigger.event : undefined, ...keys });
      const { id } = started;
      if (!started.created) console.error(`partnerflow run: this event's run of ${recipeName} is ${id} already (its dedup_key): shown as it is, not run again`);
      if (started.behind) console.error(`partnerflow run: run ${id} is held back behind run ${started.behind}, which has not finished (one run at a time per concurrency_key): serve starts it once that run has finished`);
      // Only this run and the runs it starts: on a shared (production) database the other due runs,
      // schedules, timers and polls are the replicas' work, not this command's.
      await runtime.engine.runOnly(id);
      const run = await runtime.store.getRun(id);
      const journal = await runtime.store.getJournal(id);
      if (!run) throw new Error(`run ${id} is not in the store`);
      console.log(JSON.stringify({ run: runView(run), journal: journal.map(journalEntryView) }, null, 2));
      const outcome = describeOutcome(run, journal, { mock, dbPath: describeStoreLocation(config), recipe: recipe.definition });
      console.error(outcome.lines.join('\n'));
      return outcome.exitCode;
    } finally {
      await runtime.close();
      releaseMockStore();
    }
  },
};
