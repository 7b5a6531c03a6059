import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from './embedded-postgres.ts';

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
 * `inject('postgresUrl')` (test/support/test-postgres.ts gives each store a schema of its own).
 * `PARTNERFLOW_TEST_DATABASE_URL` uses an existing server instead (its user must be allowed to create
 * databases). Otherwise an embedded PostgreSQL starts in a temporary folder on a free port, and stops
 * when the run ends. If it cannot start, the run goes on and every PostgreSQL test fails with the
 * reason: never skipped silently.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.PARTNERFLOW_TEST_DATABASE_URL;
  if (external) {
    project.provide('postgresUrl', external);
    project.provide('postgresUnavailable', null);
    return undefined;
  }
  try {
    const server = await startEmbeddedPostgres();
    project.provide('postgresUrl', server.url);
    project.provide('postgresUnavailable', null);
    return () => server.destroy();
  } catch (error) {
    project.provide('postgresUrl', null);
    project.provide('postgresUnavailable', `${(error as Error).message}\nSet PARTNERFLOW_TEST_DATABASE_URL to use an existing server.`);
    return undefined;
  }
}
