import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { openPostgresStore, redactDatabaseUrl, type PostgresStoreOptions } from '../../server/store/postgres-store.ts';
import type { KyselyStore } from '../../server/store/kysely-store.ts';

/**
 * The PostgreSQL server of this test run (test/support/postgres-server.ts). No server is a failure
 * that says why, never a skipped test.
 */
export function testPostgresUrl(): string {
  const url = inject('postgresUrl');
  if (!url) throw new Error(`no PostgreSQL server for the PostgreSQL tests: ${inject('postgresUnavailable') ?? 'the global setup test/support/postgres-server.ts did not run'}`);
  return url;
}

/** A new database on the test server, nothing in it: for what needs a database of its own (a first migration). */
export async function createFreshDatabase(): Promise<string> {
  const admin = new pg.Client(testPostgresUrl());
  const name = `partnerflow_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  try {
    await admin.connect();
    await admin.query(`create database ${name}`);
  } catch (error) {
    const from = process.env.PARTNERFLOW_TEST_DATABASE_URL ? 'PARTNERFLOW_TEST_DATABASE_URL' : 'the embedded server of this test run';
    throw new Error(`the PostgreSQL server of the tests (${from}, ${redactDatabaseUrl(testPostgresUrl())}) cannot create a database: ${(error as Error).message}`);
  } finally {
    await admin.end().catch(() => {});
  }
  const url = new URL(testPostgresUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database createFreshDatabase made, closing what is still connected to it. */
export async function dropFreshDatabase(url: string): Promise<void> {
  const admin = new pg.Client(testPostgresUrl());
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${new URL(url).pathname.slice(1)} with (force)`);
  } finally {
    await admin.end();
  }
}

let database: Promise<{ url: URL; pool: pg.Pool }> | undefined;
let created = 0;

/**
 * This test process's database on the test server, made at its first use. Stores get a schema of
 * their own in it: a schema and its migrations cost a fraction of a CREATE DATABASE (a copy of the
 * template database), and the suite opens a store per test.
 */
function testDatabase(): Promise<{ url: URL; pool: pg.Pool }> {
  database ??= (async () => {
    const url = new URL(await createFreshDatabase());
    return { url, pool: new pg.Pool({ connectionString: url.toString(), max: 2, allowExitOnIdle: true, idleTimeoutMillis: 1000 }) };
  })();
  return database;
}

/**
 * A new empty schema on the test server, for one store (or several replicas sharing it): the URL that
 * puts a store's tables there (`options=-c search_path=<schema>`), as a user sharing a database would.
 */
export async function createTestSchema(): Promise<string> {
  const { url, pool } = await testDatabase();
  const schema = `store_${++created}_${randomBytes(3).toString('hex')}`;
  await pool.query(`create schema ${schema}`);
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  return scoped.toString();
}

/** Drops a schema createTestSchema made, once every store on it is closed. */
export async function dropTestSchema(url: string): Promise<void> {
  const schema = new URL(url).searchParams.get('options')!.replace('-c search_path=', '');
  const { pool } = await testDatabase();
  await pool.query(`drop schema if exists ${schema} cascade`);
}

/** A PostgreSQL store in a fresh schema, dropped when the store closes; `url` reaches that schema. */
export async function openTestPostgresStore(options: Partial<PostgresStoreOptions> = {}): Promise<KyselyStore & { url: string }> {
  const url = await createTestSchema();
  const store = await openPostgresStore({ url, poolSize: 4, ...options });
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await dropTestSchema(url);
  };
  return Object.assign(store, { url });
}

/** Runs one SQL statement on the database and schema a test URL reaches, on a connection of its own (another replica, an operator). */
export async function runOnSchema(url: string, statement: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
