import { takeStopperStampWork } from './business-timer-stoppers.ts';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from './database.ts';
import type { RunId } from '../engine/ids.ts';
import type { NewRun } from './store.ts';
import { PreparedQuery } from './prepared-query.ts';
import { insertRunWork } from './store-operations.ts';
import type { StoreQueries } from './store-queries.ts';
import { json, parse } from './store-rows.ts';
import { exec, type StoreWork } from './store-work.ts';

/**
 * Business timers (the `timer` trigger, D14) in the store: one row per (recipe, record key, offset).
 * Every operation is one transaction whose writes are compare-and-sets on a row's status, so it stays
 * right with several replicas on PostgreSQL (the second writer's condition no longer holds) and after a
 * crash (a timer is marked fired in the transaction that creates its run, or neither happened).
 */

export type BusinessTimerStatus = 'pending' | 'fired' | 'canceled' | 'skipped';

/** One timer of one record. */
export interface BusinessTimer {
  id: number;
  recipe: string;
  key: string;
  /** The offset as the trigger gives it: `14` (days), `P1M`, `3BD` (business days). */
  offset: string;
  offsetIndex: number;
  /** The record's date the timer follows, as the record gave it. */
  date: string;
  /** The latest record data seen (the event's `data`). */
  data: unknown;
  fireAt: number;
  status: BusinessTimerStatus;
  /** Why it was canceled or skipped. */
  reason: string | null;
  updatedAt: number;
}

/** A record's timers as its latest event computes them. */
export interface RecomputeTimersInput {
  recipe: string;
  key: string;
  date: string;
  data: unknown;
  /** The source's stamp of `data` (epoch ms), when the trigger has `as_of`. */
  asOf: number | null;
  /** Every offset of the trigger, in order, with its fire time for this date. */
  offsets: ReadonlyArray<{ offset: string; fireAt: number }>;
  /**
   * When a late offset goes out (the trigger's `catch_up`, README "Late timers"): one whose time had
   * passed, or that this event arms with a time before this. Absent: a past offset fires at once.
   */
  catchUpAt?: number;
  now: number;
}

/**
 * - `applied`: the record's timers follow the event (`pending` of them wait, `skipped` offsets were
 *   already past with a later one also past);
 * - `stale`: a newer state of the record was applied before (its `as_of`), nothing changed;
 * - `stopped`: a stop_on event ended the record's timers for good, nothing changed.
 */
export type RecomputeTimersOutcome = { kind: 'applied'; pending: number; skipped: string[] } | { kind: 'stale' } | { kind: 'stopped'; reason: string };

/** A record's pending timers to cancel: for good (`stop`), or until a later event (`while` false, no date). */
export interface CancelTimersInput {
  recipe: string;
  key: string;
  reason: string;
  stop: boolean;
  /**
   * With `stop`: the record that stopped them (stop_on `by`, e.g. a claim's id). The stop is then kept
   * per stopper and lifted by `liftTimerStopWork` when that record moves to another key; without
   * one it is for good.
   */
  stopper?: string;
  /**
   * With `stopper`: the source's stamp of the stopper's event (stop_on `as_of`, epoch ms). Taken in the
   * stop's own transaction (business-timer-stoppers.ts): an event of the stopper newer than this one,
   * applied meanwhile (its denial lifted the stop), makes this stop `stale`; taken apart, an older event
   * could pass its check and stop the timers after the newer one lifted them.
   */
  stopperAsOf?: number;
  /** The source's stamp of the event that cancels (epoch ms), when the trigger has `as_of`. */
  asOf?: number | null;
  now: number;
}

/** `canceled`: how many pending timers it canceled; `stale`: a newer state of the record was applied before, nothing changed. */
export type CancelTimersOutcome = { kind: 'canceled'; canceled: number } | { kind: 'stale' };

/** A timer turned into a run. */
export interface FiredTimer {
  timer: BusinessTimer;
  runId: RunId;
}

/**
 * Makes the run a due timer starts (null: its recipe is no longer served; the timer is canceled), or
 * says it is late and outside its trigger's catch-up window (README "Late timers", the runtime was down
 * when it came due): it waits, pending, until `deferTo`.
 */
export type RunForTimer = (timer: BusinessTimer) => NewRun | null | DeferTimer;

/** A due timer that waits until `deferTo` (later than the firing's now) instead of firing, and why. */
export interface DeferTimer {
  deferTo: number;
  reason: string;
}

type TimerRow = Selectable<Database['business_timers']>;
type Db = Kysely<Database> | Transaction<Database>;

/** The offset label of a record's stop marker row (a stop_on event ended its timers for good). */
const STOP_MARKER = '';
/** The offset label of a stop kept per stopper (stop_on `by`): lifted when the stopper moves to another key (business-timer-stops.ts). */
export const stopMarkerOf = (stopper: string) => `stop:${stopper}`;
/**
 * The offset label of a record's state row (status `state`): the newest `as_of` applied to the record,
 * by a recompute or a cancel. It exists before any timer does (a first event that cancels) and after
 * all are settled, so a late older event is recognised whatever happened to the timer rows.
 */
const STATE_ROW = '@as_of';

/**
 * The compare-and-set every stamped recompute and cancel goes through first: stores `asOf` as the
 * record's newest state unless a newer one is stored. False: the event is older than the state applied
 * (on PostgreSQL a concurrent writer of the same record waits for this row's lock, then compares).
 */
async function claimNewestState(trx: Transaction<Database>, input: { recipe: string; key: string; asOf: number; now: number }): Promise<boolean> {
  const result = await trx
    .insertInto('business_timers')
    .values({
      recipe: input.recipe,
      record_key: input.key,
      offset: STATE_ROW,
      offset_index: -1,
      record_date: '',
      record_data: 'null',
      as_of: input.asOf,
      fire_at: input.now,
      status: 'state',
      reason: null,
      updated_at: input.now,
    })
    .onConflict((oc) =>
      oc
        .columns(['recipe', 'record_key', 'offset'])
        .doUpdateSet({ as_of: input.asOf, updated_at: input.now })
        .where((eb) => eb.or([eb('business_timers.as_of', 'is', null), eb('business_timers.as_of', '<=', input.asOf)])),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

function toTimer(row: TimerRow): BusinessTimer {
  return {
    id: row.id,
    recipe: row.recipe,
    key: row.record_key,
    offset: row.offset,
    offsetIndex: row.offset_index,
    date: row.record_date,
    data: parse(row.record_data),
    fireAt: row.fire_at,
    status: row.status as BusinessTimerStatus,
    reason: row.reason,
    updatedAt: row.updated_at,
  };
}

/**
 * The recompute rules (README "Timers that follow a record's date", "Late timers"): a fired or skipped
 * offset stays so whatever the date does; the others wait for their new time; of the late offsets
 * (time already past, or with `catchUpAt` armed by this event for a time before it) only the latest
 * goes out, at once or at `catchUpAt`, the earlier are skipped, and so is that one when an offset on
 * time comes first; a pending offset the trigger no longer has is canceled.
 */
export async function recomputeTimersWork(trx: Transaction<Database>, input: RecomputeTimersInput): Promise<RecomputeTimersOutcome> {
  const rows = await trx.selectFrom('business_timers').selectAll().where('recipe', '=', input.recipe).where('record_key', '=', input.key).execute();
  const stop = rows.find((r) => r.status === 'stopped');
  if (stop) {
    await keepStateWhileStopped(trx, input, rows);
    return { kind: 'stopped', reason: stop.reason ?? 'stopped' };
  }
  if (input.asOf !== null && rows.some((r) => r.as_of !== null && r.as_of > input.asOf!)) return { kind: 'stale' };
  if (input.asOf !== null && !(await claimNewestState(trx, { ...input, asOf: input.asOf }))) return { kind: 'stale' };
  const byOffset = new Map(rows.map((r) => [r.offset, r]));
  const untold = new Set<number>();
  for (const row of rows) {
    if (row.status === 'fired' && row.record_date !== input.date && (await firingToldNothing(trx, row))) untold.add(row.id);
  }
  const catchUpAt = input.catchUpAt ?? null;
  const open = input.offsets
    .map((o, index) => ({ ...o, index, row: byOffset.get(o.offset) }))
    .filter((o) => o.row === undefined || o.row.status === 'pending' || o.row.status === 'canceled' || untold.has(o.row.id))
    .map((o) => {
      // Already waiting for this date: an echo of the record keeps its time (a catch-up is not pushed on by every event).
      const armed = o.row?.status === 'pending' && o.row.record_date === input.date;
      const late = o.fireAt <= input.now || (catchUpAt !== null && !armed && o.fireAt < catchUpAt);
      const sendAt = late && armed && o.row!.fire_at >= o.fireAt ? o.row!.fire_at : late && catchUpAt !== null ? catchUpAt : o.fireAt;
      return { ...o, late, sendAt };
    });
  const latestLate = open.filter((o) => o.late).reduce<number>((latest, o) => Math.max(latest, o.fireAt), -Infinity);
  const firstOnTime = open.filter((o) => !o.late).reduce<number>((first, o) => Math.min(first, o.fireAt), Infinity);
  const skipped: string[] = [];
  let pending = 0;
  for (const o of open) {
    const reason =
      o.fireAt < latestLate
        ? 'its time had passed when a later offset was also due; only the later one fires'
        : o.late && o.sendAt >= firstOnTime
          ? 'its time had passed, and a later offset comes before its catch-up time; only the later one fires'
          : null;
    const skip = reason !== null;
    if (skip) skipped.push(o.offset);
    else pending++;
    const values = {
      offset_index: o.index,
      record_date: input.date,
      record_data: json(input.data),
      as_of: input.asOf,
      fire_at: o.sendAt,
      status: skip ? 'skipped' : 'pending',
      reason: reason ?? (o.sendAt !== o.fireAt ? `late (due ${new Date(o.fireAt).toISOString()}): sent at the trigger's catch-up time` : null),
      updated_at: input.now,
    };
    if (o.row) {
      // Compare-and-set: a replica that fired it meanwhile wins, and the timer stays fired; with a
      // stamp, so does a replica applying a newer state of the record at the same moment.
      let update = trx.updateTable('business_timers').set(values).where('id', '=', o.row.id).where('status', '=', o.row.status);
      if (input.asOf !== null) update = update.where((eb) => eb.or([eb('as_of', 'is', null), eb('as_of', '<=', input.asOf)]));
      await update.execute();
    } else {
      await trx
        .insertInto('business_timers')
        .values({ recipe: input.recipe, record_key: input.key, offset: o.offset, ...values })
        .onConflict((oc) => oc.columns(['recipe', 'record_key', 'offset']).doNothing())
        .execute();
    }
  }
  const wanted = new Set(input.offsets.map((o) => o.offset));
  const dropped = rows.filter((r) => r.status === 'pending' && !wanted.has(r.offset)).map((r) => r.id);
  if (dropped.length > 0) {
    await trx
      .updateTable('business_timers')
      .set({ status: 'canceled', reason: 'the trigger no longer has this offset', updated_at: input.now })
      .where('id', 'in', dropped)
      .where('status', '=', 'pending')
      .execute();
  }
  // The newest stamp is kept on every row of the record, fired ones included, so a late event is stale.
  if (input.asOf !== null) {
    await trx
      .updateTable('business_timers')
      .set({ as_of: input.asOf })
      .where('recipe', '=', input.recipe)
      .where('record_key', '=', input.key)
      .where((eb) => eb.or([eb('as_of', 'is', null), eb('as_of', '<', input.asOf)]))
      .execute();
  }
  return { kind: 'applied', pending, skipped };
}

/**
 * A stopped record's stop markers keep its latest state (date, data, stamp), so that a stop lifted
 * later (`liftTimerStopWork`) recomputes the timers from the record as it is then, not as it was when
 * the stop came. An event older than the state applied changes nothing.
 */
async function keepStateWhileStopped(trx: Transaction<Database>, input: RecomputeTimersInput, rows: readonly TimerRow[]): Promise<void> {
  if (input.asOf !== null && rows.some((r) => r.as_of !== null && r.as_of > input.asOf!)) return;
  if (input.asOf !== null && !(await claimNewestState(trx, { ...input, asOf: input.asOf }))) return;
  await trx
    .updateTable('business_timers')
    .set({ record_date: input.date, record_data: json(input.data), as_of: input.asOf, updated_at: input.now })
    .where('recipe', '=', input.recipe)
    .where('record_key', '=', input.key)
    .where('status', '=', 'stopped')
    .execute();
}

/**
 * Whether a fired timer's run told nobody anything, so that the timer may fire again for another date:
 * its run (dedup key `timer:<key>:<offset>:<date>`) completed through a `stop` step (the recipe's own
 * "nothing to do", e.g. the D14 recipe finding another end date in the PRM) and put no message in the
 * outbox. A run still going, failed, or that sent a message has told (or may still tell): its timer
 * stays fired.
 */
async function firingToldNothing(trx: Transaction<Database>, row: TimerRow): Promise<boolean> {
  const run = await trx
    .selectFrom('runs')
    .select('id')
    .where('recipe', '=', row.recipe)
    .where('dedup_key', '=', timerDedupKey(row.record_key, row.offset, row.record_date))
    .where('status', '=', 'completed')
    .where((eb) => eb.exists(eb.selectFrom('journal').select('seq').whereRef('journal.run_id', '=', 'runs.id').where('journal.step_type', '=', 'stop').where('journal.status', '=', 'completed')))
    .where((eb) => eb.not(eb.exists(eb.selectFrom('outbox').select('key').whereRef('outbox.run_id', '=', 'runs.id'))))
    .executeTakeFirst();
  return run !== undefined;
}

/**
 * Cancels a record's pending timers. `stop`: for good (a stop_on event, e.g. a claim exists, D14):
 * a marker row makes every later recompute of the record change nothing. With `asOf`, an event older
 * than the state already applied changes nothing (a late Canceled does not cancel the reminders of a
 * request Approved since), and the cancel's stamp is stored (a late older Approved does not re-arm them).
 */
export async function cancelTimersWork(trx: Transaction<Database>, input: CancelTimersInput): Promise<CancelTimersOutcome> {
  // First, so that on PostgreSQL the stopper's row stays locked until this stop commits.
  if (input.stop && input.stopper !== undefined && input.stopperAsOf !== undefined) {
    if (!(await takeStopperStampWork(trx, { recipe: input.recipe, stopper: input.stopper, asOf: input.stopperAsOf, now: input.now }))) return { kind: 'stale' };
  }
  const asOf = input.asOf ?? null;
  if (asOf !== null) {
    const newer = await trx
      .selectFrom('business_timers')
      .select('id')
      .where('recipe', '=', input.recipe)
      .where('record_key', '=', input.key)
      .where('as_of', '>', asOf)
      .limit(1)
      .executeTakeFirst();
    if (newer || !(await claimNewestState(trx, { recipe: input.recipe, key: input.key, asOf, now: input.now }))) return { kind: 'stale' };
  }
  const canceled = await trx
    .updateTable('business_timers')
    .set({ status: 'canceled', reason: input.reason, updated_at: input.now })
    .where('recipe', '=', input.recipe)
    .where('record_key', '=', input.key)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (input.stop) {
    // The record's last state goes with the marker: a stop lifted later recomputes from it.
    const last = await trx
      .selectFrom('business_timers')
      .select(['record_date', 'record_data', 'as_of'])
      .where('recipe', '=', input.recipe)
      .where('record_key', '=', input.key)
      .where((eb) => eb.or([eb('offset_index', '>=', 0), eb('status', '=', 'stopped')]))
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    await trx
      .insertInto('business_timers')
      .values({
        recipe: input.recipe,
        record_key: input.key,
        offset: input.stopper === undefined ? STOP_MARKER : stopMarkerOf(input.stopper),
        offset_index: -1,
        record_date: last?.record_date ?? '',
        record_data: last?.record_data ?? 'null',
        as_of: last?.as_of ?? null,
        fire_at: input.now,
        status: 'stopped',
        reason: input.reason,
        updated_at: input.now,
      })
      .onConflict((oc) => oc.columns(['recipe', 'record_key', 'offset']).doNothing())
      .execute();
  }
  return { kind: 'canceled', canceled: Number(canceled.numUpdatedRows) };
}

/** A due row and, when a later offset of its record is also due and pending, that offset's label. */
type DueRow = TimerRow & { overtaken_by: string | null };

/** The statements of firing, compiled once per database: firing runs as a unit of work on the store's fast path. */
export function timerQueries(db: Kysely<Database>) {
  return {
    /**
     * Due rows, soonest first, each with the latest other offset of its record that is also due and
     * pending (a probe of the unique (recipe, record_key, offset) index per row). Computed here, not
     * within a batch: after downtime a record's day-2 and day-14 rows may be read in different batches.
     * A column rather than a NOT EXISTS filter, so an overtaken row is settled (skipped) when read and
     * leaves the pending index, instead of being scanned again by every batch until its record fires.
     */
    due: new PreparedQuery<{ now: number; limit: number }, DueRow>((p) =>
      db
        .selectFrom('business_timers as t')
        .selectAll('t')
        .select((eb) =>
          eb
            .selectFrom('business_timers as l')
            .select('l.offset')
            .whereRef('l.recipe', '=', 't.recipe')
            .whereRef('l.record_key', '=', 't.record_key')
            .where('l.status', '=', sql.lit('pending'))
            .where('l.fire_at', '<=', p('now'))
            .where((later) => later.or([later('l.fire_at', '>', later.ref('t.fire_at')), later.and([later('l.fire_at', '=', later.ref('t.fire_at')), later('l.offset_index', '>', later.ref('t.offset_index'))])]))
            .orderBy('l.fire_at', 'desc')
            .orderBy('l.offset_index', 'desc')
            .limit(1)
            .as('overtaken_by'),
        )
        // Literal statuses, as in the partial index business_timers_due: bound, a prepared statement's
        // generic plan could not use that index.
        .where('t.status', '=', sql.lit('pending'))
        .where('t.fire_at', '<=', p('now'))
        .orderBy('t.fire_at')
        .orderBy('t.id')
        .limit(p('limit')),
    ),
    /**
     * The compare-and-set: only a timer still pending at the time read becomes fired (or skipped, or
     * canceled). On PostgreSQL a recompute committed between the due read and this update (the date
     * moved) changed fire_at: the update matches nothing and the timer waits for its new time.
     */
    settle: new PreparedQuery<{ id: number; fireAt: number; status: string; reason: string | null; now: number }>((p) =>
      db
        .updateTable('business_timers')
        .set({ status: p('status'), reason: p('reason'), updated_at: p('now') })
        .where('id', '=', p('id'))
        .where('status', '=', 'pending')
        .where('fire_at', '=', p('fireAt')),
    ),
    /** A late timer moved into its catch-up window: compare-and-set as `settle`, it stays pending. */
    defer: new PreparedQuery<{ id: number; fireAt: number; deferTo: number; reason: string; now: number }>((p) =>
      db
        .updateTable('business_timers')
        .set({ fire_at: p('deferTo'), reason: p('reason'), updated_at: p('now') })
        .where('id', '=', p('id'))
        .where('status', '=', 'pending')
        .where('fire_at', '=', p('fireAt')),
    ),
  };
}
export type TimerQueries = ReturnType<typeof timerQueries>;

/** Rounds of the due query one firing may make when overtaken rows (skipped, not fired) fill its reads. */
const MAX_DUE_READS = 50;

/** How a skip names the offset that overtook a row: `day 14` for a day offset, else its label. */
function offsetName(label: string): string {
  return isDayOffset(label) ? `day ${label}` : label;
}

/** Whether a stored offset label is a number of days (`14`) rather than a duration (`P1M`, `3BD`). */
export function isDayOffset(label: string): boolean {
  return /^\d+$/.test(label);
}

/**
 * The dedup key of the run a timer fires: one run per record, offset and date, whichever worker or
 * replica fires it. The firing and the "did its run tell anything" check must build the same key.
 */
export function timerDedupKey(key: string, offset: string, date: string): string {
  return `timer:${key}:${offset}:${date}`;
}

/**
 * Fires up to `limit` due timers in one transaction: marks each fired (compare-and-set on `pending`)
 * and creates its run (deduplicated by `timer:<key>:<offset>:<date>`), so a timer is fired exactly
 * when its run exists, and two replicas firing at once fire it once. A due row whose record has a later
 * offset also due and pending (the runtime was down across both) is skipped, "overtaken by day N":
 * only the latest fires, whichever batch reads which row. A row `runFor` defers (late, outside its
 * trigger's catch-up window) moves to its new time and stays pending. Skipped and deferred rows do not
 * count towards `limit`: fewer than `limit` fired means none is left due (or a concurrent writer took them).
 */
export function* fireDueTimersWork(q: StoreQueries, t: TimerQueries, input: { now: number; limit: number; runFor: RunForTimer }): StoreWork<FiredTimer[]> {
  const fired: FiredTimer[] = [];
  for (let read = 0; read < MAX_DUE_READS && fired.length < input.limit; read++) {
    const want = input.limit - fired.length;
    const { rows } = yield* exec(t.due, { now: input.now, limit: want });
    for (const row of rows) {
      const timer = toTimer(row);
      if (row.overtaken_by !== null) {
        yield* exec(t.settle, { id: timer.id, fireAt: timer.fireAt, status: 'skipped', reason: `overtaken by ${offsetName(row.overtaken_by)}`, now: input.now });
        continue;
      }
      const run = input.runFor({ ...timer, status: 'fired' });
      if (!run) {
        yield* exec(t.settle, { id: timer.id, fireAt: timer.fireAt, status: 'canceled', reason: 'its recipe is no longer served', now: input.now });
        continue;
      }
      if ('deferTo' in run) {
        yield* exec(t.defer, { id: timer.id, fireAt: timer.fireAt, deferTo: run.deferTo, reason: run.reason, now: input.now });
        continue;
      }
      const won = yield* exec(t.settle, { id: timer.id, fireAt: timer.fireAt, status: 'fired', reason: null, now: input.now });
      // Another worker or replica fired it since it was read.
      if (won.changes === 0) continue;
      const created = yield* insertRunWork(q, run);
      fired.push({ timer: { ...timer, status: 'fired' }, runId: created.id });
    }
    // A full read whose rows were not all fired (skipped, canceled, taken by a replica): more may be due.
    if (rows.length < want) break;
  }
  return fired;
}

/** The earliest fire time of a pending timer (an index scan), or null. */
export async function nextTimerAtQuery(db: Db): Promise<number | null> {
  const row = await db
    .selectFrom('business_timers')
    .select('fire_at')
    .where('status', '=', sql.lit('pending'))
    .orderBy('fire_at')
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.fire_at) : null;
}

/** Pending timers, soonest first; `after` pages (the last timer of the previous page). */
export async function listTimersQuery(db: Db, q: { limit: number; after?: { fireAt: number; id: number } }): Promise<BusinessTimer[]> {
  let query = db.selectFrom('business_timers').selectAll().where('status', '=', sql.lit('pending'));
  if (q.after) {
    const { fireAt, id } = q.after;
    query = query.where((eb) => eb.or([eb('fire_at', '>', fireAt), eb.and([eb('fire_at', '=', fireAt), eb('id', '>', id)])]));
  }
  return (await query.orderBy('fire_at').orderBy('id').limit(q.limit).execute()).map(toTimer);
}

/** A record's timers in every status, by offset (tests, the journal of a record). */
export async function recordTimersQuery(db: Db, q: { recipe: string; key: string }): Promise<BusinessTimer[]> {
  const rows = await db
    .selectFrom('business_timers')
    .selectAll()
    .where('recipe', '=', q.recipe)
    .where('record_key', '=', q.key)
    .where('offset', 'not in', [STOP_MARKER, STATE_ROW])
    .where('status', '!=', 'stopped')
    .orderBy('offset_index')
    .execute();
  return rows.map(toTimer);
}
