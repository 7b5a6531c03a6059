import { Hono } from 'hono';
import type { z } from 'zod';
import { Health } from './api-schemas.ts';
import { requireApiToken } from './api-auth.ts';
import type { AppDeps, AppEnv } from './app.ts';
import type { RouteDoc } from './openapi.ts';
import { Outage, type OutageMessages } from '../engine/outage.ts';

/** A health check answers within this time or reports the store unavailable. */
const PING_TIMEOUT_MS = 2000;

/**
 * What the log says of health checks that find the store away. A load balancer probes every few
 * seconds (several, one per balancer): a line per probe buried the outage in thousands of lines; it is
 * said once, a reminder a minute with the count, and once when the store answers again (outage.ts).
 */
const HEALTH_CHECK_OUTAGE: OutageMessages = {
  started: 'health check: the store does not answer; /healthz answers 503 until it does',
  still: 'health check: the store still does not answer; /healthz answers 503',
  over: (failures) => `health check: the store answers again after ${failures} failed health checks`,
};

/**
 * `GET /healthz` says ok only when the store answers (a runtime that cannot store runs must not
 * receive webhooks: the load balancer takes it out), and which store and which replica (its worker id)
 * answered; on PostgreSQL the store answers on a connection of its own (a pool busy with slow
 * statements is a busy replica, not a dead one: taking it out would pile its load on the others), and
 * the pool's use is reported beside it (pool_in_use, pool_waiting); `GET /metrics` serves the engine's Prometheus registry, the replica's own figures labelled
 * with its worker id; it waits for the store's figures a bounded time (metrics.ts, SCRAPE_STORE_TIMEOUT_MS),
 * so a saturated pool makes a scrape stale (`partnerflow_metrics_store_stale` 1), not hang.
 */
export function healthAndMetricsRoutes(deps: AppDeps): Hono<AppEnv> {
  const { engine, log } = deps;
  const app = new Hono<AppEnv>();
  const storeOutage = new Outage(log, HEALTH_CHECK_OUTAGE, deps.realNow ? { now: deps.realNow } : {});

  app.get('/healthz', async (c) => {
    const store = engine.store.kind;
    const worker_id = engine.workerId;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        engine.store.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
        }),
      ]);
      storeOutage.succeeded();
      const pool = engine.store.poolUse?.();
      const poolFields = pool ? { pool_in_use: pool.inUse, pool_waiting: pool.waiting } : {};
      return c.json({ status: 'ok', store, store_reachable: true, worker_id, ...poolFields } satisfies z.infer<typeof Health>);
    } catch (error) {
      storeOutage.failed(error, { requestId: c.get('requestId') });
      return c.json({ status: 'unavailable', store, store_reachable: false, worker_id, error: 'the store does not answer' } satisfies z.infer<typeof Health>, 503);
    } finally {
      clearTimeout(timer);
    }
  });

  app.get('/metrics', requireApiToken(deps.config.apiToken), async (c) => {
    const registry = engine.metrics.registry;
    return c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
  });

  return app;
}

export const healthAndMetricsDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/healthz',
    tag: 'operations',
    summary: 'Liveness, store reachability and the replica (worker id)',
    responses: { 200: { description: 'Serving, store reachable', schema: Health }, 503: { description: 'The store does not answer', schema: Health } },
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'operations',
    summary: 'Prometheus metrics',
    auth: true,
    responses: {
      200: { description: 'Prometheus text exposition format', contentType: 'text/plain; version=0.0.4' },
    },
  },
];
