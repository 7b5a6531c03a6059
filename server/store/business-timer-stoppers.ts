import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.ts';

/**
 * D14: the order of a stopper's events (stop_on `by`: a claim) for a timer recipe's stops. A stop_on
 * with `as_of` gives each event the source's stamp of the stopper (the claim's `updated`); the store
 * keeps the newest applied per recipe and stopper, and an event older than it stops or lifts nothing.
 * Without it, a claim's late event from before its denial (which had lifted its stop) stopped the
 * reminders again, with nothing left to lift that stop.
 *
 * The stamp is taken before a lift, in its own statement, and again in the stop's own transaction
 * (cancelTimersWork, `stopperAsOf`): an older event that passed its first check while a newer one was
 * being applied then stops nothing, as the newer one's lift lists the stops only after its stamp is
 * kept. A stamp is only ever raised, and an equal one is taken again, so the same event delivered
 * again after a failed stop or lift (it got no 2xx) is applied.
 */
export interface StopperStampInput {
  recipe: string;
  stopper: string;
  /** The source's stamp of the stopper's event (epoch ms). */
  asOf: number;
  now: number;
}

/**
 * Keeps `asOf` as the stopper's newest stamp unless a newer one is kept, in one statement (an upsert
 * whose update applies only when not older), so two replicas at once keep the newer. True when the
 * event is the newest (or as new as) the stopper's events applied: apply it; false when older.
 */
export async function takeStopperStampWork(db: Kysely<Database> | Transaction<Database>, input: StopperStampInput): Promise<boolean> {
  const result = await db
    .insertInto('business_timer_stoppers')
    .values({ recipe: input.recipe, stopper: input.stopper, as_of: input.asOf, updated_at: input.now })
    .onConflict((oc) =>
      oc
        .columns(['recipe', 'stopper'])
        .doUpdateSet({ as_of: input.asOf, updated_at: input.now })
        .where('business_timer_stoppers.as_of', '<=', input.asOf),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}
