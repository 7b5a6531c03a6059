import type { Kysely } from 'kysely';
import type { Database } from './database.ts';
import { PreparedQuery } from './prepared-query.ts';
import { exec, type StoreWork } from './store-work.ts';

/**
 * Rate budgets shared by every replica: a remote system's limits (Marketo: 100 calls in any 20 s and
 * 10 in flight, per instance, not per process) kept in the store, so that all processes together stay
 * under them. The kit's `SharedRateLimiter` (connectors/kit/shared-rate-limiter.ts) takes from it.
 *
 * The data: per budget, `maxCalls` rows of `rate_budget_starts` (the window) and `maxConcurrent` rows
 * of `rate_budget_slots` (the calls in flight), made on first use.
 * - **Window.** Each start row holds when the call it last admitted reached the remote system, at the
 *   latest. A call may start when a row is out of the window (`started_at <= now - windowMs`). Only
 *   rows out of the window are ever overwritten, so every call still inside the window is kept, and a
 *   free row exists exactly when fewer than `maxCalls` calls are: a sliding window, not a fixed-window
 *   approximation. When none is free, the caller waits until the oldest leaves it (`retryAt`).
 *   The remote system counts a call when it arrives, which is after the take (a token fetch, the
 *   network, another replica's clock moving), so the row holds the latest time the call can have
 *   arrived: its lease end while it is in flight, the time it ended once released. A row freed by
 *   the take time alone let a call granted at t and arriving at t + 5 s overlap the next window, and
 *   three replicas got 606 from the simulated Marketo.
 * - **In flight.** Each slot row is free or leased to one call (`holder`, `lease_until`). A call takes
 *   a free slot (or one whose lease ran out: its replica died mid-call), renews the lease while it
 *   runs, and frees it when done. A crash therefore costs its slots for one lease at most.
 *
 * Why it holds with several replicas: each take is a compare-and-set, one UPDATE whose WHERE repeats
 * the condition that makes the row free (`… WHERE slot = (a free one) AND lease_until <= now`). SQLite
 * runs one writer at a time; on PostgreSQL the UPDATE locks the row and, under READ COMMITTED,
 * evaluates the condition again on the version a concurrent transaction committed, so of two takers
 * of one row only one matches; the other finds the next free row or waits. No read-then-write race.
 * On PostgreSQL the choice of the free row skips rows other transactions hold (`FOR UPDATE SKIP
 * LOCKED`), so takers do not queue on one row. The slot is taken before the start, in one
 * transaction: a call refused by the window gives its slot back in the same transaction.
 */
export interface TakeRateBudgetInput {
  /** Names the budget, e.g. `marketo:123-ABC-456.mktorest.com`: every process calling that instance uses the same name. */
  budget: string;
  /** Calls allowed to start within any window of `windowMs`. */
  maxCalls: number;
  windowMs: number;
  /** Calls allowed in flight at once. */
  maxConcurrent: number;
  /** The call asking, unique per call (`<process>~<n>`): it frees and renews its slot by this name. */
  holder: string;
  /** How long the slot is the holder's unless renewed: how long a replica that died holds it. */
  leaseMs: number;
  now: number;
}

/** A take's answer: the slot the call holds, or why it must wait and until when. */
export type RateBudgetTake =
  | {
      granted: true;
      /** The slot in flight, and the row of the window the call took. */
      slot: number;
      start: number;
      /** The lease end, also what the start row holds until the call is released. */
      leaseUntil: number;
    }
  | {
      granted: false;
      /** `window`: `maxCalls` started within the window; `concurrency`: `maxConcurrent` in flight. */
      waitFor: 'window' | 'concurrency';
      /**
       * Window: when its oldest start leaves it (exact). Concurrency: when the soonest lease runs out,
       * the latest a slot frees (a call that ends frees it sooner; the caller also looks again then).
       * `now` when rows were free but taken by others meanwhile: look again at once.
       */
      retryAt: number;
    };

/** A call's slot, to renew. */
export interface RateBudgetSlot {
  budget: string;
  slot: number;
  holder: string;
}

/** A granted call, to release when it ended: its slot, and its start row (`start`) still holding `leaseUntil` as taken. */
export interface RateBudgetCall extends RateBudgetSlot {
  start: number;
  leaseUntil: number;
}

/** Compare-and-set attempts in one take when others took the free row first, before answering "look again now". */
const CAS_ATTEMPTS = 4;

/** The budget's statements, compiled once per database; PostgreSQL skips rows other takers hold. */
export function rateBudgetQueries(db: Kysely<Database>, kind: 'sqlite' | 'postgres') {
  const skipLocked = kind === 'postgres';
  return {
    takeSlot: new PreparedQuery<{ budget: string; max: number; now: number; holder: string; leaseUntil: number }, { slot: number }>((p) =>
      db
        .updateTable('rate_budget_slots')
        .set({ holder: p('holder'), lease_until: p('leaseUntil') })
        .where('budget', '=', p('budget'))
        .where('slot', '=', (eb) => {
          const free = eb
            .selectFrom('rate_budget_slots as free')
            .select('free.slot')
            .where('free.budget', '=', p('budget'))
            .where('free.slot', '<', p('max'))
            .where('free.lease_until', '<=', p('now'))
            .orderBy('free.slot')
            .limit(1);
          return skipLocked ? free.forUpdate().skipLocked() : free;
        })
        // The compare-and-set: still free when the row is written (PostgreSQL re-checks it after a lock wait).
        .where('lease_until', '<=', p('now'))
        .returning('slot'),
    ),
    slotsState: new PreparedQuery<{ budget: string; max: number; now: number }, { rows: number | string; free: number | string | null; soonest: number | string | null }>((p) =>
      db
        .selectFrom('rate_budget_slots')
        .select((eb) => [
          eb.fn.countAll().as('rows'),
          eb.fn.sum(eb.case().when('lease_until', '<=', p('now')).then(1).else(0).end()).as('free'),
          eb.fn.min('lease_until').as('soonest'),
        ])
        .where('budget', '=', p('budget'))
        .where('slot', '<', p('max')),
    ),
    addSlot: new PreparedQuery<{ budget: string; slot: number }>((p) =>
      db
        .insertInto('rate_budget_slots')
        .values({ budget: p('budget'), slot: p('slot'), holder: null, lease_until: 0 })
        .onConflict((oc) => oc.columns(['budget', 'slot']).doNothing()),
    ),
    freeSlot: new PreparedQuery<{ budget: string; slot: number; holder: string }>((p) =>
      db.updateTable('rate_budget_slots').set({ holder: null, lease_until: 0 }).where('budget', '=', p('budget')).where('slot', '=', p('slot')).where('holder', '=', p('holder')),
    ),
    renewSlot: new PreparedQuery<{ budget: string; slot: number; holder: string; leaseUntil: number }>((p) =>
      db
        .updateTable('rate_budget_slots')
        .set({ lease_until: p('leaseUntil') })
        .where('budget', '=', p('budget'))
        .where('slot', '=', p('slot'))
        // Still this call's, even past its lease when no one took it meanwhile (a take writes another holder).
        .where('holder', '=', p('holder')),
    ),
    takeStart: new PreparedQuery<{ budget: string; max: number; windowStart: number; until: number }, { slot: number }>((p) =>
      db
        .updateTable('rate_budget_starts')
        .set({ started_at: p('until') })
        .where('budget', '=', p('budget'))
        .where('slot', '=', (eb) => {
          const free = eb
            .selectFrom('rate_budget_starts as free')
            .select('free.slot')
            .where('free.budget', '=', p('budget'))
            .where('free.slot', '<', p('max'))
            .where('free.started_at', '<=', p('windowStart'))
            .orderBy('free.started_at')
            .limit(1);
          return skipLocked ? free.forUpdate().skipLocked() : free;
        })
        .where('started_at', '<=', p('windowStart'))
        .returning('slot'),
    ),
    // The call ended: its row holds its end (by then it had arrived), unless something else wrote it since.
    endStart: new PreparedQuery<{ budget: string; start: number; leaseUntil: number; now: number }>((p) =>
      db
        .updateTable('rate_budget_starts')
        .set({ started_at: p('now') })
        .where('budget', '=', p('budget'))
        .where('slot', '=', p('start'))
        .where('started_at', '=', p('leaseUntil')),
    ),
    startsState: new PreparedQuery<{ budget: string; max: number }, { rows: number | string; oldest: number | string | null }>((p) =>
      db
        .selectFrom('rate_budget_starts')
        .select((eb) => [eb.fn.countAll().as('rows'), eb.fn.min('started_at').as('oldest')])
        .where('budget', '=', p('budget'))
        .where('slot', '<', p('max')),
    ),
    addStart: new PreparedQuery<{ budget: string; slot: number }>((p) =>
      db
        .insertInto('rate_budget_starts')
        .values({ budget: p('budget'), slot: p('slot'), started_at: 0 })
        .onConflict((oc) => oc.columns(['budget', 'slot']).doNothing()),
    ),
  };
}

export type RateBudgetQueries = ReturnType<typeof rateBudgetQueries>;

/**
 * Takes a slot in flight and a start in the window for one call, or neither (see the comment at the
 * top for why it is atomic). Rows are made on first use, and when a budget's limits grow.
 */
export function* takeRateBudgetWork(q: RateBudgetQueries, input: TakeRateBudgetInput): StoreWork<RateBudgetTake> {
  checkLimits(input);
  const { budget, now } = input;
  const leaseUntil = now + input.leaseMs;
  let slot = -1;
  for (let attempt = 1; slot < 0; attempt++) {
    const { rows } = yield* exec(q.takeSlot, { budget, max: input.maxConcurrent, now, holder: input.holder, leaseUntil });
    if (rows[0]) {
      slot = Number(rows[0].slot);
      break;
    }
    const state = (yield* exec(q.slotsState, { budget, max: input.maxConcurrent, now })).rows[0]!;
    if (Number(state.rows) < input.maxConcurrent) {
      for (let s = 0; s < input.maxConcurrent; s++) yield* exec(q.addSlot, { budget, slot: s });
      continue;
    }
    const anyFree = Number(state.free ?? 0) > 0;
    if (!anyFree) return { granted: false, waitFor: 'concurrency', retryAt: Number(state.soonest) };
    if (attempt >= CAS_ATTEMPTS) return { granted: false, waitFor: 'concurrency', retryAt: now };
  }
  const windowStart = now - input.windowMs;
  for (let attempt = 1; ; attempt++) {
    const { rows } = yield* exec(q.takeStart, { budget, max: input.maxCalls, windowStart, until: leaseUntil });
    if (rows[0]) return { granted: true, slot, start: Number(rows[0].slot), leaseUntil };
    const state = (yield* exec(q.startsState, { budget, max: input.maxCalls })).rows[0]!;
    if (Number(state.rows) < input.maxCalls) {
      for (let s = 0; s < input.maxCalls; s++) yield* exec(q.addStart, { budget, slot: s });
      continue;
    }
    const oldest = Number(state.oldest);
    if (oldest > windowStart || attempt >= CAS_ATTEMPTS) {
      // Not started: the slot goes back in the same transaction.
      yield* exec(q.freeSlot, { budget, slot, holder: input.holder });
      return { granted: false, waitFor: 'window', retryAt: oldest > windowStart ? oldest + input.windowMs : now };
    }
  }
}

/**
 * A call ended at `now`: frees its slot and sets its window row to `now`. False when the slot was no
 * longer the holder's (its lease ran out and another call took it).
 */
export function* releaseRateBudgetWork(q: RateBudgetQueries, call: RateBudgetCall & { now: number }): StoreWork<boolean> {
  yield* exec(q.endStart, { budget: call.budget, start: call.start, leaseUntil: call.leaseUntil, now: call.now });
  return (yield* exec(q.freeSlot, { budget: call.budget, slot: call.slot, holder: call.holder })).changes > 0;
}

/** Extends a call's lease while it runs; false when another call took the slot after the lease ran out. */
export function* renewRateBudgetWork(q: RateBudgetQueries, input: RateBudgetSlot & { leaseUntil: number }): StoreWork<boolean> {
  return (yield* exec(q.renewSlot, input)).changes > 0;
}

function checkLimits(input: TakeRateBudgetInput): void {
  for (const [name, value] of [['maxCalls', input.maxCalls], ['windowMs', input.windowMs], ['maxConcurrent', input.maxConcurrent], ['leaseMs', input.leaseMs]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`rate budget ${input.budget}: ${name} must be a whole number of at least 1; got ${value}`);
  }
}
