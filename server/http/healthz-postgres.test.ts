import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { MOCK_APPROVAL_LINK_SECRET } from '../../connectors/approval/approval-token.ts';
import { engineFixture, recipeWith, silentLog, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { createTestSchema, dropTestSchema, testPostgresUrl } from '../../test/support/test-postgres.ts';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { openPostgresStore } from '../store/postgres-store.ts';
import { testConfig } from './app-fixture.ts';
import { createApp } from './app.ts';

/**
 * What a load balancer and an operator see from `GET /healthz` when the replica's PostgreSQL goes
 * away: the store is reached through a TCP relay on a port of its own, and stopping the relay is the
 * database stopping (its connections cut, its port closed).
 */

/** A TCP relay to the test's PostgreSQL server that can be stopped (port closed, connections cut) and started again. */
class DatabaseRelay {
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port || 5432), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

describe('GET /healthz on PostgreSQL (issue 14)', () => {
  it('503 with the store unreachable while the database is down, without its password anywhere; 200 again once it is back', async () => {
    const schemaUrl = await createTestSchema();
    cleanups.push(() => dropTestSchema(schemaUrl));
    const password = decodeURIComponent(new URL(testPostgresUrl()).password);
    const relay = new DatabaseRelay(new URL(schemaUrl));
    await relay.start();
    cleanups.push(() => relay.stop());
    const url = new URL(schemaUrl);
    url.port = String(relay.port);
    const said: string[] = [];
    const at = (level: string) => (fields: object, message?: string) => void said.push(`${level}: ${message} ${JSON.stringify(fields)}`);
    const log: Logger = { ...silentLog, info: at('info'), warn: at('warn'), error: at('error') };
    const fx: EngineFixture = await engineFixture([recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: 'x' } }])], {
      store: await openPostgresStore({ url: url.toString(), poolSize: 2 }),
      workerId: 'replica-pg',
    });
    cleanups.push(() => fx.close());
    const app = createApp({ engine: fx.engine, config: testConfig({ workerId: 'replica-pg' }), log, approvalLinks: { linkSecret: MOCK_APPROVAL_LINK_SECRET, timezone: 'Europe/Berlin' } });

    const up = await app.request('/healthz');
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ status: 'ok', store: 'postgres', store_reachable: true, worker_id: 'replica-pg', pool_in_use: 0, pool_waiting: 0 });

    await relay.stop();
    const down = await app.request('/healthz');
    expect(down.status).toBe(503);
    const body = await down.text();
    expect(JSON.parse(body)).toEqual({ status: 'unavailable', store: 'postgres', store_reachable: false, worker_id: 'replica-pg', error: 'the store does not answer' });
    // The operator's log says the outage once, which server does not answer, its password masked.
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^error: health check: the store does not answer; \/healthz answers 503 until it does /);
    expect(said[0]).toContain(`PostgreSQL at postgres://${url.username}:***@127.0.0.1:${relay.port}/`);
    // Probes within the minute add no line.
    for (let i = 0; i < 3; i++) expect((await app.request('/healthz')).status).toBe(503);
    expect(said).toHaveLength(1);

    // The database is back on the same port: the replica is healthy again, with no restart, and says so once.
    await relay.start();
    const back = await app.request('/healthz');
    expect(back.status).toBe(200);
    expect(await back.json()).toMatchObject({ status: 'ok', store_reachable: true });
    expect(said).toHaveLength(2);
    expect(said[1]).toMatch(/^info: health check: the store answers again after 4 failed health checks \{"failures":4,"forMs":\d+\}$/);
    if (password) for (const text of [body, ...said]) expect(text).not.toContain(password);
  });

  it('200 with the store reachable while every pooled connection is busy with slow statements (a busy replica stays in the load balancer), the saturation shown as pool_waiting and in its gauges', async () => {
    const url = await createTestSchema();
    cleanups.push(() => dropTestSchema(url));
    const fx: EngineFixture = await engineFixture([recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: 'x' } }])], {
      store: await openPostgresStore({ url, poolSize: 2 }),
      workerId: 'replica-pg',
    });
    cleanups.push(() => fx.close());
    const app = createApp({ engine: fx.engine, config: testConfig({ workerId: 'replica-pg' }), log: silentLog, approvalLinks: { linkSecret: MOCK_APPROVAL_LINK_SECRET, timezone: 'Europe/Berlin' } });
    // Another session holds the runs table: the replica's reads of it wait (valid, slow statements),
    // two of them take both pooled connections and a third waits for one.
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    cleanups.push(() => locker.end());
    await locker.query('begin');
    await locker.query('lock table runs in access exclusive mode');
    const reads = [1, 2, 3].map((i) => fx.store.getRun(`run_busy_${i}` as never));
    await new Promise((r) => setTimeout(r, 300));

    const started = Date.now();
    const busy = await app.request('/healthz');
    const tookMs = Date.now() - started;
    expect(busy.status).toBe(200);
    expect(await busy.json()).toEqual({ status: 'ok', store: 'postgres', store_reachable: true, worker_id: 'replica-pg', pool_in_use: 2, pool_waiting: 1 });
    expect(tookMs).toBeLessThan(1000);
    // The pool's gauges, as /metrics prints them (a scrape also reads the store for other gauges, and
    // waits for those 2 s at most: metrics-saturated-pool.test.ts).
    const registry = fx.engine.metrics.registry;
    expect(await registry.getSingleMetricAsString('partnerflow_store_pool_waiting')).toContain('partnerflow_store_pool_waiting{worker="replica-pg"} 1');
    expect(await registry.getSingleMetricAsString('partnerflow_store_pool_in_use')).toContain('partnerflow_store_pool_in_use{worker="replica-pg"} 2');

    await locker.query('rollback');
    expect(await Promise.all(reads)).toEqual([undefined, undefined, undefined]);
    expect(await (await app.request('/healthz')).json()).toMatchObject({ status: 'ok', pool_waiting: 0 });
  });
});
