import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { appFixture, WEBHOOK_SECRET, type AppFixture } from './app-fixture.ts';
import { signWebhook } from './webhook-signature.ts';

/**
 * The webhook route behind a real socket, as it runs in production: on @hono/node-server the route
 * reads its headers and its body from Node's request (request-header.ts, read-body.ts), a path the
 * in-process `app.request` suites do not take.
 */
let fx: AppFixture;
let server: ServerType | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  await fx?.close();
});

async function listening(config: { maxBodyBytes?: number } = {}): Promise<string> {
  fx = await appFixture({ config });
  const started = new Promise<AddressInfo>((resolve) => {
    server = serve({ fetch: fx.app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve(info));
  });
  return `http://127.0.0.1:${(await started).port}`;
}

/** Sends a body in chunks without a Content-Length (Transfer-Encoding: chunked). */
function postChunked(url: string, headers: Record<string, string>, chunks: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

const body = (id: string, data: Record<string, unknown> = { id: 'T-1' }) => JSON.stringify({ id, event: 'thing.happened', data });
const signed = (text: string) => ({ 'content-type': 'application/json', ...signWebhook(WEBHOOK_SECRET, text, Math.floor(fx.clock.now() / 1000)) });

describe('POST /webhooks/:source over HTTP', () => {
  it('accepts a signed delivery (202, its run stored) and echoes a sane X-Request-Id', async () => {
    const base = await listening();
    const text = body('delivery-1');
    const res = await fetch(`${base}/webhooks/fake`, { method: 'POST', headers: { ...signed(text), 'x-request-id': 'req-77' }, body: text });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-request-id')).toBe('req-77');
    const { run_ids: runIds } = (await res.json()) as { run_ids: string[] };
    expect(await fx.store.getRun(runIds[0] as never)).toMatchObject({ status: 'queued', trigger: { deliveryId: 'delivery-1' } });
  });

  it('replaces an X-Request-Id with characters it does not accept by a new one', async () => {
    const base = await listening();
    const text = body('delivery-1');
    const res = await fetch(`${base}/webhooks/fake`, { method: 'POST', headers: { ...signed(text), 'x-request-id': 'a b<script>' }, body: text });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a body signed with another secret (401) and stores nothing', async () => {
    const base = await listening();
    const text = body('delivery-1');
    const headers = { 'content-type': 'application/json', ...signWebhook('another-secret-0000000', text, Math.floor(fx.clock.now() / 1000)) };
    const res = await fetch(`${base}/webhooks/fake`, { method: 'POST', headers, body: text });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toMatch(/signature does not match/);
    expect(await fx.store.listRuns({ limit: 10 })).toEqual([]);
  });

  it('answers 413 for a declared length over the limit, and for a chunked body that grows past it', async () => {
    const base = await listening({ maxBodyBytes: 1024 });
    const large = body('delivery-1', { id: 'T-1', padding: 'x'.repeat(2000) });
    const declared = await fetch(`${base}/webhooks/fake`, { method: 'POST', headers: signed(large), body: large });
    expect(declared.status).toBe(413);
    const chunked = await postChunked(`${base}/webhooks/fake`, signed(large), [large.slice(0, 700), large.slice(700, 1400), large.slice(1400)]);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body).error).toMatch(/larger than 1024 bytes/);
    expect(await fx.store.listRuns({ limit: 10 })).toEqual([]);
  });

  it('accepts a chunked body within the limit', async () => {
    const base = await listening({ maxBodyBytes: 1024 });
    const text = body('delivery-2');
    const res = await postChunked(`${base}/webhooks/fake`, signed(text), [text.slice(0, 20), text.slice(20)]);
    expect(res.status).toBe(202);
    expect(JSON.parse(res.body)).toMatchObject({ delivery_id: 'delivery-2', duplicate: false });
  });
});
