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
      expect((await store.claimTitleKeysProgress(1)).watermark).toBeNull();
      expect(await store.claimIdsWithTitleKey('partner day frankfurt')).toEqual([]);
      await store.saveClaimTitleKeys({
        keys: [
          { claimId: 12, titleKey: 'partner day frankfurt', prmUpdatedMs: T0 + 2000 },
          { claimId: 3, titleKey: 'partner day frankfurt', prmUpdatedMs: T0 },
          { claimId: 7, titleKey: 'straßenfest köln'.toUpperCase().toLowerCase(), prmUpdatedMs: T0 + 1000 },
        ],
        version: 1,
        now: T0 + 5000,
      });
      expect((await store.claimTitleKeysProgress(1)).watermark).toBe(T0 + 2000);
      expect(await store.claimIdsWithTitleKey('partner day frankfurt')).toEqual([3, 12]);
      expect(await store.claimIdsWithTitleKey('strassenfest köln')).toEqual([7]);
      // Exact key match: another key, or a prefix of one, finds nothing.
      expect(await store.claimIdsWithTitleKey('partner day')).toEqual([]);
      // A claim id beyond 2^31 (the PRM's ids are its own) comes back as the number it is.
      await store.saveClaimTitleKeys({ keys: [{ claimId: 3_000_000_000, titleKey: 'big', prmUpdatedMs: T0 }], version: 1, now: T0 });
      expect(await store.claimIdsWithTitleKey('big')).toEqual([3_000_000_000]);
    });

    it('D15: a claim whose title changed moves to its new key; a key read from an older state than the one kept is ignored', async () => {
      await store.saveClaimTitleKeys({ keys: [{ claimId: 3, titleKey: 'partner day frankfurt', prmUpdatedMs: T0 }], version: 1, now: T0 });
      await store.saveClaimTitleKeys({ keys: [{ claimId: 3, titleKey: 'partner day berlin', prmUpdatedMs: T0 + 60_000 }], version: 1, now: T0 + 60_000 });
      expect(await store.claimIdsWithTitleKey('partner day frankfurt')).toEqual([]);
      expect(await store.claimIdsWithTitleKey('partner day berlin')).toEqual([3]);
      // A slower check that read the claim before the rename writes after it: the newer key stays.
      await store.saveClaimTitleKeys({ keys: [{ claimId: 3, titleKey: 'partner day frankfurt', prmUpdatedMs: T0 }], version: 1, now: T0 + 61_000 });
      expect(await store.claimIdsWithTitleKey('partner day berlin')).toEqual([3]);
      expect((await store.claimTitleKeysProgress(1)).watermark).toBe(T0 + 60_000);
      // The same state read again (an overlap of two syncs) is kept, not refused.
      await store.saveClaimTitleKeys({ keys: [{ claimId: 3, titleKey: 'partner day berlin', prmUpdatedMs: T0 + 60_000 }], version: 1, now: T0 + 62_000 });
      expect(await store.claimIdsWithTitleKey('partner day berlin')).toEqual([3]);
      await store.saveClaimTitleKeys({ keys: [], version: 1, now: T0 });
    });

    it('D15: a claim the PRM holds without an Updated stamp is kept at stamp 0: found by its key, keyed anew at each read, and it moves no watermark', async () => {
      await store.saveClaimTitleKeys({ keys: [{ claimId: 8, titleKey: 'partner day frankfurt', prmUpdatedMs: 0 }], version: 1, now: T0 });
      // Kept, but no stamp read: the next catch-up reads every stamped claim.
      expect((await store.claimTitleKeysProgress(1)).watermark).toBe(0);
      expect(await store.claimIdsWithTitleKey('partner day frankfurt')).toEqual([8]);
      await store.saveClaimTitleKeys({ keys: [{ claimId: 9, titleKey: 'webinar', prmUpdatedMs: T0 + 60_000 }], version: 1, now: T0 });
      expect((await store.claimTitleKeysProgress(1)).watermark).toBe(T0 + 60_000);
      // Read again under another title (nothing stamps it): the later read replaces the key.
      await store.saveClaimTitleKeys({ keys: [{ claimId: 8, titleKey: 'partner day berlin', prmUpdatedMs: 0 }], version: 1, now: T0 + 1000 });
      expect(await store.claimIdsWithTitleKey('partner day frankfurt')).toEqual([]);
      expect(await store.claimIdsWithTitleKey('partner day berlin')).toEqual([8]);
      // Stamped by a write in the PRM since: the stamped key replaces it and is the watermark.
      await store.saveClaimTitleKeys({ keys: [{ claimId: 8, titleKey: 'roadshow', prmUpdatedMs: T0 + 120_000 }], version: 1, now: T0 + 2000 });
      expect(await store.claimIdsWithTitleKey('roadshow')).toEqual([8]);
      expect((await store.claimTitleKeysProgress(1)).watermark).toBe(T0 + 120_000);
    });

    it('D15: a first check over many claims keeps them all in one save (more rows than one statement takes), each claim at its newest state', async () => {
      // Kept before: claim 5 at a newer state than the save brings, claim 6 at an older one.
      await store.saveClaimTitleKeys({ keys: [{ claimId: 5, titleKey: 'renamed since', prmUpdatedMs: T0 + 10_000_000 }, { claimId: 6, titleKey: 'old title', prmUpdatedMs: T0 }], version: 1, now: T0 });
      const many = Array.from({ length: 1234 }, (_, i) => ({ claimId: i + 1, titleKey: `webinar ${i % 7}`, prmUpdatedMs: T0 + i * 1000 }));
      // Claim 9 listed twice (a page overlap): its newer state is kept, whichever comes first.
      many.push({ claimId: 9, titleKey: 'partner day frankfurt', prmUpdatedMs: T0 + 9_000_000 }, { claimId: 9, titleKey: 'partner day berlin', prmUpdatedMs: T0 });
      await store.saveClaimTitleKeys({ keys: many, version: 1, now: T0 + 20_000_000 });
      expect((await store.claimTitleKeysProgress(1)).watermark).toBe(T0 + 10_000_000);
      const webinar3 = await store.claimIdsWithTitleKey('webinar 3');
      expect(webinar3).toEqual(Array.from({ length: 1234 }, (_, i) => i + 1).filter((id) => (id - 1) % 7 === 3 && id !== 5 && id !== 9));
      expect(await store.claimIdsWithTitleKey('renamed since')).toEqual([5]);
      expect(await store.claimIdsWithTitleKey('old title')).toEqual([]);
      expect(await store.claimIdsWithTitleKey('webinar 5')).toContain(6);
      expect(await store.claimIdsWithTitleKey('partner day frankfurt')).toEqual([9]);
      expect(await store.claimIdsWithTitleKey('partner day berlin')).toEqual([]);
      expect(await store.claimIdsWithTitleKey('webinar 1')).toContain(1234);
    });

    it('D15: keys of another claimTitleKey version are not caught up: the watermark stops before the oldest of them until they are keyed again or dropped', async () => {
      // Kept by version 1; then claimTitleKey changes and the version is 2.
      await store.saveClaimTitleKeys({
        keys: [
          { claimId: 1, titleKey: 'straßenfest köln', prmUpdatedMs: T0 },
          { claimId: 2, titleKey: 'webinar', prmUpdatedMs: T0 + 60_000 },
          { claimId: 3, titleKey: 'partner day', prmUpdatedMs: T0 + 120_000 },
        ],
        version: 1,
        now: T0,
      });
      expect(await store.claimTitleKeysProgress(1)).toEqual({ watermark: T0 + 120_000, otherVersionRows: false });
      // No key of version 2: every claim is to be read.
      expect(await store.claimTitleKeysProgress(2)).toEqual({ watermark: null, otherVersionRows: true });
      // Claim 3 keyed again under version 2 (a catch-up stopped after its first page): the oldest claim
      // of version 1 holds the watermark back.
      await store.saveClaimTitleKeys({ keys: [{ claimId: 3, titleKey: 'partner day', prmUpdatedMs: T0 + 120_000 }], version: 2, now: T0 + 1000 });
      expect(await store.claimTitleKeysProgress(2)).toEqual({ watermark: T0, otherVersionRows: true });
      await store.saveClaimTitleKeys({ keys: [{ claimId: 1, titleKey: 'strassenfest köln', prmUpdatedMs: T0 }], version: 2, now: T0 + 2000 });
      expect(await store.claimTitleKeysProgress(2)).toEqual({ watermark: T0 + 60_000, otherVersionRows: true });
      expect(await store.claimIdsWithTitleKey('strassenfest köln')).toEqual([1]);
      // Claim 2, not listed by a complete catch-up begun after it was kept, is gone from the PRM: dropped.
      // A key of another version kept since that catch-up began (another replica's) stays.
      await store.saveClaimTitleKeys({ keys: [{ claimId: 4, titleKey: 'new', prmUpdatedMs: T0 + 180_000 }], version: 1, now: T0 + 5000 });
      expect(await store.dropClaimTitleKeysOfOtherVersions({ version: 2, seenBefore: T0 + 2000 })).toBe(1);
      expect(await store.claimIdsWithTitleKey('webinar')).toEqual([]);
      expect(await store.claimIdsWithTitleKey('new')).toEqual([4]);
      expect(await store.claimTitleKeysProgress(2)).toEqual({ watermark: T0 + 120_000, otherVersionRows: true });
      expect(await store.dropClaimTitleKeysOfOtherVersions({ version: 2, seenBefore: T0 + 6000 })).toBe(1);
      expect(await store.claimTitleKeysProgress(2)).toEqual({ watermark: T0 + 120_000, otherVersionRows: false });
      // Going back to version 1 (a rollback) finds every key of version 2 not caught up, as a bump would.
      expect(await store.claimTitleKeysProgress(1)).toEqual({ watermark: null, otherVersionRows: true });
    });
  });
}
