import { z } from 'zod';
import { defineConnector } from '../kit/define-connector.ts';
import { announceWrite } from './announce-write.ts';
import { startRun, type RunsConnection } from './start-run.ts';

/** The runtime itself: a recipe starts another recipe's run (e.g. a Salesforce sync that may wait hours for Salesforce). */
export const runsConnector = defineConnector({
  name: 'runs',
  description: 'Starts runs of other recipes, durably and once per key, and announces the runtime\'s own writes as their system\'s events.',
  config: z.object({}),
  env: {},
  mockConfig: {},
  connect: (_config, deps): RunsConnection => ({ startRun: deps.startRun, announceWrite: deps.announceWrite }),
  actions: { start: startRun, announce_write: announceWrite },
});
