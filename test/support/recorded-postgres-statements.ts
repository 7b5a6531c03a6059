import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { KyselyStore } from '../../server/store/kysely-store.ts';
import { openTestPostgresStore } from './test-postgres.ts';

/** A statement as the store sent it to PostgreSQL: its text and the values bound to it. */
export interface RecordedStatement {
  text: string;
  values: unknown[];
}

export interface RecordedPostgresStatements {
  /** The store under test, on a fresh schema. */
  store(): KyselyStore & { url: string };
  /**
   * A connection of its own on the store's schema, whose statements are not recorded: to EXPLAIN what
   * the store sent (`explain <text>` with its values) without recording the EXPLAIN.
   */
  explainer(): pg.Client;
  /** The statements naming the table the store sent since the last take (or since the seed), in order. */
  take(): RecordedStatement[];
}

/**
 * A PostgreSQL store for one test file whose statements naming `table` are recorded as sent (every pg
 * client's query is watched, the explainer's left out), with a connection of its own to EXPLAIN them:
 * how a test checks the plan PostgreSQL picks for what the store really sends. `seed` fills the tables
 * on that connection first (and should ANALYZE them); recording starts after it.
 */
export function useRecordedPostgresStatements(options: { table: string; seed: (client: pg.Client) => Promise<void> }): RecordedPostgresStatements {
  const naming = new RegExp(`\\b${options.table}\\b`);
  const sent: RecordedStatement[] = [];
  const realQuery = pg.Client.prototype.query;
  let store: (KyselyStore & { url: string }) | undefined;
  let explainer: pg.Client | undefined;

  beforeAll(async () => {
    store = await openTestPostgresStore();
    explainer = new pg.Client({ connectionString: store.url });
    await explainer.connect();
    await options.seed(explainer);
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      // The store sends its statements as named ones ({ name, text, values }), others as (text, values).
      const [text, values] = typeof args[0] === 'string' ? [args[0], args[1] as unknown[]] : [(args[0] as { text?: string })?.text, (args[0] as { values?: unknown[] })?.values];
      if (typeof text === 'string' && naming.test(text) && this !== explainer) sent.push({ text, values: values ?? [] });
      return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof realQuery;
  }, 120_000);

  afterAll(async () => {
    pg.Client.prototype.query = realQuery;
    await explainer?.end();
    await store?.close();
  });

  return {
    store: () => {
      if (!store) throw new Error('the recorded PostgreSQL store is open only inside the tests');
      return store;
    },
    explainer: () => {
      if (!explainer) throw new Error('the explainer is connected only inside the tests');
      return explainer;
    },
    take: () => sent.splice(0),
  };
}
