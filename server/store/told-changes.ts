import type { Transaction } from 'kysely';
import type { Database } from './database.ts';

/**
 * "Tell on change" (D11, D12): what the partner was last told about a subject (e.g. the status of
 * MDF-2001), so that a message goes out once per real change and never for an echo or a redelivery
 * of the same change. Keyed by the change, not the value: Approved, then Denied, then Approved again is
 * three changes and three messages, while the PRM echoing Approved back is none.
 *
 * Changes are ordered by the source system's own stamp of the state the value was read from (`asOf`,
 * the PRM record's `updated`), not by the order in which runs get round to telling: a run that read an
 * older state and tells late (after a rate limit, a crash, a retry) must not tell after a run that read
 * a newer one, or the partner's last email would contradict the PRM.
 */
export interface TellOnChangeInput {
  /** What the message is about, e.g. `mdf-request-status:MDF-2001`. */
  subject: string;
  /** The value told, e.g. `Approved`. */
  value: string;
  /** The outbox key the message would be stored under (unique per step: `told:<run id>:<step key>`). */
  key: string;
  /**
   * When the source system last changed the state `value` was read from, in epoch milliseconds (the PRM
   * record's `updated`). Without it the order of telling decides (the behaviour before `as_of`).
   */
  asOf?: number;
  /**
   * The outbox key (`once:<key>`) under which older recipe versions sent this same value with
   * `once_per`, before tell on change: such a message counts as this value told when it is newer than
   * the last change told here (runs of the old version still in flight keep sending after a deploy).
   */
  legacyKey?: string;
  /**
   * When nothing was told about the subject yet, record the value without sending (outcome `quiet`):
   * for a value that is news only as a change from an earlier one, such as a Missing POP cleared (D17),
   * which is no news to a partner never asked for an item.
   */
  quietFirst?: boolean;
  /**
   * Record the value when it is a change, and send nothing (outcome `quiet`): for a change the person
   * made themselves (a partner who reopened their request knows it is Open), which is no news to them
   * but makes the next value news even when it repeats the one before (`email.note_change`).
   */
  quiet?: boolean;
  now: number;
}

/**
 * - `tell`: the value is a change (or the same step asks again after a crash): send under `key`.
 * - `told`: the last value told is this one, by another message (`key`): send nothing.
 * - `quiet`: nothing was told about the subject yet and the caller asked `quietFirst`, or the value is a
 *   change and the caller asked `quiet`: the value is recorded (a later different value is a change)
 *   and nothing is sent.
 * - `superseded`: a newer state of the subject was seen (`value`, as of `asOf`) than the one this step
 *   read, or a newer change was told since this step recorded its own: sending the older news would
 *   contradict it, so nothing is sent. The run that read the newer state tells it.
 */
export type TellOnChangeOutcome =
  | { kind: 'tell'; key: string }
  | { kind: 'told'; key: string }
  | { kind: 'quiet' }
  | { kind: 'superseded'; value: string; key: string; asOf?: number };

/**
 * The compare-and-set, in the caller's transaction: every change a step told is kept (by its outbox
 * key), the newest per subject is the last value told; the newest source stamp seen per subject is kept
 * even when nothing was told, so an older read is recognised as older whatever order runs tell in.
 *
 * The subject is locked first, for the rest of the transaction: the reads below and the write they
 * decide must not interleave with another telling of the same subject, or both read "not told yet"
 * and both tell (PostgreSQL runs transactions at once, under READ COMMITTED: a partner got the same
 * status email twice).
 */
export async function tellOnChangeWork(trx: Transaction<Database>, input: TellOnChangeInput): Promise<TellOnChangeOutcome> {
  await lockSubject(trx, input.subject);
  const latest = await trx
    .selectFrom('told_changes')
    .select(['value', 'outbox_key', 'told_at'])
    .where('subject', '=', input.subject)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const mine = await trx.selectFrom('told_changes').select('seq').where('outbox_key', '=', input.key).executeTakeFirst();
  if (mine) {
    // The same step again (a retry after a crash): its message is still its to send, unless news came
    // after it. A newer state seen with the same value told nothing, so it leaves the message this step's.
    return latest && latest.outbox_key !== input.key ? { kind: 'superseded', value: latest.value, key: latest.outbox_key } : { kind: 'tell', key: input.key };
  }
  if (input.asOf !== undefined) {
    const seen = await trx.selectFrom('told_subjects').selectAll().where('subject', '=', input.subject).executeTakeFirst();
    if (seen && input.asOf < seen.as_of) {
      return { kind: 'superseded', value: seen.value, key: latest?.outbox_key ?? '', asOf: seen.as_of };
    }
    // Equal stamps: the same state read twice, or (a stamp coarser than the changes) two changes in one
    // tick, which nothing here can order; the value read last is kept, and told when it differs.
    if (!seen) await trx.insertInto('told_subjects').values({ subject: input.subject, as_of: input.asOf, value: input.value, seen_at: input.now }).execute();
    else await trx.updateTable('told_subjects').set({ as_of: input.asOf, value: input.value, seen_at: input.now }).where('subject', '=', input.subject).execute();
  }
  const told = (await legacyTold(trx, input, latest)) ?? latest;
  if (told && told.value === input.value) return { kind: 'told', key: told.outbox_key };
  if ((!told && input.quietFirst) || input.quiet) {
    // Recorded under a key of its own that no message has: the same step asking again finds its value told.
    await trx
      .insertInto('told_changes')
      .values({ subject: input.subject, value: input.value, outbox_key: `quiet:${input.key}`, told_at: input.now, as_of: input.asOf ?? null })
      .execute();
    return { kind: 'quiet' };
  }
  await trx
    .insertInto('told_changes')
    .values({ subject: input.subject, value: input.value, outbox_key: input.key, told_at: input.now, as_of: input.asOf ?? null })
    .execute();
  return { kind: 'tell', key: input.key };
}

/**
 * An older recipe version's `once_per` message for this value (pending, being sent or sent: its run
 * sends it), taken into the subject's changes the first time it is consulted, as told when its run
 * stored it; it is the last value told when no change told here is newer. A failed one was not told.
 */
async function legacyTold(
  trx: Transaction<Database>,
  input: TellOnChangeInput,
  latest: { value: string; outbox_key: string; told_at: number } | undefined,
): Promise<{ value: string; outbox_key: string } | undefined> {
  if (!input.legacyKey) return undefined;
  const taken = await trx.selectFrom('told_changes').select('seq').where('outbox_key', '=', input.legacyKey).executeTakeFirst();
  if (taken) return undefined;
  const legacy = await trx.selectFrom('outbox').select(['status', 'created_at']).where('key', '=', input.legacyKey).executeTakeFirst();
  if (!legacy || legacy.status === 'failed') return undefined;
  if (latest && latest.told_at > legacy.created_at) return undefined;
  await trx
    .insertInto('told_changes')
    .values({ subject: input.subject, value: input.value, outbox_key: input.legacyKey, told_at: legacy.created_at, as_of: null })
    .execute();
  return { value: input.value, outbox_key: input.legacyKey };
}

/**
 * Takes the subject's lock until the transaction ends. An upsert, not a SELECT FOR UPDATE: a subject
 * never told has no row to lock, and two first tellings would both pass. On PostgreSQL the upsert locks
 * the row (a second telling waits for the first to commit, then its reads see what the first told).
 * SQLite runs one writer at a time: there it only costs a row per subject.
 */
async function lockSubject(trx: Transaction<Database>, subject: string): Promise<void> {
  await trx
    .insertInto('told_subject_locks')
    .values({ subject })
    .onConflict((oc) => oc.column('subject').doUpdateSet({ subject }))
    .execute();
}
