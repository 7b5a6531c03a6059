import type Sqlite from 'better-sqlite3';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.ts';
import { KyselyStore, type PendingWrite } from './kysely-store.ts';
import { runWorkSync, type StatementResult, type StoreStatement, type StoreWork } from './store-work.ts';

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };


/**
 * The embedded store: the Kysely store, with its hot operations run synchronously on better-sqlite3.
 *
 * SQLite answers in microseconds and synchronously, so a promise per statement (Kysely's driver) costs
 * more than the statement. Here a unit of work runs in one go on prepared statements, and the writes
 * asked for while the event loop was busy are committed together: each write in a savepoint of its
 * own (one failing write rolls back alone), one COMMIT and one fsync for all. Callers resolve after
 * the COMMIT, so a 202 still means durable.
 *
 * The less frequent operations stay Kysely transactions, which await between statements. A
 * synchronous batch must never run inside one of those (it would join it), so batches and fast
 * reads wait while one is open.
 */
export class SqliteStore extends KyselyStore {
  readonly #sqlite: Sqlite.Database;
  #openTransactions = 0;
  #whenNoTransaction: Array<() => void> = [];

  /** One transaction for a batch; each write in it runs in a savepoint (better-sqlite3 nests that way). */
  readonly #commitBatch: (batch: readonly PendingWrite[]) => Outcome[];

  constructor(sqlite: Sqlite.Database, db: Kysely<Database>) {
    super('sqlite', db);
    this.#sqlite = sqlite;
    const inSavepoint = sqlite.transaction((item: PendingWrite) => runWorkSync(item.work(), this.#execute));
    this.#commitBatch = sqlite.transaction((batch: readonly PendingWrite[]) =>
      batch.map((item): Outcome => {
        try {
          return { ok: true, value: inSavepoint(item) };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
  }

  protected override read<T>(work: () => StoreWork<T>): Promise<T> {
    if (this.#openTransactions > 0) return this.#afterTransactions().then(() => this.read(work));
    try {
      return Promise.resolve(runWorkSync(work(), this.#execute));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  protected override async transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    this.#openTransactions++;
    try {
      return await super.transaction(fn);
    } finally {
      if (--this.#openTransactions === 0) for (const wake of this.#whenNoTransaction.splice(0)) wake();
    }
  }

  #afterTransactions(): Promise<void> {
    return new Promise((resolve) => this.#whenNoTransaction.push(resolve));
  }

  /** A batch must never run inside an open Kysely transaction: it would join it. */
  protected override beforeBatch(): Promise<void> | void {
    if (this.#openTransactions > 0) return this.#afterTransactions().then(() => this.beforeBatch());
  }

  protected override commitBatch(batch: readonly PendingWrite[]): void {
    let outcomes: Outcome[];
    try {
      outcomes = this.#commitBatch(batch);
    } catch (error) {
      // The COMMIT itself failed (disk full, I/O error): nothing of the batch is stored.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  readonly #execute = ({ query, values }: StoreStatement): StatementResult => {
    // Prepared once: the connection's prepare keeps statements by their text (statement-cache.ts).
    const statement = this.#sqlite.prepare(query.sql);
    const parameters = query.parameters(values);
    if (statement.reader) return { rows: statement.all(parameters), changes: 0 };
    return { rows: [], changes: statement.run(parameters).changes };
  };
}
