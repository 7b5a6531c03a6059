import { sql, type Transaction } from 'kysely';
import type { Database } from './database.ts';
import { parse } from './store-rows.ts';

/**
 * Stops kept per stopper (a `timer` trigger's stop_on with `by`, D14: the claim that stops a request's
 * reminders): a marker row per record and stopper, offset `stop:<stopper>`, status `stopped`, holding
 * the record's latest state. When the stopper's event carries another key (ops moved the claim to
 * another request), its markers on the other keys are lifted here; the engine recomputes the timers
 * of each record nothing stops any more (business-timers.ts).
 */

/** The offset label of a stop kept per stopper: lifted when the stopper moves to another key. */
export const stopMarkerOf = (stopper: string) => `stop:${stopper}`;

/** A stopper's stops to lift from every key but `keepKey` (the key its record carries now). */
export interface LiftTimerStopsInput {
  recipe: string;
  stopper: string;
  keepKey: string;
  now: number;
}

/** A record nothing stops any more, with its last state as its events carried it (to recompute its timers from). */
export interface LiftedTimerStop {
  key: string;
  date: string;
  data: unknown;
}

/**
 * Lifts a stopper's stops from every key but the one its record carries now (ops moved the claim to
 * another request). Resolves with the records nothing stops any more and whose state is known: their
 * timers are to be recomputed from it (the engine does, by the recompute rules: a day already past is
 * late). A record with another stop stays stopped.
 */
export async function liftTimerStopsWork(trx: Transaction<Database>, input: LiftTimerStopsInput): Promise<LiftedTimerStop[]> {
  const markers = await trx
    .selectFrom('business_timers')
    .selectAll()
    .where('recipe', '=', input.recipe)
    .where('offset', '=', stopMarkerOf(input.stopper))
    // A literal, as in the partial index business_timers_stopped_by_offset (a bound one keeps a generic plan off it).
    .where('status', '=', sql.lit('stopped'))
    .where('record_key', '!=', input.keepKey)
    .execute();
  const lifted: LiftedTimerStop[] = [];
  for (const marker of markers) {
    await trx.deleteFrom('business_timers').where('id', '=', marker.id).where('status', '=', 'stopped').execute();
    const other = await trx
      .selectFrom('business_timers')
      .select('id')
      .where('recipe', '=', input.recipe)
      .where('record_key', '=', marker.record_key)
      .where('status', '=', 'stopped')
      .limit(1)
      .executeTakeFirst();
    if (!other && marker.record_date !== '') lifted.push({ key: marker.record_key, date: marker.record_date, data: parse(marker.record_data) });
  }
  return lifted;
}
