import { CompiledQuery, Kysely, PostgresAdapter, PostgresDialect, type DialectAdapter, type MigrationLockOptions } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';
import { postgresMigrations } from './postgres-migrations.ts';
import { migrateUnlessNewer, type SchemaOutcome } from './schema-versions.ts';
import { StartStoppedError, type OnStartPhase } from '../start-stop.ts';

export interface MigrationOptions {
  /** Aborted by serve's SIGTERM/SIGINT: a wait for the migration lock is abandoned (StartStoppedError); migrations under way commit first. */
  signal?: AbortSignal;
  /** Told when the start waits for the migration lock, and when it holds it (migrating). */
  onPhase?: OnStartPhase;
}

/**
 * Migrates the PostgreSQL schema on a connection of its own, without the pool's statement timeout
 * (PARTNERFLOW_DATABASE_STATEMENT_TIMEOUT_MS, 30 s): waiting for another replica's migration (the
 * advisory lock) and a long migration (an index built on a big runs table) take the time they take.
 * `statement_timeout = 0` is set on the connection, so a default of the role or database does not
 * apply either. The connection is closed once the schema is current.
 *
 * A stop (`signal`) while the connection waits for the advisory lock cancels that wait (PostgreSQL's
 * `pg_cancel_backend` from a connection of its own): nothing was migrated, nothing is held. Once the
 * lock is this connection's, the migrations run to their commit and the caller stops after them.
 */
export async function migratePostgresSchema(url: string, schema: string, options: MigrationOptions = {}): Promise<SchemaOutcome> {
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000, application_name: 'partnerflow migrations' });
  // A connection the server closes while idle errors on the pool: the migration's next query says so.
  pool.on('error', () => {});
  let backendPid: number | undefined;
  const db = new Kysely<Database>({
    dialect: new StoppablePostgresDialect(
      {
        pool,
        onCreateConnection: async (connection) => {
          await connection.executeQuery(CompiledQuery.raw('set statement_timeout = 0'));
          backendPid = (await connection.executeQuery<{ pid: number }>(CompiledQuery.raw('select pg_backend_pid() as pid'))).rows[0]!.pid;
        },
      },
      options,
      () => cancelBackend(url, backendPid),
    ),
  });
  try {
    return await migrateUnlessNewer(db, postgresMigrations, schema);
  } catch (error) {
    // The lock granted just as the stop cancelled its wait: the cancel reached the lock's release instead
    // (no migration had run; closing the connection below frees the lock). A stop all the same.
    if (options.signal?.aborted && (error as { code?: unknown }).code === QUERY_CANCELED) throw new StartStoppedError();
    throw error;
  } finally {
    await db.destroy();
  }
}

/** PostgreSQL's SQLSTATE for a statement cancelled by pg_cancel_backend (or a client's cancel request). */
const QUERY_CANCELED = '57014';

/** PostgreSQL's dialect whose wait for Kysely's migration lock a stop abandons. */
class StoppablePostgresDialect extends PostgresDialect {
  readonly #options: MigrationOptions;
  readonly #cancelWait: () => Promise<void>;
  constructor(config: ConstructorParameters<typeof PostgresDialect>[0], options: MigrationOptions, cancelWait: () => Promise<void>) {
    super(config);
    this.#options = options;
    this.#cancelWait = cancelWait;
  }

  override createAdapter(): DialectAdapter {
    return new StoppableMigrationLock(this.#options, this.#cancelWait);
  }
}

class StoppableMigrationLock extends PostgresAdapter {
  readonly #options: MigrationOptions;
  readonly #cancelWait: () => Promise<void>;
  constructor(options: MigrationOptions, cancelWait: () => Promise<void>) {
    super();
    this.#options = options;
    this.#cancelWait = cancelWait;
  }

  override async acquireMigrationLock(db: Kysely<any>, options: MigrationLockOptions): Promise<void> {
    const { signal, onPhase } = this.#options;
    if (signal?.aborted) throw new StartStoppedError();
    onPhase?.('waiting for the migration lock');
    // The wait is one statement (pg_advisory_lock); a stop cancels it. Should the lock be granted just as
    // the cancel is sent, the check below gives it up (Kysely releases it) before any migration runs.
    const cancel = () => void this.#cancelWait().catch(() => {});
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      await super.acquireMigrationLock(db, options);
    } catch (error) {
      if (signal?.aborted) throw new StartStoppedError();
      throw error;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    if (signal?.aborted) throw new StartStoppedError();
    onPhase?.('migrating the schema');
  }
}

/** Cancels the statement the migration connection runs (its wait for the lock), from a connection of its own. */
async function cancelBackend(url: string, pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: 'partnerflow migrations (stop)' });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select pg_cancel_backend($1)', [pid]);
  } finally {
    await client.end().catch(() => {});
  }
}
