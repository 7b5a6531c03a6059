import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.ts';

/**
 * D1, two-way sync: the **sync base** of one field of one record, the value the PRM and Salesforce
 * last agreed on, each in its own terms (a PRM request `Closed` is `Approved` in Salesforce). The
 * sync rule (connectors/mdf/sync-rule.ts) tells which side changed a field by comparing each side
 * with its base, so an edit of another field (a purchase order number) never counts as a change of
 * the status, and the runtime's own writes, which move the base, never count at all.
 *
 * Values are JSON (a status, an amount or null). The base is moved by whoever has just made both sides
 * hold the value: the PRM → Salesforce sync after its write, the Salesforce → PRM apply after its.
 */
export interface SyncBase {
  prm: string | number | null;
  salesforce: string | number | null;
}

/** A record's bases, by field name (`status`, `amount`). */
export type SyncBases = Partial<Record<string, SyncBase>>;

/** Which record: the Salesforce object (`PartnerFundRequest`) and its key (the MDF number, a claim key). */
export interface SyncRecordRef {
  object: string;
  key: string;
}

/** Moves the bases of some fields of one record. */
export interface SaveSyncBasesInput extends SyncRecordRef {
  bases: SyncBases;
  now: number;
}

/** The record's bases; a field without one is absent (a record synced before bases were kept). */
export async function syncBasesQuery(db: Kysely<Database> | Transaction<Database>, ref: SyncRecordRef): Promise<SyncBases> {
  const rows = await db.selectFrom('sync_bases').selectAll().where('object', '=', ref.object).where('record_key', '=', ref.key).execute();
  const bases: SyncBases = {};
  for (const row of rows) bases[row.field] = { prm: JSON.parse(row.prm_value) as SyncBase['prm'], salesforce: JSON.parse(row.salesforce_value) as SyncBase['salesforce'] };
  return bases;
}

/** Upserts the given fields' bases (one row per record and field); other fields keep theirs. */
export async function saveSyncBasesWork(trx: Transaction<Database>, input: SaveSyncBasesInput): Promise<void> {
  for (const [field, base] of Object.entries(input.bases)) {
    if (!base) continue;
    const row = { prm_value: JSON.stringify(base.prm), salesforce_value: JSON.stringify(base.salesforce), updated_at: input.now };
    await trx
      .insertInto('sync_bases')
      .values({ object: input.object, record_key: input.key, field, ...row })
      .onConflict((oc) => oc.columns(['object', 'record_key', 'field']).doUpdateSet(row))
      .execute();
  }
}
