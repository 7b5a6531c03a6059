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
 * Upserts the keys. A key read from an older state of the claim than the one kept does not replace it:
 * two checks reading the PRM at once, the slower one with the older state, leave the newer key.
 */
export async function saveClaimTitleKeysWork(trx: Transaction<Database>, input: SaveClaimTitleKeysInput): Promise<void> {
  for (const key of input.keys) {
    const row = { title_key: key.titleKey, prm_updated_ms: key.prmUpdatedMs, seen_at: input.now };
    await trx
      .insertInto('claim_title_keys')
      .values({ claim_id: key.claimId, ...row })
      .onConflict((oc) => oc.column('claim_id').doUpdateSet(row).where('claim_title_keys.prm_updated_ms', '<=', key.prmUpdatedMs))
      .execute();
  }
}
