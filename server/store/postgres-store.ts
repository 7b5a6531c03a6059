import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';
import { KyselyStore, type PendingWrite } from './kysely-store.ts';
import { multiRowForms, runInLockstep } from './postgres-batch.ts';
import { claimDueRunsPostgres, postgresClaimQuery } from './postgres-claim.ts';
import { postgresReadBatches } from './postgres-read-batches.ts';
import type { ClaimedRun, JournalEntry } from './store.ts';
import type { RunId, StepKey } from '../engine/ids.ts';
import { runWorkAsync } from './store-work.ts';
import { migratePostgresSchema } from './postgres-migration-connection.ts';
import { asStoreUnavailable, poolReportingOutages } from './postgres-pool.ts';
import { withLibpqSslmode } from './postgres-sslmode.ts';
import { listenForWakeups } from './wake-notifications.ts';
import { CommitOutcomeUnknownError, isStoreUnreachable, isTransactionConflict, StoreUnavailableError } from './store-unavailable.ts';
import { isNotAsAssumed, planOneStatementCommit } from './postgres-one-statement-commit.ts';
import { SchemaMismatchError, type SchemaOutcome } from './schema-versions.ts';
import { StartStoppedError, type OnStartPhase } from '../start-stop.ts';
import { checkDatabaseUrl, loginRefusalHint, PostgresStoreError, redactDatabaseUrl, secretsOfDatabaseUrl } from './database-url.ts';

export { PostgresStoreError, redactDatabaseUrl } from './database-url.ts';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:5432/database` (also `postgresql://`); a secret: never logged as given. */
  url: string;
  /** Connections this process keeps open (PARTNERFLOW_DATABASE_POOL_SIZE). */
  poolSize?: number;
  /** PostgreSQL cancels a statement that runs longer (PARTNERFLOW_DATABASE_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs?: number;
  /** Named statements, prepared once per connection (PARTNERFLOW_DATABASE_PREPARED_STATEMENTS; default true). */
  preparedStatements?: boolean;
  /** Told the migrations this open applied (none when another replica had, or the schema was current). */
  onMigrated?: (names: string[]) => void;
  /** Told the migrations of a newer version the database has (a rolling deploy): this one runs on them unmigrated. */
  onNewerSchema?: (newer: string[]) => void;
  /**
   * serve's start stopping (SIGTERM/SIGINT): a wait for another replica's migration lock is abandoned, a
   * migration under way commits first; then the pool is closed and the open rejects with StartStoppedError.
   */
  signal?: AbortSignal;
  /** Told as the open waits for the migration lock and as it migrates. */
  onPhase?: OnStartPhase;
}

/**
 * How long past the statement timeout a statement may go unanswered before its connection counts as cut
 * (postgres-pool.ts drops it; the request gets 503): a timeout the server applied arrives well within.
 */
const QUERY_READ_MARGIN_MS = 5_000;

/** int8 (bigint) as a JS number: the store's times are epoch milliseconds, far below 2^53; counts too. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * The store on PostgreSQL, shared by every replica: the Kysely store over a `pg` pool. The schema is
 * migrated at open (postgres-migrations.ts); Kysely's migrator holds a PostgreSQL advisory lock while
 * it migrates, so replicas starting together migrate once and the others wait, then find it done.
 * Migrations run on a connection without the statement timeout (postgres-migration-connection.ts); a
 * database a newer version migrated further is run on unmigrated (schema-versions.ts).
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<KyselyStore> {
  const shown = redactDatabaseUrl(options.url);
  checkDatabaseUrl(options.url);
  const secrets = secretsOfDatabaseUrl(options.url);
  // What the connections use: the URL with `sslmode` as libpq means it (shown and masked as given).
  const url = await withLibpqSslmode(options.url);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    // A statement the server does not answer even by cancelling it: the network dropped its packets.
    query_timeout: (options.statementTimeoutMs ?? 30_000) + QUERY_READ_MARGIN_MS,
    connectionTimeoutMillis: 10_000,
    types,
    application_name: 'partnerflow',
  });
  // An idle connection the server closed (a restart, a failover) errors on the pool: without a
  // listener that would end the process. The next query opens a new connection.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    // A connection in use that the server closes between two statements errors on its client, which
    // has no listener then either: the statement it runs next fails (StoreUnavailableError) instead.
    client.on('error', () => {});
    // The store's locking is written for READ COMMITTED (a statement that waited for a row lock sees
    // what the other transaction committed). A database or role whose default_transaction_isolation
    // ops set higher would fail claims and clicks under load with serialization errors instead. Sent
    // before the pool hands the connection out: the client runs its queries in order. Its failure is
    // the next query's (the connection is gone), not one of its own.
    client.query('set session characteristics as transaction isolation level read committed').catch(() => {});
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: poolReportingOutages(pool, shown, { preparedStatements: options.preparedStatements ?? true }) }) });
  const fail = async (what: string, error: unknown): Promise<never> => {
    await db.destroy().catch(() => {});
    throw new PostgresStoreError(`${what} ${shown}: ${withoutSecrets(errorMessage(error), secrets)}${loginRefusalHint(options.url, unwrapped(error))}`);
  };
  let schema: string;
  try {
    schema = (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]!.schema;
  } catch (error) {
    return fail('cannot connect to', error);
  }
  // The migration table in the schema the store's tables go to (the first of the search_path): a
  // database shared by several schemas (`?options=-c search_path=...`) keeps one history per schema.
  let outcome: SchemaOutcome;
  try {
    outcome = await migratePostgresSchema(url, schema, { signal: options.signal, onPhase: options.onPhase });
  } catch (error) {
    if (error instanceof StartStoppedError) {
      await db.destroy().catch(() => {});
      throw error;
    }
    if (error instanceof SchemaMismatchError) return fail('cannot start on', new Error(`its schema ${error.message}`));
    return fail(`migration ${(error as { failedMigration?: string | null }).failedMigration ?? 'of the schema'} failed on`, error);
  }
  if (outcome.newer.length > 0) options.onNewerSchema?.(outcome.newer);
  options.onMigrated?.(outcome.applied);
  // Stopped while migrating: the migrations committed (the lock is given up); nothing more is opened.
  if (options.signal?.aborted) {
    await db.destroy().catch(() => {});
    throw new StartStoppedError();
  }
  const store = new PostgresStore(db, options.poolSize ?? 10, pool, healthConnection(url, shown));
  // A dedicated connection per listener, outside the pool (wake-notifications.ts), on the same schema.
  store.listenForWakeups = (onWake, log) => listenForWakeups(url, schema, onWake, log ? { log } : {});
  return store;
}

/**
 * The Kysely store on PostgreSQL, where every statement is a round trip to the server (SQLite runs them
 * in-process): a group commit's units of work run in lockstep, so the inserts of concurrent ingests and
 * turns go as one multi-row statement each (postgres-batch.ts), a claim is one statement
 * (postgres-claim.ts), and the reads every delivery and every claimed run make are batched
 * (postgres-read-batches.ts).
 */
class PostgresStore extends KyselyStore {
  readonly #forms = multiRowForms(this.db, this.q);
  readonly #claim = postgresClaimQuery(this.db);
  readonly #reads = postgresReadBatches(this.db);

  override getJournal(runId: RunId): Promise<JournalEntry[]> {
    return this.#reads.getJournal(runId);
  }

  override findRunsToCancel(event: string, correlationKey: string): Promise<RunId[]> {
    return this.#reads.findRunsToCancel(event, correlationKey);
  }

  override findWaitingForEvent(event: string, key: string): Promise<Array<{ runId: RunId; stepKey: StepKey }>> {
    return this.#reads.findWaitingForEvent(event, key);
  }

  /**
   * A third of the pool (3 of the default 10): while one group commit waits for its round trips and its
   * WAL flush, the next takes the writes that arrived meanwhile (20 to 30% more webhooks a second with
   * 1 replica); the rest of the pool serves the batched reads, claims and lease renewals.
   */
  protected override readonly concurrentBatches: number;

  /**
   * Replicas each run their own concurrent group commits, so with 3 replicas PostgreSQL saw commits of
   * 4 runs instead of 11 (1.34 statements a run instead of 0.60, and their CPU). A commit beside the
   * one under way starts only for 8 writes or more: a few writes wait one commit's time and go together
   * (3 replicas: 0.97 to 1.10 statements a run, CPU per run about 27% less in the replicas and
   * PostgreSQL; 1 replica: 0.50 to 0.54, its accepted/s unchanged; bench/profile-postgres.ts).
   * 16 rather than 8 (wip/gather): each of 3 replicas on a 50-connection load has about 17 writes in
   * flight, and a beside commit at 8 split them in two; at 16 a commit holds 7.8 runs instead of 6.6
   * (statements a run 0.74 -> 0.64, PostgreSQL's CPU a run 1 to 10% less; 1 replica 13 -> 15 runs a
   * commit). A longer wait before a commit when none is under way gathered nothing more (README).
   */
  protected override readonly concurrentBatchMinWrites = 16;

  readonly #pool: pg.Pool;
  readonly #health: HealthConnection;

  constructor(db: Kysely<Database>, poolSize: number, pool: pg.Pool, health: HealthConnection) {
    super('postgres', db, async () => {
      await health.close();
    });
    this.concurrentBatches = Math.max(1, Math.floor(poolSize / 3));
    this.#pool = pool;
    this.#health = health;
  }

  override ping(): Promise<void> {
    return this.#health.ping();
  }

  poolUse(): { inUse: number; waiting: number } {
    return { inUse: this.#pool.totalCount - this.#pool.idleCount, waiting: this.#pool.waitingCount };
  }

  /**
   * One statement on a connection of its own, outside the group commit: it waits for no batch, and no
   * batch waits for its round trips; PostgreSQL's row locks keep concurrent claims apart.
   */
  override claimDueRuns(c: { now: number; owner: string; leaseMs: number; limit: number; skip?: ReadonlySet<string> }): Promise<ClaimedRun[]> {
    return claimDueRunsPostgres(this.db, this.#claim, c);
  }

  /**
   * A batch of ingests and ended turns that collides with nothing is one autocommit statement
   * (postgres-one-statement-commit.ts); any other batch, or one whose statement found a row not as it
   * assumed, commits the careful way (runBatch in a transaction, each write isolated should one fail).
   */
  protected override async commitBatch(batch: readonly PendingWrite[]): Promise<void> {
    const plan = batch.every((item) => item.lockstep) ? planOneStatementCommit(batch.map((item) => item.work), this.q) : undefined;
    if (!plan) return super.commitBatch(batch);
    let sent = false;
    try {
      await this.db.connection().execute((connection) => {
        sent = true;
        return connection.executeQuery(plan.query);
      });
    } catch (error) {
      // Nothing was applied: a row not as assumed, a conflict with another transaction, a refused row
      // (the careful way isolates it), lost prepared statements (the next connection prepares afresh).
      if (isNotAsAssumed(error) || isTransactionConflict(error) || !(error instanceof StoreUnavailableError)) return super.commitBatch(batch);
      // Sent and the connection went: it may have been committed, as a COMMIT cut off (kysely-store.ts).
      const outcome = sent && isStoreUnreachable(error) ? new CommitOutcomeUnknownError(error) : error;
      for (const item of batch) item.reject(outcome);
      return;
    }
    batch.forEach((item, i) => item.resolve(plan.results[i]));
  }

  protected override async runBatch(batch: readonly PendingWrite[], trx: Transaction<Database>): Promise<unknown[]> {
    const results = new Array<unknown>(batch.length);
    const together = batch.flatMap((item, i) => (item.lockstep ? [i] : []));
    const answers = await runInLockstep(together.map((i) => batch[i]!.work), trx, this.#forms);
    together.forEach((i, k) => (results[i] = answers[k]));
    // The others (claims) one by one after them, in the order they were asked for.
    for (const [i, item] of batch.entries()) if (!item.lockstep) results[i] = await runWorkAsync(item.work(), trx);
    return results;
  }
}

interface HealthConnection {
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A health check that has not answered by then reports the store unavailable (and its connection is dropped). */
const HEALTH_PING_TIMEOUT_MS = 2000;

/**
 * `GET /healthz`'s own connection, outside the pool: with every pooled connection busy with slow (valid)
 * statements, a ping through the pool would wait its turn and report the database unreachable, and a
 * load balancer would take out exactly the replicas that are busy. One connection, kept open and opened
 * again when it broke; a ping that gets no answer drops it, so a connection a network cut left hanging
 * is never waited on again. Its failures read as the pool's (StoreUnavailableError, password masked).
 */
function healthConnection(url: string, shown: string): HealthConnection {
  const pool = new pg.Pool({
    connectionString: url,
    max: 1,
    idleTimeoutMillis: 0,
    connectionTimeoutMillis: HEALTH_PING_TIMEOUT_MS,
    statement_timeout: HEALTH_PING_TIMEOUT_MS,
    keepAlive: true,
    application_name: 'partnerflow-health',
  });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const unavailable = (error: unknown) => asStoreUnavailable(error, shown);
  return {
    async ping() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw unavailable(error);
      }
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          client.query('select 1'),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new StoreUnavailableError(`PostgreSQL at ${shown}: no answer within ${HEALTH_PING_TIMEOUT_MS} ms`)), HEALTH_PING_TIMEOUT_MS);
          }),
        ]);
        client.release();
      } catch (error) {
        // Destroyed, not returned: the next ping opens a fresh connection.
        client.release(error as Error);
        throw unavailable(error);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => pool.end(),
  };
}

/** The driver's error under the store's StoreUnavailableError. */
function unwrapped(error: unknown): unknown {
  return error instanceof StoreUnavailableError && error.cause !== undefined ? error.cause : error;
}

function errorMessage(error: unknown): string {
  // Opening says itself which server it could not reach: the driver's own words are enough.
  if (error instanceof StoreUnavailableError && error.cause !== undefined) return errorMessage(error.cause);
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(errorMessage).join('; ');
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name;
  return String(error);
}

/** A driver's message could quote the connection string: its secrets (longest first) never leave this file. */
function withoutSecrets(message: string, secrets: string[]): string {
  return secrets.reduce((text, secret) => text.split(secret).join('***'), message);
}
