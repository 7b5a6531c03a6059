import type { Store } from '../../server/store/store.ts';

/** The budget connector's connection: the runtime's store, where reservations are made atomically. */
export interface BudgetConnection {
  store: Pick<Store, 'reserveBudget' | 'releaseBudget'>;
}
