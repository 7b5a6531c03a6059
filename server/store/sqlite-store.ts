import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './database.ts';
import { KyselyStore } from './kysely-store.ts';
import { SqliteStore } from './sqlite-sync-store.ts';
import { migrateUnlessNewer, SchemaMismatchError } from './schema-versions.ts';
import { sqliteMigrations } from './sqlite-migrations.ts';
import { cachePreparedStatements } from './statement-cache.ts';
import type { Store } from './store.ts';
import { StartStoppedError, type OnStartPhase } from '../start-stop.ts';

export interface SqliteStoreOptions {
  /** A file path (its folder is created), or `:memory:` for tests. */
  path: string;
  /**
   * Run the hot operations synchronously on better-sqlite3 (the default), or through Kysely's async
   * driver as on PostgreSQL: the contract tests run both, so the path PostgreSQL takes stays tested.
   */
  driver?: 'synchronous' | 'kysely';
  /** Told the migrations of a newer version the file has (a rollback): this one runs on them unmigrated. */
  onNewerSchema?: (newer: string[]) => void;
  /** Told the migrations this open applied (none when the schema was current). */
  onMigrated?: (names: string[]) => void;
  /** serve's start stopping (SIGTERM/SIGINT): the migrations under way commit, then the file is closed and the open rejects with StartStoppedError. */
  signal?: AbortSignal;
  onPhase?: OnStartPhase;
}

/**
 * The embedded store. WAL lets readers (the runs API) proceed during a write; `synchronous = FULL`
 * makes every commit durable before the webhook's 2xx, so a power cut loses no accepted event.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const { sqlite, db } = await openSqliteDatabase(options.path, options.onNewerSchema, options);
  return options.driver === 'kysely' ? new KyselyStore('sqlite', db) : new SqliteStore(sqlite, db);
}

/**
 * The store's file cannot be used: a directory, a path under a file, a file that is not a SQLite
 * database, no permission. A setting to fix, not a bug: the CLI names the variable and the reason.
 */
export class StoreFileError extends Error {
  override name = 'StoreFileError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`"${path}" ${reason}`);
  }
}

/** The SQLite file (or memory) with its pragmas set and its schema migrated, for a store to run on. */
export async function openSqliteDatabase(
  path: string,
  onNewerSchema?: (newer: string[]) => void,
  start: Pick<SqliteStoreOptions, 'signal' | 'onPhase' | 'onMigrated'> = {},
): Promise<{ sqlite: Sqlite.Database; db: Kysely<Database> }> {
  const sqlite = openSqliteFile(path);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachePreparedStatements(sqlite) }) });
  try {
    start.onPhase?.('migrating the schema');
    const { newer, applied } = await migrateUnlessNewer(db, sqliteMigrations);
    if (newer.length > 0) onNewerSchema?.(newer);
    start.onMigrated?.(applied);
  } catch (error) {
    await db.destroy();
    if (error instanceof SchemaMismatchError) throw new Error(`the store at ${path} cannot be used: its schema ${error.message}`);
    throw new Error(`migrating the store at ${path} failed in ${(error as { failedMigration?: string | null }).failedMigration ?? 'the schema'}: ${(error as Error).message}`);
  }
  // Stopped while migrating: the migrations ran to their end first; the file is closed again.
  if (start.signal?.aborted) {
    await db.destroy();
    throw new StartStoppedError();
  }
  return { sqlite, db };
}

/** Opens the file (creating its folder) and sets the pragmas; a file that cannot serve is a StoreFileError. */
function openSqliteFile(path: string): Sqlite.Database {
  if (path !== ':memory:') {
    let isDirectory = false;
    try {
      isDirectory = statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
      if (!isDirectory) mkdirSync(dirname(path), { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a part of it is a file, not a folder' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message;
      throw new StoreFileError(path, `cannot be created: its folder ${dirname(path)} cannot be made (${why})`);
    }
    if (isDirectory) throw new StoreFileError(path, 'is a directory, not a SQLite file');
  }
  let sqlite: Sqlite.Database | undefined;
  try {
    sqlite = new Sqlite(path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    // Content that is updated away or deleted is zeroed in the file, not left in free space: the
    // outbox erases a sent approval email's body, and its link must not survive in a copy of the file.
    sqlite.pragma('secure_delete = ON');
    return sqlite;
  } catch (error) {
    sqlite?.close();
    const code = (error as { code?: string }).code;
    const why: Record<string, string> = {
      SQLITE_NOTADB: 'is not a SQLite database (another kind of file is there)',
      SQLITE_CORRUPT: 'is a damaged SQLite database',
      SQLITE_CANTOPEN: 'cannot be opened or created (check that it and its folder are writable)',
      SQLITE_READONLY: 'is read-only (the store writes to it)',
      SQLITE_PERM: 'cannot be opened: permission denied',
    };
    throw new StoreFileError(path, (code && why[code]) ?? `cannot be opened: ${(error as Error).message}`);
  }
}
