import { afterEach, beforeEach } from 'vitest';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import type { Store } from '../../server/store/store.ts';
import type { MdfConnection } from './sync-fund-request.ts';

/**
 * For the MDF connector's tests: the sync bases (D1) in a real in-memory store, new for every test, as
 * `MdfConnection.bases`. The engine gives the connector the runtime's store the same way.
 */
export function useSyncBases(): { bases: MdfConnection['bases']; store: () => Store } {
  let store: Store | undefined;
  beforeEach(async () => {
    store = await openSqliteStore({ path: ':memory:' });
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  const current = (): Store => {
    if (!store) throw new Error('useSyncBases: the store is open only inside a test');
    return store;
  };
  return {
    store: current,
    bases: { syncBases: (ref) => current().syncBases(ref), saveSyncBases: (input) => current().saveSyncBases(input) },
  };
}
