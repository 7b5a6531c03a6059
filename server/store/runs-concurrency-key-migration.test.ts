import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, sql, SqliteDialect } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteMigrations } from './sqlite-migrations.ts';
import { openSqliteStore } from './sqlite-store.ts';

/**
 * Migration 0022_runs_concurrency_key on a store with approval runs in flight: those of
 * mdf-request-approval before v24 were keyed by the MDF number alone. Each unfinished one takes it as
 * its concurrency key, so a later submission of the same request (v24: MDF number @ updated) joins it
 * instead of asking the approver a second time (D7, D10); a finished run holds nothing.
 */
const dir = mkdtempSync(join(tmpdir(), 'partnerflow-concurrency-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.parse('2026-04-06T09:00:00Z');
const run = (id: string, recipe: string, dedupKey: string, status: string, finishedAt: number | null) =>
  `insert into runs (id, recipe, recipe_version, recipe_hash, trigger, dedup_key, status, created_at, updated_at, finished_at) values ('${id}', '${recipe}', 23, 'h', '{}', '${dedupKey}', '${status}', ${T0}, ${T0}, ${finishedAt ?? 'null'})`;

describe('SQLite: approval runs in flight before 0022_runs_concurrency_key', () => {
  it('hold their MDF number as concurrency key; finished runs and other recipes hold none', async () => {
    const path = join(dir, 'before-0022.db');
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Sqlite(path) }) });
    const all = await sqliteMigrations.getMigrations();
    const older = Object.fromEntries(Object.entries(all).filter(([name]) => name < '0022'));
    expect((await new Migrator({ db, provider: { getMigrations: async () => older } }).migrateToLatest()).error).toBeUndefined();
    await sql.raw(run('run_waiting', 'mdf-request-approval', 'MDF-1001', 'waiting', null)).execute(db);
    await sql.raw(run('run_done', 'mdf-request-approval', 'MDF-1002', 'completed', T0)).execute(db);
    await sql.raw(run('run_sync', 'mdf-request-salesforce-sync', 'MDF-1001', 'waiting', null)).execute(db);
    await db.destroy();

    const store = await openSqliteStore({ path });
    await store.close();
    const after = new Sqlite(path, { readonly: true });
    try {
      expect(after.prepare('select id, concurrency_key from runs order by id').all()).toEqual([
        { id: 'run_done', concurrency_key: null },
        { id: 'run_sync', concurrency_key: null },
        { id: 'run_waiting', concurrency_key: 'MDF-1001' },
      ]);
    } finally {
      after.close();
    }
  });
});
