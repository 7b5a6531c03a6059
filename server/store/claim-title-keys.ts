import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.ts';

/**
 * D15, unique claim titles: each PRM claim's title key (claimTitleKey: NFKC, case folded, whitespace
 * runs one space) as last read from the PRM, with the PRM's `updated` stamp of that read. No PRM filter
 * can match the key (a `like` pattern needs the same characters in the same number, which ß against SS,
 * a decomposed accent or a doubled space do not have), so the duplicate-title check keeps the keys here:
 * it brings them up to date with the claims the PRM changed since the newest stamp kept
 * (`claimTitleKeysProgressQuery`), asks for the claims with its key, and reads only those from the PRM
 * again. An index, not the truth: the check compares the claims as the PRM has them now. Each key says
 * which claimTitleKey version made it (CLAIM_TITLE_KEY_VERSION), so a change to the function re-keys
 * every claim rather than compare new keys with stale ones.
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
  /** The claimTitleKey version that made them (CLAIM_TITLE_KEY_VERSION). */
  version: number;
  now: number;
}

/** Where the keys of one claimTitleKey version stand against the PRM. */
export interface ClaimTitleKeysProgress {
  /**
   * The catch-up's watermark: every claim the PRM stamped before it is kept under this version. The
   * newest stamp kept under it, or, when older, the oldest stamp of a key of another version (not caught
   * up: its claim is to be read again). Null when no key of this version is kept: read every claim.
   */
  watermark: number | null;
  /** Whether keys of another version are kept: a complete catch-up drops those it did not key anew. */
  otherVersionRows: boolean;
}

/** Keys of other versions to drop once a catch-up that began at `seenBefore` has read every page. */
export interface DropClaimTitleKeysInput {
  version: number;
  seenBefore: number;
}

/**
 * The catch-up's watermark for this version (ClaimTitleKeysProgress). Right after a version change no
 * key is of the new version, so every claim is read. A re-keying catch-up that stopped midway leaves
 * the claims it did not reach under the old version, none stamped before the newest key of the new one,
 * so the next resumes there. A claim an older replica keys again under its own version (a rolling
 * deploy) holds the watermark back until it is keyed anew. Other versions are read as two ranges (below and above), so that each
 * query is a seek on the index of (version, stamp).
 */
export async function claimTitleKeysProgressQuery(db: Kysely<Database>, version: number): Promise<ClaimTitleKeysProgress> {
  const row = await db
    .selectNoFrom((eb) => [
      eb.selectFrom('claim_title_keys').select((e) => e.fn.max('prm_updated_ms').as('v')).where('title_key_version', '=', version).as('newest'),
      eb.selectFrom('claim_title_keys').select((e) => e.fn.min('prm_updated_ms').as('v')).where('title_key_version', '<', version).as('oldest_below'),
      eb.selectFrom('claim_title_keys').select((e) => e.fn.min('prm_updated_ms').as('v')).where('title_key_version', '>', version).as('oldest_above'),
    ])
    .executeTakeFirstOrThrow();
  const stamp = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  const newest = stamp(row.newest);
  const others = [stamp(row.oldest_below), stamp(row.oldest_above)].filter((value) => value !== null);
  const watermark = newest === null ? null : Math.min(newest, ...others);
  return { watermark, otherVersionRows: others.length > 0 };
}

/**
 * The ids of the claims kept with this key, lowest (oldest) first, whatever version made it: the check
 * reads them again and compares the titles as the PRM has them, so a stale key costs a read at most,
 * where leaving it out could miss a claim an older replica keyed again during a rolling deploy.
 */
export async function claimIdsWithTitleKeyQuery(db: Kysely<Database>, titleKey: string): Promise<number[]> {
  const rows = await db.selectFrom('claim_title_keys').select('claim_id').where('title_key', '=', titleKey).orderBy('claim_id', 'asc').execute();
  return rows.map((row) => Number(row.claim_id));
}

/**
 * Rows per upsert statement: 5 bound parameters a row, so 2,500 a statement, far under SQLite's 32,766
 * (its default since 3.32; better-sqlite3 bundles a newer one) and PostgreSQL's 65,535, while a first
 * check over a PRM with many claims sends a statement per 500 of them rather than one per claim.
 */
export const CLAIM_TITLE_KEYS_PER_STATEMENT = 500;

/**
 * Upserts the keys, CLAIM_TITLE_KEYS_PER_STATEMENT rows a statement. A key read from an older state of
 * the claim than the one kept does not replace it: two checks reading the PRM at once, the slower one
 * with the older state, leave the newer key. A claim given twice keeps its newer state (the later one of
 * two equal stamps, as one upsert after the other would): PostgreSQL refuses a statement that upserts
 * one row twice. A key of another version at the same state is replaced: that is how a version change
 * re-keys a claim (and a rollback to the earlier version, the other way).
 */
export async function saveClaimTitleKeysWork(trx: Transaction<Database>, input: SaveClaimTitleKeysInput): Promise<void> {
  const newest = new Map<number, ClaimTitleKey>();
  for (const key of input.keys) {
    const kept = newest.get(key.claimId);
    if (kept === undefined || kept.prmUpdatedMs <= key.prmUpdatedMs) newest.set(key.claimId, key);
  }
  const rows = [...newest.values()].map((key) => ({ claim_id: key.claimId, title_key: key.titleKey, title_key_version: input.version, prm_updated_ms: key.prmUpdatedMs, seen_at: input.now }));
  for (let start = 0; start < rows.length; start += CLAIM_TITLE_KEYS_PER_STATEMENT) {
    await trx
      .insertInto('claim_title_keys')
      .values(rows.slice(start, start + CLAIM_TITLE_KEYS_PER_STATEMENT))
      .onConflict((oc) =>
        oc
          .column('claim_id')
          .doUpdateSet((eb) => ({
            title_key: eb.ref('excluded.title_key'),
            title_key_version: eb.ref('excluded.title_key_version'),
            prm_updated_ms: eb.ref('excluded.prm_updated_ms'),
            seen_at: eb.ref('excluded.seen_at'),
          }))
          .whereRef('claim_title_keys.prm_updated_ms', '<=', 'excluded.prm_updated_ms'),
      )
      .execute();
  }
}

/**
 * Drops the keys of other versions kept before a catch-up that began at `seenBefore` and read every page:
 * it listed every claim stamped at or after its watermark, which is at or before any such key's stamp,
 * so a key it did not replace is that of a claim the PRM no longer has. Left, it would hold the watermark
 * back for good. A key another version's replica kept since (seen at or after) stays: its claim exists.
 */
export async function dropClaimTitleKeysOfOtherVersionsWork(trx: Transaction<Database>, input: DropClaimTitleKeysInput): Promise<number> {
  const result = await trx
    .deleteFrom('claim_title_keys')
    .where((eb) => eb.or([eb('title_key_version', '<', input.version), eb('title_key_version', '>', input.version)]))
    .where('seen_at', '<', input.seenBefore)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
