import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from './store.ts';

/**
 * D13: the budget reservation every Store must make atomically (budget-reservations.ts). Part of the
 * store contract (`describeStoreContract` calls it), so a PostgreSQL store runs it too.
 */
export function describeBudgetReservationContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}: budget reservations (D13)`, () => {
    let store: Store;
    const T0 = Date.parse('2026-03-02T09:00:00Z');
    const pool = 'flexi:EMEA:2026-Q2';

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('D13: reserves while the total fits the cap, refuses what does not fit, and says requested, already reserved, cap and left', async () => {
      const first = await store.reserveBudget({ pool, holder: 'MDF-1', amountCents: 600_000, capCents: 1_000_000, now: T0 });
      expect(first).toMatchObject({ granted: true, amountCents: 600_000, reservedBeforeCents: 0, capCents: 1_000_000, leftCents: 400_000, repeated: false });
      const second = await store.reserveBudget({ pool, holder: 'MDF-2', amountCents: 400_001, capCents: 1_000_000, now: T0 });
      expect(second).toMatchObject({ granted: false, amountCents: 400_001, reservedBeforeCents: 600_000, leftCents: 400_000 });
      // Exactly the rest fits.
      const third = await store.reserveBudget({ pool, holder: 'MDF-3', amountCents: 400_000, capCents: 1_000_000, now: T0 });
      expect(third).toMatchObject({ granted: true, reservedBeforeCents: 600_000, leftCents: 0 });
      // Another pool (another region or quarter) is its own.
      expect(await store.reserveBudget({ pool: 'flexi:EMEA:2026-Q3', holder: 'MDF-2', amountCents: 400_001, capCents: 1_000_000, now: T0 })).toMatchObject({ granted: true });
    });

    it('D13: a holder asking again (a retried step) gets the same answer, and nothing more is reserved', async () => {
      const first = await store.reserveBudget({ pool, holder: 'MDF-1', amountCents: 600_000, capCents: 1_000_000, now: T0 });
      const again = await store.reserveBudget({ pool, holder: 'MDF-1', amountCents: 600_000, capCents: 1_000_000, now: T0 + 5 });
      expect(again).toEqual({ ...first, repeated: true });
      const refused = await store.reserveBudget({ pool, holder: 'MDF-2', amountCents: 500_000, capCents: 1_000_000, now: T0 });
      expect(refused.granted).toBe(false);
      // MDF-1 releases; MDF-2's refusal stands until it is released itself (the same answer for the same step).
      await store.releaseBudget({ holder: 'MDF-1', now: T0 });
      expect(await store.reserveBudget({ pool, holder: 'MDF-2', amountCents: 500_000, capCents: 1_000_000, now: T0 })).toMatchObject({ granted: false, repeated: true });
      await store.releaseBudget({ holder: 'MDF-2', now: T0 });
      expect(await store.reserveBudget({ pool, holder: 'MDF-2', amountCents: 500_000, capCents: 1_000_000, now: T0 })).toMatchObject({ granted: true, reservedBeforeCents: 0 });
    });

    it('D13: a release gives the amount back once, so a later request fits; releasing again or what was never held gives nothing', async () => {
      await store.reserveBudget({ pool, holder: 'MDF-1', amountCents: 900_000, capCents: 1_000_000, now: T0 });
      expect((await store.reserveBudget({ pool, holder: 'MDF-2', amountCents: 200_000, capCents: 1_000_000, now: T0 })).granted).toBe(false);
      const releases = await Promise.all([store.releaseBudget({ holder: 'MDF-1', now: T0 }), store.releaseBudget({ holder: 'MDF-1', pool, now: T0 })]);
      expect(releases.map((r) => r.releasedCents).sort()).toEqual([0, 900_000]);
      expect(await store.releaseBudget({ holder: 'MDF-9', now: T0 })).toEqual({ released: [], releasedCents: 0 });
      expect(await store.reserveBudget({ pool, holder: 'MDF-3', amountCents: 1_000_000, capCents: 1_000_000, now: T0 })).toMatchObject({ granted: true, reservedBeforeCents: 0 });
    });

    it('D13: under concurrency the cap holds: of 50 callers at once, exactly as many pass as fit, and the same holder twice at once is one reservation', async () => {
      // 50 requests of USD 1,000 against a cap of USD 10,000: exactly 10 fit, whatever the interleaving.
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.reserveBudget({ pool, holder: `MDF-${i}`, amountCents: 100_000, capCents: 1_000_000, now: T0 })),
      );
      expect(answers.filter((a) => a.granted)).toHaveLength(10);
      expect(Math.max(...answers.map((a) => a.reservedBeforeCents + (a.granted ? a.amountCents : 0)))).toBe(1_000_000);
      // Two at once when only one fits (D13: two flexi requests approved in the same second): exactly one passes.
      const other = 'flexi:APAC:2026-Q2';
      const pair = await Promise.all([
        store.reserveBudget({ pool: other, holder: 'MDF-A', amountCents: 700_000, capCents: 1_000_000, now: T0 }),
        store.reserveBudget({ pool: other, holder: 'MDF-B', amountCents: 700_000, capCents: 1_000_000, now: T0 }),
      ]);
      expect(pair.map((a) => a.granted).sort()).toEqual([false, true]);
      const same = await Promise.all([
        store.reserveBudget({ pool: 'flexi:AMER:2026-Q2', holder: 'MDF-S', amountCents: 100_000, capCents: 150_000, now: T0 }),
        store.reserveBudget({ pool: 'flexi:AMER:2026-Q2', holder: 'MDF-S', amountCents: 100_000, capCents: 150_000, now: T0 }),
      ]);
      expect(same.map((a) => a.granted)).toEqual([true, true]);
      expect(same.map((a) => a.repeated).sort()).toEqual([false, true]);
      expect((await store.releaseBudget({ holder: 'MDF-S', now: T0 })).releasedCents).toBe(100_000);
    });

    it('refuses an amount that is not a whole number of cents, naming it', async () => {
      await expect(store.reserveBudget({ pool, holder: 'MDF-1', amountCents: 10.5, capCents: 1_000_000, now: T0 })).rejects.toThrow('a budget amount is a whole, non-negative number of cents; got 10.5');
    });
  });
}
