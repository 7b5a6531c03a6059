import type { Transaction } from 'kysely';
import type { Database } from './database.ts';

/**
 * Budget reservations (D13): a holder (e.g. `mdf-request:MDF-2001`) reserves an amount in a pool (e.g.
 * `flexi:EMEA:2026-Q2`, the flexi-budget of a region and quarter) only while the pool's reserved total
 * plus the amount stays within the cap. Two requests decided at the same moment of which only one fits
 * never both pass.
 *
 * Why it holds, on every dialect and with several replicas: the pool's total is one row, and a
 * reservation raises it with one conditional UPDATE (`… SET reserved = reserved + n WHERE pool = p AND
 * reserved + n <= cap`). SQLite runs one writing transaction at a time; PostgreSQL locks the row for
 * the UPDATE and, under READ COMMITTED, evaluates the condition again on the row a concurrent
 * transaction committed, so the second of two concurrent reservations sees the first one's total.
 * The holder's row (primary key pool + holder) is inserted first: a second call for the same holder
 * waits for the first to commit and then reads its answer, so a retried step gets the same answer.
 * Amounts are whole cents (integers): no floating point in a comparison with a cap.
 */
export interface ReserveBudgetInput {
  pool: string;
  holder: string;
  amountCents: number;
  capCents: number;
  now: number;
}

/** The answer to a reservation, with the numbers a person is told (D13: requested, already reserved, cap, left). */
export interface BudgetReservation {
  pool: string;
  holder: string;
  /** Whether the amount was reserved; false: it did not fit (nothing was reserved). */
  granted: boolean;
  amountCents: number;
  capCents: number;
  /** What others held in the pool when this holder was answered. */
  reservedBeforeCents: number;
  /** What the pool has left after the answer: cap - reserved before - (the amount, when granted); never below 0. */
  leftCents: number;
  /** True when this holder had been answered before (a retried step): the answer is the stored one. */
  repeated: boolean;
}

export interface ReleaseBudgetInput {
  holder: string;
  /** Only the holder's reservation in this pool; without it, the holder's reservations in every pool. */
  pool?: string;
  now: number;
}

/** What a release gave back: the reservations removed, and the cents returned to their pools. */
export interface BudgetRelease {
  released: Array<{ pool: string; amountCents: number; granted: boolean }>;
  releasedCents: number;
}

/** The reservation, in the caller's transaction (see the comment at the top for why it is atomic). */
export async function reserveBudgetWork(trx: Transaction<Database>, input: ReserveBudgetInput): Promise<BudgetReservation> {
  checkCents('amount', input.amountCents);
  checkCents('cap', input.capCents);
  const inserted = await trx
    .insertInto('budget_reservations')
    .values({ pool: input.pool, holder: input.holder, amount_cents: input.amountCents, cap_cents: input.capCents, reserved_before_cents: 0, granted: 0, created_at: input.now })
    .onConflict((oc) => oc.columns(['pool', 'holder']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
    const stored = await trx.selectFrom('budget_reservations').selectAll().where('pool', '=', input.pool).where('holder', '=', input.holder).executeTakeFirstOrThrow();
    return answer(stored, true);
  }
  await trx
    .insertInto('budget_pools')
    .values({ pool: input.pool, reserved_cents: 0, updated_at: input.now })
    .onConflict((oc) => oc.column('pool').doNothing())
    .execute();
  const raised = await trx
    .updateTable('budget_pools')
    .set((eb) => ({ reserved_cents: eb('reserved_cents', '+', input.amountCents), updated_at: input.now }))
    .where('pool', '=', input.pool)
    .where((eb) => eb(eb('reserved_cents', '+', input.amountCents), '<=', input.capCents))
    .returning('reserved_cents')
    .executeTakeFirst();
  const reservedBefore = raised
    ? Number(raised.reserved_cents) - input.amountCents
    : Number((await trx.selectFrom('budget_pools').select('reserved_cents').where('pool', '=', input.pool).executeTakeFirstOrThrow()).reserved_cents);
  const row = { pool: input.pool, holder: input.holder, amount_cents: input.amountCents, cap_cents: input.capCents, reserved_before_cents: reservedBefore, granted: raised ? 1 : 0, created_at: input.now };
  await trx
    .updateTable('budget_reservations')
    .set({ reserved_before_cents: row.reserved_before_cents, granted: row.granted })
    .where('pool', '=', input.pool)
    .where('holder', '=', input.holder)
    .execute();
  return answer(row, false);
}

/**
 * Gives a holder's reservations back to their pools and forgets the answers (granted or refused), so a
 * later reservation by the same holder is decided afresh. Releasing what is not held releases nothing.
 * Each row is deleted before its amount is given back, and only the transaction that deleted it gives
 * it back: two concurrent releases never return one reservation twice.
 */
export async function releaseBudgetWork(trx: Transaction<Database>, input: ReleaseBudgetInput): Promise<BudgetRelease> {
  let query = trx.selectFrom('budget_reservations').select(['pool']).where('holder', '=', input.holder);
  if (input.pool !== undefined) query = query.where('pool', '=', input.pool);
  const pools = (await query.execute()).map((r) => r.pool);
  const released: BudgetRelease['released'] = [];
  for (const pool of pools) {
    const gone = await trx
      .deleteFrom('budget_reservations')
      .where('pool', '=', pool)
      .where('holder', '=', input.holder)
      .returning(['amount_cents', 'granted'])
      .executeTakeFirst();
    if (!gone) continue;
    const granted = Number(gone.granted) === 1;
    if (granted) {
      await trx
        .updateTable('budget_pools')
        .set((eb) => ({ reserved_cents: eb('reserved_cents', '-', Number(gone.amount_cents)), updated_at: input.now }))
        .where('pool', '=', pool)
        .execute();
    }
    released.push({ pool, amountCents: Number(gone.amount_cents), granted });
  }
  return { released, releasedCents: released.filter((r) => r.granted).reduce((sum, r) => sum + r.amountCents, 0) };
}

function answer(row: Database['budget_reservations'], repeated: boolean): BudgetReservation {
  const granted = Number(row.granted) === 1;
  const amountCents = Number(row.amount_cents);
  const capCents = Number(row.cap_cents);
  const reservedBeforeCents = Number(row.reserved_before_cents);
  return {
    pool: row.pool,
    holder: row.holder,
    granted,
    amountCents,
    capCents,
    reservedBeforeCents,
    leftCents: Math.max(0, capCents - reservedBeforeCents - (granted ? amountCents : 0)),
    repeated,
  };
}

function checkCents(what: string, cents: number): void {
  if (!Number.isSafeInteger(cents) || cents < 0) throw new RangeError(`a budget ${what} is a whole, non-negative number of cents; got ${cents}`);
}
