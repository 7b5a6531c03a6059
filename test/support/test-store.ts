import { afterEach, beforeEach } from 'vitest';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import type { Store } from '../../server/store/store.ts';

/**
 * A fresh in-memory store for each test of the file, for connectors that keep state in the store
 * (Marketo's rate budget, shared across replicas): `testDeps(clock, log, store())`.
 */
export function useTestStore(): () => Store {
  let store: Store | undefined;
  beforeEach(async () => {
    store = await openSqliteStore({ path: ':memory:' });
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  return () => {
    if (!store) throw new Error('the test store is open only inside a test');
    return store;
  };
}
