import { describe, expect, it } from 'vitest';
import { useRecordedPostgresStatements } from '../../test/support/recorded-postgres-statements.ts';

/**
 * `/metrics` reads what waits for an operator at every scrape of every replica. On an outbox as a
 * deployment grows it (every email ever sent keeps its envelope), the count of emails waiting for a
 * decision goes through the partial index of 0027, not a read of the whole outbox.
 */
describe('PostgreSQL: the emails waiting for a decision are counted through an index', () => {
  const statements = useRecordedPostgresStatements({
    table: 'outbox',
    seed: async (client) => {
      await client.query(
        `insert into outbox (key, run_id, message, status, attempts, created_at)
         select 'run_' || n || ':tell', 'run_' || n, '{}', case when n % 25000 = 0 then 'failed' else 'sent' end, 1, 0
         from generate_series(1, 100000) as n`,
      );
      await client.query('analyze outbox');
    },
  });

  it('counts 4 of 100,000 emails without a sequential scan of the outbox', async () => {
    expect((await statements.store().awaitingOperator()).emailsAwaitingDecision).toBe(4);
    const sent = statements.take();
    expect(sent).toHaveLength(1);
    const { rows } = await statements.explainer().query<{ 'QUERY PLAN': string }>(`explain ${sent[0]!.text}`);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain('outbox_awaiting_decision');
    expect(plan).not.toContain('Seq Scan');
  });
});
