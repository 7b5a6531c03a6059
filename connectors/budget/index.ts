import { z } from 'zod';
import { defineConnector } from '../kit/define-connector.ts';
import type { BudgetConnection } from './budget-connection.ts';
import { releaseBudget, reserveBudget } from './reserve-budget.ts';

/** The runtime's budget reservations (D13): the flexi-budget's cap holds under concurrency. */
export const budgetConnector = defineConnector({
  name: 'budget',
  description: 'Reserves and releases amounts in budget pools, atomically in the runtime store.',
  config: z.object({}),
  env: {},
  mockConfig: {},
  connect: (_config, deps): BudgetConnection => ({ store: deps.store }),
  actions: { reserve: reserveBudget, release: releaseBudget },
});
