import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Database } from './database.ts';
import { poolReportingOutages } from './postgres-pool.ts';
import { StoreUnavailableError } from './store-unavailable.ts';

/**
 * Which PostgreSQL errors a request meets as "try again later" (StoreUnavailableError: 503 with
 * Retry-After, a warn line) and which as a failure of its own (500, an error line with the detail). The
 * errors are the driver's own (pg.DatabaseError with the server's SQLSTATE), answered by a stand-in
 * server: provoking too many clients or a deadlock for real would take the test server from the others.
 */
function answeringWith(error: Error): Kysely<Database> {
  const client = { query: () => Promise.reject(error), release: () => {} };
  const pool = { connect: () => Promise.resolve(client), end: () => Promise.resolve() } as unknown as pg.Pool;
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: poolReportingOutages(pool, 'postgres://app@db:5432/partnerflow') }) });
}

function serverError(code: string, message: string): pg.DatabaseError {
  return Object.assign(new pg.DatabaseError(message, message.length, 'error'), { code, severity: 'ERROR' });
}

async function failureOf(error: Error): Promise<unknown> {
  return sql`select 1`.execute(answeringWith(error)).then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('PostgreSQL errors that pass are "retry later"', () => {
  it.each([
    ['57014', 'canceling statement due to statement timeout'],
    ['55P03', 'could not obtain lock on row in relation "runs"'],
    ['53300', 'sorry, too many clients already'],
    ['53400', 'configuration limit exceeded'],
    ['53200', 'out of memory'],
    ['40001', 'could not serialize access due to concurrent update'],
    ['40P01', 'deadlock detected'],
    ['57P01', 'terminating connection due to administrator command'],
    ['08006', 'connection failure'],
  ])('%s (%s) is StoreUnavailableError, naming the SQLSTATE and the server without its password', async (code, message) => {
    const error = await failureOf(serverError(code, message));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe(`the store is unavailable: PostgreSQL at postgres://app@db:5432/partnerflow: ${message} (SQLSTATE ${code})`);
  });

  it.each([
    ['23505', 'duplicate key value violates unique constraint "runs_pkey"'],
    ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
    ['42P01', 'relation "runs" does not exist'],
  ])('%s (%s) stays the statement\'s own failure', async (code, message) => {
    const error = await failureOf(serverError(code, message));
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect((error as { code?: string }).code).toBe(code);
  });

  it('a socket error while connecting is StoreUnavailableError', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
    const pool = { connect: () => Promise.reject(refused), end: () => Promise.resolve() } as unknown as pg.Pool;
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: poolReportingOutages(pool, 'postgres://app@db:5432/partnerflow') }) });
    await expect(sql`select 1`.execute(db)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
