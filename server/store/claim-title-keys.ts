import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.ts';

/**
 * D15, unique claim titles: each PRM claim's title key (claimTitleKey: NFKC, case folded, whitespace
 * runs one space) as last read from the PRM, with the PRM's `updated` stamp of that read. No PRM filter
 * can match the key (a `like` pattern needs the same characters in the same number, which ß against SS,
 * a decomposed accent or a doubled space do not have), so the duplicate-title check keeps the keys here:
 * it brings them up to date with the claims the PRM changed since the newest stamp kept
 * (`claimTitleKeysWatermark`), asks for the claims with its key, and reads only those from the PRM again.
 * An index, not the truth: the check compares the claims as the PRM has them now.
 */
export interface ClaimTitleKey {
  claimId: number;
  /** claimTitleKey of the claim's title; '' for a claim without one. */
  titleKey: string;
  /** The PRM's `updated` of the state read (epoch ms); 0 when the PRM gave none. */
  prmUpdatedMs: number;
}

/** Keys read from the PRM, one page of claims at a time. */
export interface SaveClaimTitleKeysInput {
  keys: ClaimTitleKey[];
  now: number;
}

/** The newest PRM `updated` stamp kept (epoch ms), or null before the first claim is kept. */
export async function claimTitleKeysWatermarkQuery(db: Kysely<Database>): Promise<number | null> {
  const row = await db.selectFrom('claim_title_keys').select((eb) => eb.fn.max('prm_updated_ms').as('newest')).executeTakeFirst();
  const newest = row?.newest;
  return newest === null || newest === undefined ? null : Number(newest);
}

/** The ids of the claims kept with this key, lowest (oldest) first. */
export async function claimIdsWithTitleKeyQuery(db: Kysely<Database>, titleKey: string): Promise<number[]> {
  const rows = await db.selectFrom('claim_title_keys').select('claim_id').where('title_key', '=', titleKey).orderBy('claim_id', 'asc').execute();
  return rows.map((row) => Number(row.claim_id));
}

/**
 * Rows per upsert statement: 4 bound parameters a row, so 2,000 a statement, far under SQLite's 32,766
 * (its default since 3.32; better-sqlite3 bundles a newer one) and PostgreSQL's 65,535, while a first
 * check over a PRM with many claims sends a statement per 500 of them rather than one per claim.
 */
export const CLAIM_TITLE_KEYS_PER_STATEMENT = 500;

/**
 * Upserts the keys, CLAIM_TITLE_KEYS_PER_STATEMENT rows a statement. A key read from an older state of
 * the claim than the one kept does not replace it: two checks reading the PRM at once, the slower one
 * with the older state, leave the newer key. A claim given twice keeps its newer state (the later one of
 * two equal stamps, as one upsert after the other would): PostgreSQL refuses a statement that upserts
 * one row twice.
 */
export async function saveClaimTitleKeysWork(trx: Transaction<Database>, input: SaveClaimTitleKeysInput): Promise<void> {
  const newest = new Map<number, ClaimTitleKey>();
  for (const key of input.keys) {
    const kept = newest.get(key.claimId);
    if (kept === undefined || kept.prmUpdatedMs <= key.prmUpdatedMs) newest.set(key.claimId, key);
  }
  const rows = [...newest.values()].map((key) => ({ claim_id: key.claimId, title_key: key.titleKey, prm_updated_ms: key.prmUpdatedMs, seen_at: input.now }));
  for (let start = 0; start < rows.length; start += CLAIM_TITLE_KEYS_PER_STATEMENT) {
    await trx
      .insertInto('claim_title_keys')
      .values(rows.slice(start, start + CLAIM_TITLE_KEYS_PER_STATEMENT))
      .onConflict((oc) =>
        oc
          .column('claim_id')
          .doUpdateSet((eb) => ({ title_key: eb.ref('excluded.title_key'), prm_updated_ms: eb.ref('excluded.prm_updated_ms'), seen_at: eb.ref('excluded.seen_at') }))
          .whereRef('claim_title_keys.prm_updated_ms', '<=', 'excluded.prm_updated_ms'),
      )
      .execute();
  }
}
