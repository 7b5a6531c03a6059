import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import type { Database } from './database.ts';
import { KyselyStore } from './kysely-store.ts';
import { SqliteStore } from './sqlite-sync-store.ts';
import { sqliteMigrations } from './sqlite-migrations.ts';
import { cachePreparedStatements } from './statement-cache.ts';
import type { Store } from './store.ts';

export interface SqliteStoreOptions {
  /** A file path (its folder is created), or `:memory:` for tests. */
  path: string;
  /**
   * Run the hot operations synchronously on better-sqlite3 (the default), or through Kysely's async
   * driver as on PostgreSQL: the contract tests run both, so the path PostgreSQL takes stays tested.
   */
  driver?: 'synchronous' | 'kysely';
}

/**
 * The embedded store. WAL lets readers (the runs API) proceed during a write; `synchronous = FULL`
 * makes every commit durable before the webhook's 2xx, so a power cut loses no accepted event.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const { sqlite, db } = await openSqliteDatabase(options.path);
  return options.driver === 'kysely' ? new KyselyStore('sqlite', db) : new SqliteStore(sqlite, db);
}

/** The SQLite file (or memory) with its pragmas set and its schema migrated, for a store to run on. */
export async function openSqliteDatabase(path: string): Promise<{ sqlite: Sqlite.Database; db: Kysely<Database> }> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Sqlite(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // Content that is updated away or deleted is zeroed in the file, not left in free space: the
  // outbox erases a sent approval email's body, and its link must not survive in a copy of the file.
  sqlite.pragma('secure_delete = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachePreparedStatements(sqlite) }) });
  const { error, results } = await new Migrator({ db, provider: sqliteMigrations }).migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migrating the store at ${path} failed in ${failed}: ${(error as Error).message}`);
  }
  return { sqlite, db };
}
