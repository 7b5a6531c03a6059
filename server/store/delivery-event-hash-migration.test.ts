import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, sql, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';
import { asRunId } from '../engine/ids.ts';
import { sqliteMigrations } from './sqlite-migrations.ts';
import { openSqliteStore } from './sqlite-store.ts';
import type { NewRun } from './store.ts';

/**
 * Migration 0018_delivery_event_hash: a delivery stored before it (or by an older replica during a
 * rolling deploy, which writes no hash) has no event hash. Its id used again is a duplicate, as it was
 * before the migration, whatever the event: nothing to compare with, and a 409 would refuse what that
 * version accepted. Deliveries stored with a hash are compared.
 */
const dir = mkdtempSync(join(tmpdir(), 'partnerflow-event-hash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.parse('2026-03-02T09:00:00Z');
const run = (id: string): NewRun => ({ id: asRunId(id), recipe: 'r', recipeVersion: 1, recipeHash: 'h', trigger: { type: 'manual', receivedAt: T0, data: {} }, dedupKey: id, correlationKey: null, cancelOnEvent: null, wakeAt: T0, createdAt: T0 });
const delivery = (deliveryId: string, eventHash: string) => ({ source: 'prm', deliveryId, event: 'prm.mdf_request.submitted', receivedAt: T0, eventHash });
/** The INSERT of a version before 0018: no event hash. */
const OLDER_INSERT = "insert into deliveries (source, delivery_id, event, received_at, run_ids) values ('prm', 'd-old', 'prm.mdf_request.submitted', 1, '[\"run_old\"]')";

describe('SQLite: deliveries stored before 0018_delivery_event_hash', () => {
  it('a delivery of the schema before has no hash: its id again is a duplicate whatever the event; new deliveries are compared', async () => {
    const path = join(dir, 'before-0018.db');
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Sqlite(path) }) });
    const all = await sqliteMigrations.getMigrations();
    const older = Object.fromEntries(Object.entries(all).filter(([name]) => name < '0018'));
    expect((await new Migrator({ db, provider: { getMigrations: async () => older } }).migrateToLatest()).error).toBeUndefined();
    await sql.raw(OLDER_INSERT).execute(db);
    await db.destroy();

    const store = await openSqliteStore({ path });
    try {
      expect(await store.ingest(delivery('d-old', 'any-hash'), [run('run_new')])).toEqual({ duplicate: true, runIds: ['run_old'] });
      await store.ingest(delivery('d-new', 'hash-a'), [run('run_a')]);
      expect(await store.ingest(delivery('d-new', 'hash-b'), [run('run_b')])).toEqual({ duplicate: true, differentEvent: true, runIds: ['run_a'] });
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL: a delivery an older replica stores during a rolling deploy', () => {
  it('has no hash: its id again is a duplicate whatever the event', async () => {
    const store = await openTestPostgresStore({ poolSize: 2 });
    const older = new pg.Client(store.url);
    await older.connect();
    try {
      await older.query(OLDER_INSERT);
      expect(await store.ingest(delivery('d-old', 'any-hash'), [run('run_new')])).toEqual({ duplicate: true, runIds: ['run_old'] });
      expect(await store.getRun(asRunId('run_new'))).toBeUndefined();
    } finally {
      await older.end();
      await store.close();
    }
  });
});
