import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RateBudgetTake, Store, TakeRateBudgetInput } from './store.ts';

const T0 = Date.parse('2026-03-02T09:00:00Z');

/** Marketo's limits, lowered where a test counts them. */
function take(store: Store, over: Partial<TakeRateBudgetInput> & { holder: string; now: number }): Promise<RateBudgetTake> {
  return store.takeRateBudget({ budget: 'marketo:123-ABC-456', maxCalls: 100, windowMs: 20_000, maxConcurrent: 10, leaseMs: 60_000, ...over });
}

/** The call ended at `now`: frees its slot, and its window row counts it from then. */
async function release(store: Store, answer: RateBudgetTake, holder: string, now: number, budget = 'marketo:123-ABC-456'): Promise<boolean> {
  if (!answer.granted) throw new Error(`${holder} holds nothing to release`);
  return store.releaseRateBudget({ budget, holder, slot: answer.slot, start: answer.start, leaseUntil: answer.leaseUntil, now });
}

/**
 * Rate budgets shared across replicas (rate-budgets.ts): what every Store must do. Part of the store
 * contract (`describeStoreContract` calls it), so a PostgreSQL store runs it too.
 */
export function describeRateBudgetContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}: rate budgets shared across replicas`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('admits at most maxCalls starts in any sliding window and says when the oldest leaves it', async () => {
      const limits = { maxCalls: 3, windowMs: 20_000 };
      for (const [i, at] of [0, 1_000, 2_000].entries()) {
        const answer = await take(store, { ...limits, holder: `call-${i}`, now: T0 + at });
        expect(answer).toMatchObject({ granted: true });
        expect(await release(store, answer, `call-${i}`, T0 + at)).toBe(true);
      }
      expect(await take(store, { ...limits, holder: 'call-3', now: T0 + 3_000 })).toEqual({ granted: false, waitFor: 'window', retryAt: T0 + 20_000 });
      // A start exactly one window old is out of it (as Marketo counts).
      expect(await take(store, { ...limits, holder: 'call-3', now: T0 + 20_000 })).toMatchObject({ granted: true });
      expect(await take(store, { ...limits, holder: 'call-4', now: T0 + 20_001 })).toEqual({ granted: false, waitFor: 'window', retryAt: T0 + 21_000 });
      // Another budget (another Marketo instance) is its own.
      expect(await take(store, { ...limits, budget: 'marketo:other', holder: 'call-4', now: T0 + 20_001 })).toMatchObject({ granted: true });
    });

    it('counts a call in the window from the latest it can have reached the system: its lease end while in flight, its end once released', async () => {
      const limits = { maxCalls: 1, leaseMs: 60_000 };
      // Granted at T0, it reached Marketo some time before it ended at T0 + 5 s: Marketo counts it until T0 + 25 s at the latest.
      const slow = await take(store, { ...limits, holder: 'slow', now: T0 });
      expect(await take(store, { ...limits, holder: 'next', now: T0 + 1_000 })).toEqual({ granted: false, waitFor: 'window', retryAt: T0 + 80_000 });
      await release(store, slow, 'slow', T0 + 5_000);
      expect(await take(store, { ...limits, holder: 'next', now: T0 + 20_000 })).toEqual({ granted: false, waitFor: 'window', retryAt: T0 + 25_000 });
      expect(await take(store, { ...limits, holder: 'next', now: T0 + 25_000 })).toMatchObject({ granted: true });
    });

    it('admits at most maxConcurrent in flight; a call refused for that takes nothing from the window', async () => {
      const limits = { maxCalls: 3, maxConcurrent: 1 };
      const first = await take(store, { ...limits, holder: 'a', now: T0 });
      expect(first).toEqual({ granted: true, slot: 0, start: expect.any(Number), leaseUntil: T0 + 60_000 });
      for (let i = 0; i < 5; i++) expect(await take(store, { ...limits, holder: 'b', now: T0 + i })).toEqual({ granted: false, waitFor: 'concurrency', retryAt: T0 + 60_000 });
      await release(store, first, 'a', T0);
      const second = await take(store, { ...limits, holder: 'b', now: T0 + 10 });
      expect(second).toMatchObject({ granted: true });
      await release(store, second, 'b', T0 + 10);
      const third = await take(store, { ...limits, holder: 'c', now: T0 + 20 });
      expect(third).toMatchObject({ granted: true });
      await release(store, third, 'c', T0 + 20);
      // a, b and c started: the fourth waits for the window, and gives its slot back.
      expect(await take(store, { ...limits, holder: 'd', now: T0 + 30 })).toEqual({ granted: false, waitFor: 'window', retryAt: T0 + 20_000 });
      expect(await take(store, { ...limits, maxCalls: 4, holder: 'd', now: T0 + 40 })).toMatchObject({ granted: true });
    });

    it('a slot held by a replica that died is free once its lease runs out; the dead holder can neither free nor renew it then', async () => {
      const limits = { maxConcurrent: 1, leaseMs: 30_000 };
      const budget = 'marketo:123-ABC-456';
      const dead = await take(store, { ...limits, holder: 'dead~1', now: T0 });
      expect(dead).toMatchObject({ granted: true, leaseUntil: T0 + 30_000 });
      expect(await take(store, { ...limits, holder: 'live~1', now: T0 + 29_999 })).toEqual({ granted: false, waitFor: 'concurrency', retryAt: T0 + 30_000 });
      const live = await take(store, { ...limits, holder: 'live~1', now: T0 + 30_000 });
      expect(live).toMatchObject({ granted: true, slot: 0 });
      expect(await release(store, dead, 'dead~1', T0 + 30_000)).toBe(false);
      expect(await store.renewRateBudget({ budget, slot: 0, holder: 'dead~1', leaseUntil: T0 + 90_000 })).toBe(false);
      expect(await take(store, { ...limits, holder: 'live~2', now: T0 + 30_001 })).toMatchObject({ granted: false, waitFor: 'concurrency' });
      // The live holder renews while its call runs: the slot stays its own past the first lease.
      expect(await store.renewRateBudget({ budget, slot: 0, holder: 'live~1', leaseUntil: T0 + 90_000 })).toBe(true);
      expect(await take(store, { ...limits, holder: 'live~2', now: T0 + 60_000 })).toEqual({ granted: false, waitFor: 'concurrency', retryAt: T0 + 90_000 });
      expect(await release(store, live, 'live~1', T0 + 60_000)).toBe(true);
      expect(await take(store, { ...limits, holder: 'live~2', now: T0 + 60_001 })).toMatchObject({ granted: true });
    });

    it('under concurrency the limits hold: of 50 takers at once exactly maxConcurrent get a slot, and exactly maxCalls a start', async () => {
      const inFlight = await Promise.all(Array.from({ length: 50 }, (_, i) => take(store, { budget: 'b1', maxConcurrent: 5, holder: `h${i}`, now: T0 })));
      expect(inFlight.filter((a) => a.granted)).toHaveLength(5);
      expect(new Set(inFlight.flatMap((a) => (a.granted ? [a.slot] : []))).size).toBe(5);
      expect(inFlight.find((a) => !a.granted)).toEqual({ granted: false, waitFor: 'concurrency', retryAt: T0 + 60_000 });
      const window = await Promise.all(Array.from({ length: 50 }, (_, i) => take(store, { budget: 'b2', maxCalls: 7, maxConcurrent: 100, holder: `h${i}`, now: T0 })));
      expect(window.filter((a) => a.granted)).toHaveLength(7);
    });

    it('limits raised by ops take effect at the next call; limits lowered use fewer slots', async () => {
      expect(await take(store, { maxConcurrent: 1, holder: 'a', now: T0 })).toMatchObject({ granted: true });
      expect(await take(store, { maxConcurrent: 1, holder: 'b', now: T0 })).toMatchObject({ granted: false });
      expect(await take(store, { maxConcurrent: 2, holder: 'b', now: T0 })).toMatchObject({ granted: true, slot: 1 });
      expect(await take(store, { maxConcurrent: 2, holder: 'c', now: T0 })).toMatchObject({ granted: false, waitFor: 'concurrency' });
    });

    it('refuses limits that are not whole numbers of at least 1, naming the budget and the limit', async () => {
      await expect(take(store, { maxCalls: 0, holder: 'a', now: T0 })).rejects.toThrow('rate budget marketo:123-ABC-456: maxCalls must be a whole number of at least 1; got 0');
    });
  });
}

/**
 * Several replicas (store instances on one database) taking from one budget at once: together they
 * never pass the window or the calls in flight, and every call gets its turn. SQLite runs it with
 * several stores on one file; PostgreSQL with several stores (each its own pool) on one database. A
 * store commits the writes asked for at once together (group commit), so the takes of one store run
 * one after another in one transaction: it is the several stores whose transactions race, each take
 * a compare-and-set against rows another store's open transaction may be taking.
 */
export function describeRateBudgetReplicas(name: string, openReplicas: () => Promise<Store[]>): void {
  describe(`Rate budget shared by replicas: ${name}`, () => {
    it('under concurrency across replicas the limits hold: of 20 takers on each replica at once, exactly maxConcurrent get a slot, and exactly maxCalls a start', async () => {
      const replicas = await openReplicas();
      try {
        const takeAll = (budget: string, limits: Partial<TakeRateBudgetInput>) =>
          Promise.all(replicas.flatMap((store, r) => Array.from({ length: 20 }, (_, i) => take(store, { budget, ...limits, holder: `replica-${r}~${i}`, now: T0 }))));
        const inFlight = await takeAll('b1', { maxConcurrent: 5 });
        const slots = inFlight.flatMap((a) => (a.granted ? [a.slot] : []));
        expect(slots.sort()).toEqual([0, 1, 2, 3, 4]);
        // Refused: every slot is held (look again when the soonest lease ends), or a slot seemed free but
        // another replica's transaction was taking it (look again at once).
        for (const refused of inFlight.filter((a) => !a.granted)) expect([T0, T0 + 60_000]).toContainEqual((refused as { retryAt: number }).retryAt);
        const window = await takeAll('b2', { maxCalls: 7, maxConcurrent: 100 });
        expect(window.filter((a) => a.granted)).toHaveLength(7);
        // Once the other replicas' transactions have ended, what was refused is refused for good.
        expect(await take(replicas[0]!, { budget: 'b1', maxConcurrent: 5, holder: 'late', now: T0 })).toEqual({ granted: false, waitFor: 'concurrency', retryAt: T0 + 60_000 });
      } finally {
        for (const store of replicas) await store.close();
      }
    });

    // Some 8,000 takes: each of the 60 callers asks again whenever the window lets one more start. On
    // PostgreSQL each is a few round trips, and this took 25-35 s on a loaded machine.
    it('300 calls from three replicas, 20 callers each, on one clock: never more than 10 in flight or 25 started in any 2 s window, and all done', { timeout: 120_000 }, async () => {
      const replicas = await openReplicas();
      const limits = { budget: 'marketo:shared', maxCalls: 25, windowMs: 2_000, maxConcurrent: 10, leaseMs: 60_000 };
      let now = T0;
      let inFlight = 0;
      let peak = 0;
      const starts: number[] = [];
      try {
        await Promise.all(
          replicas.flatMap((store, r) =>
            Array.from({ length: 20 }, async (_, caller) => {
              for (let call = 0; call < 5; call++) {
                const holder = `replica-${r}~${caller}.${call}`;
                for (;;) {
                  const at = now;
                  const answer = await store.takeRateBudget({ ...limits, holder, now: at });
                  if (answer.granted) {
                    inFlight++;
                    peak = Math.max(peak, inFlight);
                    starts.push(at);
                    // The call takes a moment of the shared clock, then frees its slot.
                    await new Promise((resolve) => setImmediate(resolve));
                    now += 1;
                    inFlight--;
                    expect(await release(store, answer, holder, now, limits.budget)).toBe(true);
                    break;
                  }
                  // A full window is waited out on the shared clock (as a virtual clock's sleep moves it);
                  // a full set of slots until a call ends.
                  if (answer.waitFor === 'window') now = Math.max(now, answer.retryAt);
                  else await new Promise((resolve) => setImmediate(resolve));
                }
              }
            }),
          ),
        );
      } finally {
        for (const store of replicas) await store.close();
      }
      expect(starts).toHaveLength(300);
      expect(peak).toBeLessThanOrEqual(10);
      const sorted = [...starts].sort((a, b) => a - b);
      const busiest = Math.max(...sorted.map((t) => sorted.filter((s) => s > t - limits.windowMs && s <= t).length));
      expect(busiest).toBeLessThanOrEqual(25);
      // The window, not the calls in flight, set the pace: 300 calls at 25 per 2 s take 11 windows and more.
      expect(sorted.at(-1)! - sorted[0]!).toBeGreaterThanOrEqual(11 * limits.windowMs);
    });
  });
}
