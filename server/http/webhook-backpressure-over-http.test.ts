import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { appFixture, WEBHOOK_SECRET, type AppFixture } from './app-fixture.ts';
import { signWebhook } from './webhook-signature.ts';

/**
 * Backpressure behind a real socket: the 503 goes out before the body is read, and the sender's
 * keep-alive connection stays usable for its next request.
 */
let fx: AppFixture;
let server: ServerType | undefined;
const agent = new Agent({ connections: 1, keepAliveTimeout: 10_000 });
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  await fx?.close();
});
afterAll(() => agent.close());

describe('POST /webhooks/:source over HTTP: backpressure', () => {
  it('answers 503 with Retry-After on one keep-alive connection, which then carries the next requests', async () => {
    fx = await appFixture({ config: { maxDueBacklog: 1 } });
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: fx.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => resolve(info.port));
    });
    const base = `http://127.0.0.1:${port}`;
    const deliver = async (id: string) => {
      const text = JSON.stringify({ id, event: 'thing.happened', data: { id, padding: Array.from({ length: 4 }, () => 'x'.repeat(8 * 1024)) } });
      const headers = { 'content-type': 'application/json', ...signWebhook(WEBHOOK_SECRET, text, Math.floor(fx.clock.now() / 1000)) };
      const res = await request(`${base}/webhooks/fake`, { method: 'POST', headers, body: text, dispatcher: agent });
      return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: (await res.body.json()) as { error?: string } };
    };

    expect((await deliver('d-1')).status).toBe(202);
    // The scrape counts the backlog now (the route's count is at most 200 ms old).
    expect((await request(`${base}/metrics`, { dispatcher: agent }).then((r) => r.body.text()))).toContain(`\npartnerflow_due_backlog_runs{worker="${fx.engine.workerId}"} 1\n`);
    const refused = await deliver('d-2');
    expect(refused.status).toBe(503);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refused.body.error).toMatch(/MAX_DUE_BACKLOG is 1/);

    const runs = await request(`${base}/runs`, { dispatcher: agent });
    expect(runs.statusCode).toBe(200);
    expect(((await runs.body.json()) as { runs: unknown[] }).runs).toHaveLength(1);
    await fx.engine.runUntilIdle();
    await request(`${base}/metrics`, { dispatcher: agent }).then((r) => r.body.text());
    expect((await deliver('d-2')).status).toBe(202);
  });
});
