import pg from 'pg';
import type { KyselyStore } from '../../server/store/kysely-store.ts';
import { openPostgresStore } from '../../server/store/postgres-store.ts';
import { openTestPostgresStore } from './test-postgres.ts';

/**
 * Two replicas on one test PostgreSQL schema (each a store with its own pool) and a third, bare
 * connection that forces an interleaving: it holds a row lock while the replicas race, and tells how
 * many connections wait for a lock, so a test waits for a state instead of sleeping.
 */
export interface PostgresReplicaPair {
  first: KyselyStore & { url: string };
  second: KyselyStore;
  blocker: pg.Client;
  /** Connections of this database waiting for a row lock. */
  lockWaiters(): Promise<number>;
  close(): Promise<void>;
}

export async function openPostgresReplicaPair(): Promise<PostgresReplicaPair> {
  const first = await openTestPostgresStore();
  const second = await openPostgresStore({ url: first.url, poolSize: 2 });
  const blocker = new pg.Client(first.url);
  await blocker.connect();
  return {
    first,
    second,
    blocker,
    async lockWaiters() {
      const { rows } = await blocker.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
      return rows[0].n as number;
    },
    async close() {
      await blocker.end().catch(() => {});
      await second.close();
      await first.close();
    },
  };
}
