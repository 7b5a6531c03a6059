import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { MOCK_APPROVAL_LINK_SECRET } from '../../connectors/approval/approval-token.ts';
import { engineFixture, recipeWith, silentLog, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { createTestSchema, dropTestSchema } from '../../test/support/test-postgres.ts';
import { openPostgresStore } from '../store/postgres-store.ts';
import { testConfig } from './app-fixture.ts';
import { createApp } from './app.ts';

/**
 * What a Prometheus scrape gets from `GET /metrics` while the replica's PostgreSQL pool is saturated
 * (every pooled connection busy with long work, more statements waiting): exactly when ops need the
 * figures, the scrape answers within a bound, with the replica's own figures and a marker saying the
 * store's figures could not be read, instead of hanging until the pool frees up.
 */

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

const TOKEN = 'metrics-test-token';

describe('GET /metrics with the PostgreSQL pool saturated (issue 14)', () => {
  it('answers within 4 s with the in-process figures and partnerflow_metrics_store_stale 1, and with fresh store figures (stale 0) once the pool is free', async () => {
    const url = await createTestSchema();
    cleanups.push(() => dropTestSchema(url));
    const fx: EngineFixture = await engineFixture([recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: 'x' } }])], {
      store: await openPostgresStore({ url, poolSize: 2 }),
      workerId: 'replica-pg',
    });
    cleanups.push(() => fx.close());
    const app = createApp({ engine: fx.engine, config: testConfig({ workerId: 'replica-pg', apiToken: TOKEN }), log: silentLog, approvalLinks: { linkSecret: MOCK_APPROVAL_LINK_SECRET, timezone: 'Europe/Berlin' } });
    const scrape = () => app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });

    const before = await scrape();
    expect(before.status).toBe(200);
    const fresh = await before.text();
    expect(fresh).toContain('partnerflow_metrics_store_stale{worker="replica-pg"} 0');
    expect(fresh).toContain('partnerflow_outbox_awaiting_decision{worker="replica-pg"} 0');

    // Another session holds the runs table: the replica's reads of it wait (long, valid work), two of
    // them take both pooled connections and a third waits for one.
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    let locked = true;
    cleanups.push(async () => {
      if (locked) await locker.query('rollback');
      await locker.end();
    });
    await locker.query('begin');
    await locker.query('lock table runs in access exclusive mode');
    const reads = [1, 2, 3].map((i) => fx.store.getRun(`run_busy_${i}` as never));
    await new Promise((r) => setTimeout(r, 300));

    const started = Date.now();
    const answer = await Promise.race([scrape(), new Promise<'no answer'>((r) => setTimeout(() => r('no answer'), 6000))]);
    const tookMs = Date.now() - started;
    expect(answer).not.toBe('no answer');
    const busy = answer as Response;
    expect(tookMs).toBeLessThan(4000);
    expect(busy.status).toBe(200);
    expect(busy.headers.get('content-type')).toContain('text/plain');
    const text = await busy.text();
    // The marker, and the replica's own figures beside it.
    expect(text).toContain('partnerflow_metrics_store_stale{worker="replica-pg"} 1');
    expect(text).toContain('partnerflow_store_pool_in_use{worker="replica-pg"} 2');
    expect(text).toMatch(/partnerflow_store_pool_waiting\{worker="replica-pg"\} [1-9]/);
    expect(text).toContain('partnerflow_runs_claimed_total{worker="replica-pg"}');

    await locker.query('rollback');
    locked = false;
    expect(await Promise.all(reads)).toEqual([undefined, undefined, undefined]);
    const after = await (await scrape()).text();
    expect(after).toContain('partnerflow_metrics_store_stale{worker="replica-pg"} 0');
    expect(after).toContain('partnerflow_due_backlog_runs{worker="replica-pg"} 0');
    expect(after).toContain('partnerflow_outbox_awaiting_decision{worker="replica-pg"} 0');
  });
});
