import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.ts';
import { json, parse } from './store-rows.ts';

/**
 * Ops changing a timer's offsets table (D14's claim-reminders: "changing a number there changes
 * behaviour with no code change") reaching the timers already pending. The recompute of an event uses
 * the table as it is, but a record whose request does not change would keep the days it was given. So
 * at start (and when a scenario changes the table), for each recipe whose offsets come from a table:
 * pending rows of an offset the table no longer has are canceled, and every record that still has a
 * pending timer gets the new offsets, computed from the record's stored date. The offsets last applied
 * are kept in a row of the recipe (record key '', offset `@offsets`), so an unchanged table costs one
 * read at start whatever the number of pending timers.
 */

/** The fire times of the current offsets for a record's stored date (null: the date no longer parses). */
export type OffsetFireTimes = (date: string) => ReadonlyArray<{ offset: string; fireAt: number }> | null;

/** Applies a table's current offsets to a recipe's pending timers. */
export interface SyncTimerOffsetsInput {
  recipe: string;
  /** The offsets the table gives now, in its row order. */
  offsets: readonly string[];
  fireTimes: OffsetFireTimes;
  /** What the table is called, for the reasons stored on the rows (`the claim-reminders table`). */
  source: string;
  now: number;
}

/**
 * `unchanged`: the offsets are the ones applied before. Otherwise how many pending timers were
 * canceled (offset gone), added pending (new offset, still to come) and added skipped (new offset whose
 * time had already passed: it is not sent late), over how many records. `firstSync`: no offsets were
 * recorded as applied (a new store, or one from before this row): each offset counted as new and the
 * removed ones are not known by name.
 */
export type SyncTimerOffsetsOutcome =
  | { kind: 'unchanged' }
  | { kind: 'applied'; added: string[]; removed: string[]; canceled: number; pending: number; skipped: number; records: number; firstSync: boolean };

/** The row of a recipe that keeps the offsets last applied to its timers. */
const OFFSETS_KEY = '';
const OFFSETS_ROW = '@offsets';
/** Records per transaction when new offsets are added: short commits, bounded memory. */
const PAGE = 500;

type RunInTransaction = <T>(fn: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;

/** The sync: one transaction per page of records, one for the cancel; the offsets row is written last, so a crash redoes it. */
export async function syncTimerOffsets(db: Kysely<Database>, transaction: RunInTransaction, input: SyncTimerOffsetsInput): Promise<SyncTimerOffsetsOutcome> {
  const marker = await db
    .selectFrom('business_timers')
    .select('record_data')
    .where('recipe', '=', input.recipe)
    .where('record_key', '=', OFFSETS_KEY)
    .where('offset', '=', OFFSETS_ROW)
    .executeTakeFirst();
  const applied = marker ? (parse(marker.record_data) as string[]) : null;
  if (applied && applied.length === input.offsets.length && applied.every((o, i) => o === input.offsets[i])) return { kind: 'unchanged' };
  const wanted = new Set(input.offsets);
  // Without a row (a store from before it, or the first start), every offset counts as new: adding an
  // offset a record already has changes nothing.
  const added = applied ? input.offsets.filter((o) => !applied.includes(o)) : [...input.offsets];
  const removed = applied ? applied.filter((o) => !wanted.has(o)) : [];

  let pending = 0;
  let skipped = 0;
  let records = 0;
  const newOffsets = new Set(added);
  for (let after = OFFSETS_KEY; newOffsets.size > 0; ) {
    // A record with a pending timer is live (its last event had `while` true and a date, no stop):
    // a record all of whose timers fired or were canceled gets the new offsets from its next event.
    const page = await db
      .selectFrom('business_timers')
      .select((eb) => ['record_key', eb.fn.max('record_date').as('record_date'), eb.fn.max('record_data').as('record_data'), eb.fn.max('as_of').as('as_of')])
      .where('recipe', '=', input.recipe)
      .where('status', '=', 'pending')
      .where('record_key', '>', after)
      .groupBy('record_key')
      .orderBy('record_key')
      .limit(PAGE)
      .execute();
    if (page.length === 0) break;
    after = page[page.length - 1]!.record_key;
    records += page.length;
    const counts = await transaction(async (trx) => {
      let p = 0;
      let s = 0;
      for (const record of page) {
        const times = input.fireTimes(String(record.record_date));
        if (!times) continue;
        for (const [index, time] of times.entries()) {
          if (!newOffsets.has(time.offset)) continue;
          const past = time.fireAt <= input.now;
          const values = {
            offset_index: index,
            record_date: String(record.record_date),
            record_data: String(record.record_data ?? json(null)),
            as_of: record.as_of === null ? null : Number(record.as_of),
            fire_at: time.fireAt,
            status: past ? 'skipped' : 'pending',
            reason: past ? `added to the ${input.source} after its time had passed; not sent late` : null,
            updated_at: input.now,
          };
          // A row canceled when its offset left the table comes back; a pending or fired one stays.
          const result = await trx
            .insertInto('business_timers')
            .values({ recipe: input.recipe, record_key: record.record_key, offset: time.offset, ...values })
            .onConflict((oc) => oc.columns(['recipe', 'record_key', 'offset']).doUpdateSet(values).where('business_timers.status', '=', 'canceled'))
            .executeTakeFirst();
          if (Number(result.numInsertedOrUpdatedRows ?? 0) > 0) {
            if (past) s++;
            else p++;
          }
        }
      }
      return { p, s };
    });
    pending += counts.p;
    skipped += counts.s;
    if (page.length < PAGE) break;
  }

  // After the adds: a record whose only pending timer is of a removed offset is still live for them.
  const canceled = await transaction(async (trx) => {
    const result = await trx
      .updateTable('business_timers')
      .set({ status: 'canceled', reason: `the ${input.source} no longer has this offset`, updated_at: input.now })
      .where('recipe', '=', input.recipe)
      .where('status', '=', 'pending')
      .where('offset', 'not in', input.offsets.length > 0 ? [...input.offsets] : [OFFSETS_ROW])
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  });

  await transaction(async (trx) => {
    const values = { offset_index: -1, record_date: '', record_data: json(input.offsets), as_of: null, fire_at: input.now, status: 'state', reason: null, updated_at: input.now };
    await trx
      .insertInto('business_timers')
      .values({ recipe: input.recipe, record_key: OFFSETS_KEY, offset: OFFSETS_ROW, ...values })
      .onConflict((oc) => oc.columns(['recipe', 'record_key', 'offset']).doUpdateSet(values))
      .execute();
  });
  return { kind: 'applied', added, removed, canceled, pending, skipped, records, firstSync: applied === null };
}
