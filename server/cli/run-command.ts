import { readFileSync } from 'node:fs';
import { CONNECTORS } from '../../connectors/index.ts';
import { formatIssues } from '../../schemas/format-issues.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { createRuntime } from '../runtime.ts';
import type { Command } from './main.ts';
import { describeStartupError } from './startup-error.ts';

export const runCommand: Command = {
  usage: `Usage: partnerflow run <recipe> --event <file> [--mock] [--db <file>]

Runs one recipe once with the event data in <file> (JSON: the event's data, or a webhook body
{ "event": ..., "data": ... }), until it completes, fails or waits, and prints the run and its
journal. Exit code 0 when the run completed or is waiting; 1 when it failed.
  --event <file>  the event to start the run with (required)
  --mock          against the simulated systems with demo data (no credentials needed)
  --db <file>     the store (default: PARTNERFLOW_DB; with --mock an in-memory store)`,
  options: {
    event: { type: 'string' },
    mock: { type: 'boolean' },
    db: { type: 'string' },
  },
  async run({ values, positionals }) {
    const [recipeName] = positionals;
    if (!recipeName || typeof values.event !== 'string') {
      console.error(`partnerflow run: give a recipe name and --event <file>\n\n${runCommand.usage}`);
      return 2;
    }
    let data: unknown;
    try {
      const json = JSON.parse(readFileSync(values.event, 'utf8')) as Record<string, unknown>;
      data = json && typeof json === 'object' && 'data' in json && 'event' in json ? json.data : json;
    } catch (error) {
      console.error(`partnerflow run: ${values.event}: ${(error as Error).message}`);
      return 2;
    }
    const mock = values.mock === true;
    let runtime;
    try {
      const dbPath = typeof values.db === 'string' ? values.db : mock ? ':memory:' : undefined;
      const config = loadConfig(process.env, { mock, connectors: CONNECTORS, overrides: { logLevel: 'warn', ...(dbPath ? { dbPath } : {}) } });
      runtime = await createRuntime({ config });
    } catch (error) {
      console.error(error instanceof ConfigError ? error.message : describeStartupError(error));
      return 1;
    }
    try {
      const recipe = runtime.engine.recipes.get(recipeName);
      if (!recipe) {
        console.error(`partnerflow run: no recipe named "${recipeName}"; known: ${runtime.engine.recipes.list().map((r) => r.definition.name).join(', ')}`);
        return 2;
      }
      const trigger = recipe.definition.trigger;
      if (trigger.type === 'webhook') {
        const event = runtime.catalog.eventDefinition(trigger.event);
        const parsed = event?.data.safeParse(data);
        if (parsed && !parsed.success) {
          console.error(`partnerflow run: ${values.event} is not a valid ${trigger.event}: ${formatIssues(parsed.error.issues, ['data'])}`);
          return 2;
        }
        if (parsed) data = parsed.data;
      }
      const { id } = await runtime.engine.startRun(recipeName, data, { event: trigger.type === 'webhook' ? trigger.event : undefined });
      await runtime.engine.runUntilIdle();
      const run = await runtime.store.getRun(id);
      const journal = await runtime.store.getJournal(id);
      console.log(JSON.stringify({ run, journal }, null, 2));
      return run?.status === 'failed' ? 1 : 0;
    } finally {
      await runtime.close();
    }
  },
};
