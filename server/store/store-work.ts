import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.ts';
import type { PreparedQuery } from './prepared-query.ts';

/** One statement a unit of store work asks for: its rows, or how many rows it changed. */
export interface StoreStatement {
  query: PreparedQuery<object, unknown>;
  values: object;
}
export interface StatementResult {
  rows: unknown[];
  changes: number;
}

/**
 * A unit of store work, written once as a generator that yields the statements it runs: the SQLite
 * store drives it synchronously inside its group commit (no promise per statement), the Kysely store
 * drives it with `await` over any dialect. The logic of an ingest or a finished turn exists once.
 */
export type StoreWork<T> = Generator<StoreStatement, T, StatementResult>;

/** Runs `query` with `values` inside a unit of work: `const { rows } = yield* exec(q, {...})`. */
export function* exec<P extends object, Row>(query: PreparedQuery<P, Row>, values: P): Generator<StoreStatement, { rows: Row[]; changes: number }, StatementResult> {
  const result = yield { query: query as PreparedQuery<object, unknown>, values };
  return result as { rows: Row[]; changes: number };
}

export function runWorkSync<T>(work: StoreWork<T>, execute: (statement: StoreStatement) => StatementResult): T {
  let step = work.next();
  while (!step.done) step = work.next(execute(step.value));
  return step.value;
}

export async function runWorkAsync<T>(work: StoreWork<T>, db: Kysely<Database> | Transaction<Database>): Promise<T> {
  let step = work.next();
  while (!step.done) {
    const { query, values } = step.value;
    const result = await db.executeQuery(query.compile(values));
    step = work.next({ rows: result.rows as unknown[], changes: Number(result.numAffectedRows ?? 0n) });
  }
  return step.value;
}
