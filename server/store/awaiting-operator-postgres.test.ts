import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyStore } from './kysely-store.ts';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';

/**
 * `/metrics` reads what waits for an operator at every scrape of every replica. On an outbox as a
 * deployment grows it (every email ever sent keeps its envelope), the count of emails waiting for a
 * decision goes through the partial index of 0027, not a read of the whole outbox.
 */
describe('PostgreSQL: the emails waiting for a decision are counted through an index', () => {
  let store: KyselyStore & { url: string };
  let explainer: pg.Client;
  const sent: string[] = [];
  const realQuery = pg.Client.prototype.query;

  beforeAll(async () => {
    store = await openTestPostgresStore();
    explainer = new pg.Client({ connectionString: store.url });
    await explainer.connect();
    await explainer.query(
      `insert into outbox (key, run_id, message, status, attempts, created_at)
       select 'run_' || n || ':tell', 'run_' || n, '{}', case when n % 25000 = 0 then 'failed' else 'sent' end, 1, 0
       from generate_series(1, 100000) as n`,
    );
    await explainer.query('analyze outbox');
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
      if (typeof text === 'string' && /\boutbox\b/.test(text) && this !== explainer) sent.push(text);
      return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof realQuery;
  }, 120_000);

  afterAll(async () => {
    pg.Client.prototype.query = realQuery;
    await explainer?.end();
    await store?.close();
  });

  it('counts 4 of 100,000 emails without a sequential scan of the outbox', async () => {
    expect((await store.awaitingOperator()).emailsAwaitingDecision).toBe(4);
    expect(sent).toHaveLength(1);
    const { rows } = await explainer.query<{ 'QUERY PLAN': string }>(`explain ${sent[0]}`);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain('outbox_awaiting_decision');
    expect(plan).not.toContain('Seq Scan');
  });
});
