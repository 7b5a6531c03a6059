import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from './store.ts';

/**
 * D15: the claim title keys every Store keeps (claim-title-keys.ts, migration 0019). Part of the store
 * contract (`describeStoreContract` calls it), so a PostgreSQL store runs it too.
 */
export function describeClaimTitleKeysContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}: claim title keys (D15)`, () => {
    let store: Store;
    const T0 = Date.parse('2026-04-06T09:00:00Z');

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('D15: no watermark before the first key; then the newest PRM stamp kept, and the claims with a key, oldest first', async () => {
      expect(await store.claimTitleKeysWatermark()).toBeNull();
      expect(await store.claimIdsWithTitleKey('partner day frankfurt')).toEqual([]);
      await store.saveClaimTitleKeys({
        keys: [
          { claimId: 12, titleKey: 'partner day frankfurt', prmUpdatedMs: T0 + 2000 },
          { claimId: 3, titleKey: 'partner day frankfurt', prmUpdatedMs: T0 },
          { claimId: 7, titleKey: 'straßenfest köln'.toUpperCase().toLowerCase(), prmUpdatedMs: T0 + 1000 },
        ],
        now: T0 + 5000,
      });
      expect(await store.claimTitleKeysWatermark()).toBe(T0 + 2000);
      expect(await store.claimIdsWithTitleKey('partner day frankfurt')).toEqual([3, 12]);
      expect(await store.claimIdsWithTitleKey('strassenfest köln')).toEqual([7]);
      // Exact key match: another key, or a prefix of one, finds nothing.
      expect(await store.claimIdsWithTitleKey('partner day')).toEqual([]);
      // A claim id beyond 2^31 (the PRM's ids are its own) comes back as the number it is.
      await store.saveClaimTitleKeys({ keys: [{ claimId: 3_000_000_000, titleKey: 'big', prmUpdatedMs: T0 }], now: T0 });
      expect(await store.claimIdsWithTitleKey('big')).toEqual([3_000_000_000]);
    });

    it('D15: a claim whose title changed moves to its new key; a key read from an older state than the one kept is ignored', async () => {
      await store.saveClaimTitleKeys({ keys: [{ claimId: 3, titleKey: 'partner day frankfurt', prmUpdatedMs: T0 }], now: T0 });
      await store.saveClaimTitleKeys({ keys: [{ claimId: 3, titleKey: 'partner day berlin', prmUpdatedMs: T0 + 60_000 }], now: T0 + 60_000 });
      expect(await store.claimIdsWithTitleKey('partner day frankfurt')).toEqual([]);
      expect(await store.claimIdsWithTitleKey('partner day berlin')).toEqual([3]);
      // A slower check that read the claim before the rename writes after it: the newer key stays.
      await store.saveClaimTitleKeys({ keys: [{ claimId: 3, titleKey: 'partner day frankfurt', prmUpdatedMs: T0 }], now: T0 + 61_000 });
      expect(await store.claimIdsWithTitleKey('partner day berlin')).toEqual([3]);
      expect(await store.claimTitleKeysWatermark()).toBe(T0 + 60_000);
      // The same state read again (an overlap of two syncs) is kept, not refused.
      await store.saveClaimTitleKeys({ keys: [{ claimId: 3, titleKey: 'partner day berlin', prmUpdatedMs: T0 + 60_000 }], now: T0 + 62_000 });
      expect(await store.claimIdsWithTitleKey('partner day berlin')).toEqual([3]);
      await store.saveClaimTitleKeys({ keys: [], now: T0 });
    });
  });
}
