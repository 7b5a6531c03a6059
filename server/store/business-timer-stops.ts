import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.ts';
import { cancelTimersWork, recomputeTimersWork, stopMarkerOf, type CancelTimersInput, type CancelTimersOutcome, type RecomputeTimersInput, type RecomputeTimersOutcome } from './business-timers-store.ts';
import { parse } from './store-rows.ts';

/**
 * Stops kept per stopper (a `timer` trigger's stop_on with `by`, D14: the claim that stops a request's
 * reminders): a marker row per record and stopper, offset `stop:<stopper>`, status `stopped`, holding
 * the record's latest state. When the stopper's event carries another key (ops moved the claim to
 * another request), its markers on the other keys are lifted, each in the transaction that writes the
 * timers recomputed from its state: the marker goes only with the timers that replace it, so a failure
 * anywhere leaves the marker for the event's next delivery to lift (business-timers.ts).
 *
 * Two calls because the recompute evaluates the trigger's expressions (JSONata, asynchronous), which
 * stay out of a store transaction: the engine reads the markers, computes the timers from the state
 * each holds, and lifts each marker with them by a compare-and-set on that state.
 */

/** A stopper's stops on every key but `keepKey` (the key its record carries now); on every key when null (it stops nothing any more). */
export interface ListTimerStopsInput {
  recipe: string;
  stopper: string;
  keepKey: string | null;
}

/** A stop marker to lift, with the record's last state as its events carried it (to recompute its timers from). */
export interface TimerStop {
  key: string;
  /** The record's date; '' when no event of the record came before the stop (nothing to recompute). */
  date: string;
  data: unknown;
  /** The source's stamp of `data`, when the trigger has `as_of`. */
  asOf: number | null;
  /** The marker's state as read, opaque: the lift applies only while the marker still holds it. */
  revision: string;
}

/**
 * A record's timers as the engine computed them from its state (fire times, or a cancel when `while` is
 * false or the date is missing): what a lift writes when nothing else stops the record.
 */
export type TimersPlan = { kind: 'recompute'; input: RecomputeTimersInput } | { kind: 'cancel'; input: CancelTimersInput };

/** One marker to lift, and the timers that replace it (null: none, the marker held no state). */
export interface LiftTimerStopInput {
  recipe: string;
  stopper: string;
  key: string;
  /** `TimerStop.revision` as read. */
  revision: string;
  then: TimersPlan | null;
  now: number;
}

/**
 * - `lifted`: the marker is gone and `then` applied, in one transaction (`applied`: its outcome);
 * - `still-stopped`: the marker is gone, another stopper still stops the record, no timer changed;
 * - `changed`: the marker's state changed since it was read (a newer event of the record) or the marker
 *   is gone (another replica lifted it): nothing changed; read the stops again.
 */
export type LiftTimerStopOutcome =
  | { kind: 'lifted'; applied: RecomputeTimersOutcome | CancelTimersOutcome | null }
  | { kind: 'still-stopped' }
  | { kind: 'changed' };

/**
 * The stops a stopper left on every key but the one its record carries now (ops moved the claim to
 * another request), or on every key (the claim was Denied: it stops nothing any more).
 */
export async function listTimerStopsQuery(db: Kysely<Database> | Transaction<Database>, input: ListTimerStopsInput): Promise<TimerStop[]> {
  const { keepKey } = input;
  const markers = await db
    .selectFrom('business_timers')
    .selectAll()
    .where('recipe', '=', input.recipe)
    .where('offset', '=', stopMarkerOf(input.stopper))
    // A literal, as in the partial index business_timers_stopped_by_offset (a bound one keeps a generic plan off it).
    .where('status', '=', sql.lit('stopped'))
    .$if(keepKey !== null, (q) => q.where('record_key', '!=', keepKey!))
    .orderBy('record_key')
    .execute();
  return markers.map((m) => ({
    key: m.record_key,
    date: m.record_date,
    data: parse(m.record_data),
    asOf: m.as_of === null ? null : Number(m.as_of),
    revision: JSON.stringify(revisionOf(m)),
  }));
}

interface Revision {
  date: string;
  data: string;
  asOf: number | null;
}

function revisionOf(row: { record_date: string; record_data: string; as_of: number | null }): Revision {
  return { date: row.record_date, data: row.record_data, asOf: row.as_of === null ? null : Number(row.as_of) };
}

/**
 * Lifts one stop and writes the timers that replace it, in one transaction: both or neither. The
 * delete compares the marker's state with the revision read, so a newer state of the record kept on
 * it meanwhile (on PostgreSQL a concurrent writer's update is re-checked) lifts nothing: the engine
 * computes again from that state. A record another stopper still stops keeps its timers as they are.
 */
export async function liftTimerStopWork(trx: Transaction<Database>, input: LiftTimerStopInput): Promise<LiftTimerStopOutcome> {
  const read = JSON.parse(input.revision) as Revision;
  const deleted = await trx
    .deleteFrom('business_timers')
    .where('recipe', '=', input.recipe)
    .where('record_key', '=', input.key)
    .where('offset', '=', stopMarkerOf(input.stopper))
    .where('status', '=', 'stopped')
    .where('record_date', '=', read.date)
    .where('record_data', '=', read.data)
    .where((eb) => (read.asOf === null ? eb('as_of', 'is', null) : eb('as_of', '=', read.asOf)))
    .executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0) return { kind: 'changed' };
  const other = await trx
    .selectFrom('business_timers')
    .select('id')
    .where('recipe', '=', input.recipe)
    .where('record_key', '=', input.key)
    .where('status', '=', 'stopped')
    .limit(1)
    .executeTakeFirst();
  if (other) return { kind: 'still-stopped' };
  const then = input.then;
  if (then === null) return { kind: 'lifted', applied: null };
  // The record's own key and recipe, whatever the plan says: the timers replace this marker.
  const target = { recipe: input.recipe, key: input.key };
  const applied = then.kind === 'recompute' ? await recomputeTimersWork(trx, { ...then.input, ...target }) : await cancelTimersWork(trx, { ...then.input, ...target, stop: false });
  return { kind: 'lifted', applied };
}
