import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { capturingLogger } from '../../connectors/kit/action-test-context.ts';
import { createTestSchema, dropTestSchema, runOnSchema, testPostgresUrl } from '../../test/support/test-postgres.ts';
import { asRunId } from '../engine/ids.ts';
import { openRuntimeStore } from './open-store.ts';
import { openPostgresStore } from './postgres-store.ts';
import { openSqliteStore } from './sqlite-store.ts';

/**
 * Issue 14, rolling deploy and rollback: an old replica starts on a database a newer version already
 * migrated (README, "Running several replicas": the old version keeps running on the new schema), with
 * a warning naming the newer migrations. A history of another line of versions (unknown migrations
 * AND known ones missing) stops the start with a message that says so. The same on both stores.
 */
const dir = mkdtempSync(join(tmpdir(), 'partnerflow-schema-versions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.parse('2026-03-02T09:00:00Z');
const run = (id: string) => ({ id: asRunId(id), recipe: 'r', recipeVersion: 1, recipeHash: 'h', trigger: { type: 'manual' as const, receivedAt: T0, data: {} }, dedupKey: id, correlationKey: null, cancelOnEvent: null, wakeAt: T0, createdAt: T0 });
const WARNING = "this version is older than the database schema (it has 0099_future_index, which this version does not know); it runs on it as the README's rolling deploy explains, and does not migrate";

describe('SQLite: a file a newer version migrated further', () => {
  it('an older version starts on it, logs a warning naming the newer migration, and works', async () => {
    const path = join(dir, 'newer.db');
    await (await openSqliteStore({ path })).close();
    // What a newer release's migration leaves in the history.
    const file = new Sqlite(path);
    file.prepare("insert into kysely_migration (name, timestamp) values ('0099_future_index', '2026-12-01T00:00:00.000Z')").run();
    file.close();

    const log = capturingLogger();
    const store = await openRuntimeStore({ dbPath: path, database: undefined }, log);
    try {
      expect(log.lines).toContainEqual({ level: 'warn', fields: { newerMigrations: ['0099_future_index'] }, message: WARNING });
      await store.createRun(run('run_on_newer'));
      expect((await store.getRun(asRunId('run_on_newer')))?.status).toBe('queued');
    } finally {
      await store.close();
    }
  });

  it('a history of another line of versions (a known migration missing, an unknown one there) stops the start, saying so', async () => {
    const path = join(dir, 'other-line.db');
    await (await openSqliteStore({ path })).close();
    const file = new Sqlite(path);
    file.prepare("delete from kysely_migration where name = '0012_wake_notifications'").run();
    file.prepare("insert into kysely_migration (name, timestamp) values ('0012_other_line', '2026-12-01T00:00:00.000Z')").run();
    file.close();

    await expect(openSqliteStore({ path })).rejects.toThrow(
      `the store at ${path} cannot be used: its schema has migrations this version does not know (0012_other_line) and lacks ones it needs (0012_wake_notifications): it was migrated by another line of versions, not a newer release of this one; start the version that migrated it, or restore a backup made with this one`,
    );
  });
});

describe('PostgreSQL: a database a newer version migrated further', () => {
  it('an older replica starts on it without migrating, tells which migrations are newer, and works', async () => {
    const url = await createTestSchema();
    try {
      await (await openPostgresStore({ url, poolSize: 2 })).close();
      await runOnSchema(url, "insert into kysely_migration (name, timestamp) values ('0099_future_index', '2026-12-01T00:00:00.000Z')");

      const newer: string[][] = [];
      const applied: string[][] = [];
      const store = await openPostgresStore({ url, poolSize: 2, onNewerSchema: (names) => newer.push(names), onMigrated: (names) => applied.push(names) });
      try {
        expect(newer).toEqual([['0099_future_index']]);
        expect(applied).toEqual([[]]);
        await store.createRun(run('run_on_newer'));
        expect((await store.getRun(asRunId('run_on_newer')))?.status).toBe('queued');
      } finally {
        await store.close();
      }
    } finally {
      await dropTestSchema(url);
    }
  });

  it('a history of another line of versions stops the start with a message that says so, the password not in it', async () => {
    const url = await createTestSchema();
    try {
      await (await openPostgresStore({ url, poolSize: 2 })).close();
      await runOnSchema(url, "delete from kysely_migration where name = '0012_wake_notifications'");
      await runOnSchema(url, "insert into kysely_migration (name, timestamp) values ('0012_other_line', '2026-12-01T00:00:00.000Z')");

      const error = await openPostgresStore({ url, poolSize: 2 }).catch((e: Error) => e);
      expect(error).toMatchObject({ name: 'PostgresStoreError' });
      expect((error as Error).message).toMatch(
        /^cannot start on postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\w+\?options=\S+: its schema has migrations this version does not know \(0012_other_line\) and lacks ones it needs \(0012_wake_notifications\): it was migrated by another line of versions/,
      );
      expect((error as Error).message).not.toContain(new URL(testPostgresUrl()).password);
    } finally {
      await dropTestSchema(url);
    }
  });
});

describe('PostgreSQL: migrations are not cut off by the statement timeout', () => {
  it('a replica that waits for another replica’s migration longer than PARTNERFLOW_DATABASE_STATEMENT_TIMEOUT_MS still starts once it is done', async () => {
    const url = await createTestSchema();
    // Another replica migrating: it holds the migrator's advisory lock (Kysely's lock id).
    const other = new pg.Client(url);
    await other.connect();
    try {
      await other.query('select pg_advisory_lock(3853314791062309107)');
      const opening = openPostgresStore({ url, poolSize: 2, statementTimeoutMs: 100 }).catch((e: Error) => e);
      // The opening replica has waited for the lock four times its statement timeout, and still waits.
      await expect
        .poll(async () => (await other.query("select count(*)::int as n from pg_stat_activity where wait_event = 'advisory' and now() - query_start > interval '400 milliseconds'")).rows[0].n, { timeout: 15_000 })
        .toBeGreaterThan(0);
      await other.query('select pg_advisory_unlock(3853314791062309107)');
      const store = await opening;
      expect(store).not.toBeInstanceOf(Error);
      await (store as Awaited<ReturnType<typeof openPostgresStore>>).close();
    } finally {
      await other.end();
      await dropTestSchema(url);
    }
  });
});
