import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestPostgresStore, runOnSchema } from '../../test/support/test-postgres.ts';
import { asRunId, type RunId } from '../engine/ids.ts';
import type { KyselyStore } from './kysely-store.ts';
import { PreparedStatementsLostError } from './store-unavailable.ts';

/**
 * The store prepares its statements once per PostgreSQL connection (postgres-pool.ts). A prepared
 * statement outlives what it was prepared against: another replica's migration may change a table
 * under it (a rolling deploy), and a pooler may drop it. Either way the store must go on: at most one
 * statement fails as "try again later" (503 with Retry-After, a turn retried), never as a bug, and the
 * next one works.
 */
const T0 = Date.parse('2026-03-02T09:00:00Z');
const stores: KyselyStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** A run of an MDF request's submission, due now. */
const submitted = (id: RunId, mdfNumber: string) =>
  ({ id, recipe: 'mdf-request-approval', recipeVersion: 1, recipeHash: 'h', trigger: { type: 'webhook', event: 'prm.mdf_request.submitted', receivedAt: T0, data: { mdfNumber } }, dedupKey: mdfNumber, correlationKey: null, cancelOnEvent: null, wakeAt: T0, createdAt: T0 }) as never;

async function storeWithOneRun(options: { preparedStatements?: boolean } = {}) {
  // One connection: every statement below runs on the connection that prepared the earlier ones.
  const store = await openTestPostgresStore({ poolSize: 1, ...options });
  stores.push(store);
  const id = asRunId('run_prepared_1');
  await store.createRun(submitted(id, 'MDF-1001'));
  return { store, id };
}

/** The store's operation, retried once if the first answer was "the store is unavailable": what the runtime does. */
async function withOneRetry<T>(operation: () => Promise<T>): Promise<{ value: T; failures: unknown[] }> {
  const failures: unknown[] = [];
  try {
    return { value: await operation(), failures };
  } catch (error) {
    failures.push(error);
    return { value: await operation(), failures };
  }
}

describe('PostgreSQL store with prepared statements', () => {
  it('prepares its statements on the connection, and reads the same run each time', async () => {
    const { store, id } = await storeWithOneRun();
    for (let i = 0; i < 3; i++) expect((await store.getRun(id))?.trigger.data).toEqual({ mdfNumber: 'MDF-1001' });
    const prepared = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(store.db);
    expect(prepared.rows[0]!.n).toBeGreaterThan(0);
  });

  it('with PARTNERFLOW_DATABASE_PREPARED_STATEMENTS=off prepares none (a pooler that does not keep them)', async () => {
    const { store, id } = await storeWithOneRun({ preparedStatements: false });
    for (let i = 0; i < 3; i++) expect((await store.getRun(id))?.status).toBe('queued');
    const prepared = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(store.db);
    expect(prepared.rows[0]!.n).toBe(0);
  });

  it("goes on after another replica's migration adds a column to a table its statements read whole", async () => {
    const { store, id } = await storeWithOneRun();
    await store.getRun(id);
    await store.getRun(id);
    await runOnSchema(store.url, 'alter table runs add column added_by_a_newer_version text');
    const { value, failures } = await withOneRetry(() => store.getRun(id));
    expect(value?.trigger.data).toEqual({ mdfNumber: 'MDF-1001' });
    expect(failures).toHaveLength(1);
    for (const failure of failures) expect(failure).toBeInstanceOf(PreparedStatementsLostError);
    expect((await store.getRun(id))?.status).toBe('queued');
  });

  it('goes on after something between dropped the prepared statements of its connection', async () => {
    const { store, id } = await storeWithOneRun();
    await store.getRun(id);
    // What a pooler that reassigns server connections, or an operator, does to the session.
    await sql`deallocate all`.execute(store.db);
    const { value, failures } = await withOneRetry(() => store.getRun(id));
    expect(value?.status).toBe('queued');
    expect(failures).toHaveLength(1);
    for (const failure of failures) expect(failure).toBeInstanceOf(PreparedStatementsLostError);
    expect((await store.getRun(id))?.trigger.data).toEqual({ mdfNumber: 'MDF-1001' });
  });

  it('a write of a group commit that meets dropped prepared statements is run again at once and stored, not refused', async () => {
    const { store, id } = await storeWithOneRun();
    await store.getRun(id);
    await sql`deallocate all`.execute(store.db);
    const second = asRunId('run_prepared_2');
    await store.createRun(submitted(second, 'MDF-1002'));
    expect((await store.getRun(second))?.trigger.data).toEqual({ mdfNumber: 'MDF-1002' });
  });
});
