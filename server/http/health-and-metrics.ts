import { Hono } from 'hono';
import type { z } from 'zod';
import { Health } from './api-schemas.ts';
import { requireApiToken } from './api-auth.ts';
import type { AppDeps, AppEnv } from './app.ts';
import type { RouteDoc } from './openapi.ts';

/** A health check answers within this time or reports the store unavailable. */
const PING_TIMEOUT_MS = 2000;

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
      const pool = engine.store.poolUse?.();
      const poolFields = pool ? { pool_in_use: pool.inUse, pool_waiting: pool.waiting } : {};
      return c.json({ status: 'ok', store, store_reachable: true, worker_id, ...poolFields } satisfies z.infer<typeof Health>);
    } catch (error) {
      log.warn({ requestId: c.get('requestId'), error: (error as Error).message }, 'health check: the store does not answer');
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
