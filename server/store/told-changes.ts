import type { Transaction } from 'kysely';
import type { Database } from './database.ts';

/**
 * "Tell on change" (D11, D12): what the partner was last told about a subject (e.g. the status of
 * MDF-2001), so that a message goes out once per real change and never for an echo or a redelivery
 * of the same change. Keyed by the change, not the value: Approved, then Denied, then Approved again is
 * three changes and three messages, while the PRM echoing Approved back is none.
 */
export interface TellOnChangeInput {
  /** What the message is about, e.g. `mdf-request-status:MDF-2001`. */
  subject: string;
  /** The value told, e.g. `Approved`. */
  value: string;
  /** The outbox key the message would be stored under (unique per step: `told:<run id>:<step key>`). */
  key: string;
  now: number;
}

/**
 * - `tell`: the value is a change (or the same step asks again after a crash): send under `key`.
 * - `told`: the last value told is this one, by another message (`key`): send nothing.
 * - `superseded`: this step recorded its change before, but a newer change was told since (`value`):
 *   sending the older news now would contradict it, so nothing is sent.
 */
export type TellOnChangeOutcome = { kind: 'tell'; key: string } | { kind: 'told'; key: string } | { kind: 'superseded'; value: string; key: string };

/**
 * The compare-and-set, in the caller's transaction: every change a step recorded is kept (by its
 * outbox key), the newest per subject is the last value told.
 */
export async function tellOnChangeWork(trx: Transaction<Database>, input: TellOnChangeInput): Promise<TellOnChangeOutcome> {
  const latest = await trx
    .selectFrom('told_changes')
    .select(['value', 'outbox_key'])
    .where('subject', '=', input.subject)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const mine = await trx.selectFrom('told_changes').select('seq').where('outbox_key', '=', input.key).executeTakeFirst();
  if (mine) {
    // The same step again (a retry after a crash): its message is still its to send, unless news came after it.
    return latest && latest.outbox_key !== input.key ? { kind: 'superseded', value: latest.value, key: latest.outbox_key } : { kind: 'tell', key: input.key };
  }
  if (latest && latest.value === input.value) return { kind: 'told', key: latest.outbox_key };
  await trx.insertInto('told_changes').values({ subject: input.subject, value: input.value, outbox_key: input.key, told_at: input.now }).execute();
  return { kind: 'tell', key: input.key };
}
