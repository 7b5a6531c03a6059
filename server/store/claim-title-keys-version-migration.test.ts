import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, sql, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';
import { sqliteMigrations } from './sqlite-migrations.ts';
import { openSqliteStore } from './sqlite-store.ts';

/**
 * Migration 0021_claim_title_key_version: each kept title key says which version of claimTitleKey made
 * it. Keys kept before (migration 0019), or by an older replica during a rolling deploy (which writes
 * no version), were made by version 1, the claimTitleKey of 0019: they stay caught up, so the upgrade
 * costs no re-read of every claim. Only a later version finds them not caught up.
 */
const dir = mkdtempSync(join(tmpdir(), 'partnerflow-title-key-version-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.parse('2026-04-06T09:00:00Z');
/** The INSERT of a version before 0021: no key version. */
const OLDER_INSERT = `insert into claim_title_keys (claim_id, title_key, prm_updated_ms, seen_at) values (7, 'partner day frankfurt', ${T0}, ${T0})`;

describe('SQLite: title keys kept before 0021_claim_title_key_version', () => {
  it('are version 1: caught up for version 1, not for version 2', async () => {
    const path = join(dir, 'before-0021.db');
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Sqlite(path) }) });
    const all = await sqliteMigrations.getMigrations();
    const older = Object.fromEntries(Object.entries(all).filter(([name]) => name < '0021'));
    expect((await new Migrator({ db, provider: { getMigrations: async () => older } }).migrateToLatest()).error).toBeUndefined();
    await sql.raw(OLDER_INSERT).execute(db);
    await db.destroy();

    const store = await openSqliteStore({ path });
    try {
      expect(await store.claimTitleKeysProgress(1)).toEqual({ watermark: T0, otherVersionRows: false });
      expect(await store.claimTitleKeysProgress(2)).toEqual({ watermark: null, otherVersionRows: true });
      expect(await store.claimIdsWithTitleKey('partner day frankfurt')).toEqual([7]);
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL: a title key an older replica keeps during a rolling deploy', () => {
  it('is version 1', async () => {
    const store = await openTestPostgresStore({ poolSize: 2 });
    const older = new pg.Client(store.url);
    await older.connect();
    try {
      await older.query(OLDER_INSERT);
      expect(await store.claimTitleKeysProgress(1)).toEqual({ watermark: T0, otherVersionRows: false });
      expect(await store.claimTitleKeysProgress(2)).toEqual({ watermark: null, otherVersionRows: true });
    } finally {
      await older.end();
      await store.close();
    }
  });
});
