import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { openPostgresStore, type PostgresStoreOptions } from '../../server/store/postgres-store.ts';
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

let admin: pg.Pool | undefined;
let created = 0;

/** A new empty database on the test server, for one store (or several replicas sharing it); its URL. */
export async function createTestDatabase(): Promise<string> {
  const url = new URL(testPostgresUrl());
  admin ??= new pg.Pool({ connectionString: url.toString(), max: 2, allowExitOnIdle: true, idleTimeoutMillis: 1000 });
  const name = `partnerflow_test_${process.pid}_${++created}_${randomBytes(3).toString('hex')}`;
  await admin.query(`create database ${name}`);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database createTestDatabase made, once every store on it is closed. */
export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await admin?.query(`drop database if exists ${name} with (force)`);
}

/** A PostgreSQL store on a fresh database, dropped when the store closes. */
export async function openTestPostgresStore(options: Partial<PostgresStoreOptions> = {}): Promise<KyselyStore> {
  const url = await createTestDatabase();
  const store = await openPostgresStore({ url, poolSize: 4, ...options });
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await dropTestDatabase(url);
  };
  return store;
}
