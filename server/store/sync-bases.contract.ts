import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from './store.ts';

/**
 * D1: the sync bases every Store keeps (sync-bases.ts). Part of the store contract
 * (`describeStoreContract` calls it), so a PostgreSQL store runs it too.
 */
export function describeSyncBasesContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}: sync bases (D1)`, () => {
    let store: Store;
    const T0 = Date.parse('2026-03-02T09:00:00Z');

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('D1: a record never synced has no base; saved bases come back per field, each side in its own terms', async () => {
      expect(await store.syncBases({ object: 'PartnerFundRequest', key: 'MDF-1' })).toEqual({});
      await store.saveSyncBases({ object: 'PartnerFundRequest', key: 'MDF-1', bases: { status: { prm: 'Closed', salesforce: 'Approved' }, amount: { prm: 8000.5, salesforce: 8000.5 } }, now: T0 });
      expect(await store.syncBases({ object: 'PartnerFundRequest', key: 'MDF-1' })).toEqual({ status: { prm: 'Closed', salesforce: 'Approved' }, amount: { prm: 8000.5, salesforce: 8000.5 } });
      // Another record, or the same key in another object, is its own.
      expect(await store.syncBases({ object: 'PartnerFundClaim', key: 'MDF-1' })).toEqual({});
      expect(await store.syncBases({ object: 'PartnerFundRequest', key: 'MDF-2' })).toEqual({});
    });

    it('D1: moving one field\'s base keeps the others; null is a value (no approved amount)', async () => {
      const ref = { object: 'PartnerFundRequest', key: 'MDF-1' };
      await store.saveSyncBases({ ...ref, bases: { status: { prm: 'Approved', salesforce: 'Approved' }, amount: { prm: 10000, salesforce: 10000 } }, now: T0 });
      await store.saveSyncBases({ ...ref, bases: { amount: { prm: null, salesforce: null } }, now: T0 + 1 });
      expect(await store.syncBases(ref)).toEqual({ status: { prm: 'Approved', salesforce: 'Approved' }, amount: { prm: null, salesforce: null } });
      await store.saveSyncBases({ ...ref, bases: { status: { prm: 'Denied', salesforce: 'Rejected' } }, now: T0 + 2 });
      expect((await store.syncBases(ref)).status).toEqual({ prm: 'Denied', salesforce: 'Rejected' });
    });
  });
}
