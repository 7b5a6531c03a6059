import type { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { capturingLogger } from '../../connectors/kit/action-test-context.ts';
import { recipeWith } from '../../test/support/engine-fixture.ts';
import { advanceTime } from '../engine/advance-time.ts';
import { addIsoDuration } from '../engine/business-calendar.ts';
import { appFixture, approvalRecipe, type AppFixture } from './app-fixture.ts';
import type { MockDeps } from './app.ts';
import { buildOpenApiDocument } from './openapi.ts';

let fx: AppFixture;
afterEach(async () => {
  vi.useRealTimers();
  await fx?.close();
});

const mailbox = [
  { from: 'mdf@example.com', to: ['partner@acme.example'], subject: 'We received your MDF request', text: '…' },
  { from: 'mdf@example.com', to: ['cmm@example.com'], cc: ['Partner@Acme.example'], subject: 'MDF approval needed', text: '…' },
];

/** Mock deps as `serve --mock` wires them: the fixture's virtual clock, advanced through the engine. */
const mockDeps = (f: Pick<AppFixture, 'engine' | 'clock'>): MockDeps => ({
  systems: {
    snapshot: () => ({ prm: { mdfRequests: [{ mdfNumber: 'MDF-2001' }] } }),
    email: { messages: () => mailbox },
    prm: {
      findMdfRequest: (n: string) => (n === 'MDF-2001' ? { mdfNumber: 'MDF-2001' } : undefined),
      mdfClaims: () => [],
      findMdfClaimsByTitle: () => [],
      addMdfClaim: (claim) => ({ id: 1, ...claim }),
      updateMdfClaim: () => undefined,
      updateMdfRequest: () => undefined,
      leads: () => [],
      updateLead: () => undefined,
    },
    salesforce: { records: () => [], objects: () => [], update: () => ({ ok: false, errors: ['ENTITY_IS_DELETED'] }) },
  },
  clock: f.clock,
  advance: (iso) => advanceTime(f.engine, f.clock, addIsoDuration(f.clock.now(), iso) - f.clock.now()),
});

describe('errors', () => {
  it('answers an unknown route with a JSON 404', async () => {
    fx = await appFixture();
    const res = await fx.app.request('/nothing/here');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'no route GET /nothing/here' });
  });

  it('answers a failure with a JSON 500 carrying the request id, never the message or stack; the log has both', async () => {
    const log = capturingLogger();
    fx = await appFixture({ log });
    const failing = async (): Promise<never> => {
      throw new Error('connect failed: postgres://partnerflow:hunter2@db.internal/partnerflow');
    };
    fx.store.listRuns = failing;
    fx.store.listRunSummaries = failing;
    const res = await fx.app.request('/runs', { headers: { 'x-request-id': 'req-42' } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toMatch(/at .*\.ts/);
    expect(JSON.parse(text)).toEqual({ error: expect.stringMatching(/^internal error/), requestId: 'req-42' });
    expect(res.headers.get('x-request-id')).toBe('req-42');
    const logged = log.lines.find((l) => l.level === 'error')!;
    expect(logged.fields).toMatchObject({ requestId: 'req-42', path: '/runs', error: { message: expect.stringContaining('connect failed') } });
  });

  it('never logs an approval token (it is a working credential)', async () => {
    const log = capturingLogger();
    fx = await appFixture({ recipes: [approvalRecipe], log });
    const res = await fx.deliver({ id: 'd-1', event: 'thing.happened', data: { id: 'MDF-1' } });
    const runId = ((await res.json()) as { run_ids: string[] }).run_ids[0]!;
    await fx.engine.runUntilIdle();
    const link = await fx.approvalLink(runId as never);
    await fx.app.request(link);
    await fx.app.request(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
    const token = link.split('/').pop()!;
    expect(log.lines.length).toBeGreaterThan(2);
    expect(JSON.stringify(log.lines)).not.toContain(token);
    expect(JSON.stringify(log.lines)).toContain('/approvals/[redacted]');
  });
});

describe('GET /openapi.json', () => {
  /** Every method and path the app registered, in OpenAPI path syntax. */
  function registeredRoutes(app: Hono): string[] {
    const routes = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
    return [...new Set(routes)].sort();
  }

  function documentedRoutes(doc: { paths?: Record<string, Record<string, unknown>> }): string[] {
    return Object.entries(doc.paths ?? {})
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`))
      .sort();
  }

  it('documents every route the app registers, and only those (mock mode, all routes)', async () => {
    fx = await appFixture({ mock: mockDeps });
    const doc = (await (await fx.app.request('/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(registeredRoutes(fx.app)).toContain('post /_mock/clock/advance');
    expect(documentedRoutes(doc)).toEqual(registeredRoutes(fx.app));
  });

  it('documents every route outside mock mode too, without the /_mock routes', async () => {
    fx = await appFixture();
    const doc = (await (await fx.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(documentedRoutes(doc)).toEqual(registeredRoutes(fx.app));
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/_mock'))).toBe(false);
  });

  it('has request and response schemas generated from the zod schemas, and every $ref resolves', () => {
    const doc = buildOpenApiDocument({ mock: true }) as unknown as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> }; parameters?: Array<{ name: string; in: string; schema: unknown }>; security?: unknown }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    const webhook = doc.paths['/webhooks/{source}']!.post!;
    expect(webhook.requestBody!.content['application/json']!.schema).toEqual({ $ref: '#/components/schemas/WebhookDelivery' });
    expect(doc.components.schemas.WebhookDelivery!.required).toEqual(['id', 'event', 'data']);
    expect(webhook.parameters!.map((p) => `${p.in}:${p.name}`)).toEqual(['path:source', 'header:X-Partnerflow-Timestamp', 'header:X-Partnerflow-Signature']);

    const list = doc.paths['/runs']!.get!;
    expect(list.security).toEqual([{ bearer: [] }]);
    expect(list.parameters!.find((p) => p.name === 'limit')!.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 200, default: 50 });
    expect(Object.keys(doc.components.schemas.Run!.properties!)).toEqual(expect.arrayContaining(['id', 'status', 'trigger', 'createdAt', 'finishedAt']));

    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(doc.components.schemas[ref.replace('#/components/schemas/', '')], ref).toBeDefined();
  });
});

describe('/_mock routes', () => {
  it('do not exist outside mock mode', async () => {
    fx = await appFixture();
    for (const [method, path] of [
      ['GET', '/_mock/mailbox'],
      ['GET', '/_mock/records'],
      ['GET', '/_mock/clock'],
      ['POST', '/_mock/clock/advance'],
      ['POST', '/_mock/prm/webhooks'],
    ]) {
      expect((await fx.app.request(path!, { method })).status).toBe(404);
    }
  });

  it('show the simulated mailbox (newest last, filtered by recipient) and records', async () => {
    fx = await appFixture({ mock: mockDeps });
    expect(await (await fx.app.request('/_mock/mailbox')).json()).toEqual({ messages: mailbox });
    const toPartner = (await (await fx.app.request('/_mock/mailbox?to=partner@acme.example')).json()) as { messages: unknown[] };
    expect(toPartner.messages).toEqual(mailbox);
    const toCmm = (await (await fx.app.request('/_mock/mailbox?to=CMM@example.com')).json()) as { messages: unknown[] };
    expect(toCmm.messages).toEqual([mailbox[1]]);
    // A misspelt or repeated filter is refused rather than listing every message as if filtered.
    const typo = await fx.app.request('/_mock/mailbox?too=CMM@example.com');
    expect(typo.status).toBe(400);
    expect(((await typo.json()) as { error: string }).error).toBe('the query is not valid: too: not a parameter of this listing (did you mean "to"?); it takes to');
    const twice = await fx.app.request('/_mock/mailbox?to=CMM@example.com&to=partner@acme.example');
    expect(twice.status).toBe(400);
    expect(((await twice.json()) as { error: string }).error).toBe('the query is not valid: to: given 2 times; give it once (only one value is read)');
    expect(await (await fx.app.request('/_mock/records')).json()).toEqual({ prm: { mdfRequests: [{ mdfNumber: 'MDF-2001' }] } });
  });

  it('move the clock forward and run what falls due on the way', async () => {
    fx = await appFixture({
      recipes: [recipeWith([{ id: 'pause', type: 'wait', for: 'P2D' }, { id: 'after', type: 'action', action: 'fake.record', input: { key: 'woke' } }])],
      mock: mockDeps,
    });
    expect(await (await fx.app.request('/_mock/clock')).json()).toEqual({ now: '2026-03-02T09:00:00.000Z' });
    await fx.deliver({ id: 'd-1', event: 'thing.happened', data: { id: 'T-1' } });
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([]);

    const res = await fx.app.request('/_mock/clock/advance', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: 'P2D' }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ now: '2026-03-04T09:00:00.000Z' });
    expect(fx.system.effects).toEqual([{ key: 'woke', value: undefined }]);
    expect((await fx.store.listRuns({ limit: 1 }))[0]!.status).toBe('completed');
  });

  it('refuse a clock move that is not a forward ISO 8601 duration', async () => {
    fx = await appFixture({ mock: mockDeps });
    for (const body of [{ by: 'two days' }, { by: 'PT-1H' }, {}, 'P2D']) {
      const res = await fx.app.request('/_mock/clock/advance', { method: 'POST', body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(await (await fx.app.request('/_mock/clock')).json()).toEqual({ now: '2026-03-02T09:00:00.000Z' });
  });

  it('refuse a clock move with a key it does not take (a "to" was ignored and the clock moved "by" anyway) or an empty duration, saying so, and leave the clock where it was', async () => {
    fx = await appFixture({ mock: mockDeps });
    const withTo = await fx.app.request('/_mock/clock/advance', { method: 'POST', body: JSON.stringify({ by: 'P1D', to: '2027-01-01T00:00:00Z' }) });
    expect(withTo.status).toBe(400);
    expect(await withTo.json()).toEqual({ error: 'the body is not valid: $: Unrecognized key: "to"', issues: [{ path: '$', message: 'Unrecognized key: "to"' }] });
    const empty = await fx.app.request('/_mock/clock/advance', { method: 'POST', body: JSON.stringify({ by: 'P' }) });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({ error: 'the body is not valid: by: not an ISO 8601 duration (e.g. P2D, PT36H)', issues: [{ path: 'by', message: 'not an ISO 8601 duration (e.g. P2D, PT36H)' }] });
    expect(await (await fx.app.request('/_mock/clock')).json()).toEqual({ now: '2026-03-02T09:00:00.000Z' });
  });

  it('refuse a clock move longer than two years at once, saying the limit, and leave the clock where it was', async () => {
    fx = await appFixture({ mock: mockDeps });
    const res = await fx.app.request('/_mock/clock/advance', { method: 'POST', body: JSON.stringify({ by: 'P100Y' }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: '"P100Y" moves the clock more than P2Y (2 years) at once; advance it in steps of at most P2Y',
      issues: [{ path: 'by', message: 'longer than P2Y' }],
    });
    expect(await (await fx.app.request('/_mock/clock')).json()).toEqual({ now: '2026-03-02T09:00:00.000Z' });
    const twoYears = await fx.app.request('/_mock/clock/advance', { method: 'POST', body: JSON.stringify({ by: 'P2Y' }) });
    expect(twoYears.status).toBe(200);
    expect(await twoYears.json()).toEqual({ now: '2028-03-02T09:00:00.000Z' });
  });

  it('refuse to send a PRM webhook for a request the simulated PRM does not have, or an unknown event', async () => {
    fx = await appFixture({ mock: mockDeps });
    const send = (body: unknown) => fx.app.request('/_mock/prm/webhooks', { method: 'POST', body: JSON.stringify(body) });
    const missing = await send({ event: 'mdf_request.submitted', mdf_number: 'MDF-9999' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'the simulated PRM has no MDF request MDF-9999' });
    const unknownEvent = await send({ event: 'mdf_request.exploded', mdf_number: 'MDF-2001' });
    expect(unknownEvent.status).toBe(400);
    expect(((await unknownEvent.json()) as { issues: Array<{ path: string }> }).issues[0]!.path).toBe('event');
  });

  it('accept in mock mode a webhook signed with the wall clock even when the virtual clock is days ahead', async () => {
    // The wall clock stands still where the virtual clock starts, whatever today's date is.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-03-02T09:00:00Z') });
    const seconds = (ms: number) => Math.floor(ms / 1000);
    fx = await appFixture({ mock: mockDeps });
    const advanced = await fx.app.request('/_mock/clock/advance', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: 'P10D' }) });
    expect(await advanced.json()).toEqual({ now: '2026-03-12T09:00:00.000Z' });
    expect(fx.clock.now() - Date.now()).toBe(10 * 86_400_000);

    const byVirtualClock = await fx.deliver({ id: 'd-virtual', event: 'thing.happened', data: { id: 'T-1' } }, { timestamp: seconds(fx.clock.now()) });
    expect(byVirtualClock.status).toBe(202);
    const byWallClock = await fx.deliver({ id: 'd-wall', event: 'thing.happened', data: { id: 'T-2' } }, { timestamp: seconds(Date.now()) });
    expect(byWallClock.status).toBe(202);
    expect(await byWallClock.json()).toMatchObject({ delivery_id: 'd-wall', duplicate: false, run_ids: [expect.any(String)] });

    // Outside mock mode the same ten days make a wall-clock signature stale.
    const served = await appFixture();
    try {
      served.clock.advance(10 * 86_400_000);
      const stale = await served.deliver({ id: 'd-wall', event: 'thing.happened', data: { id: 'T-2' } }, { timestamp: seconds(Date.now()) });
      expect(stale.status).toBe(401);
      expect(await stale.json()).toMatchObject({ error: expect.stringContaining('more than 5 minutes away from the server clock') });
      expect(await served.store.listRuns({ limit: 10 })).toEqual([]);
      const current = await served.deliver({ id: 'd-virtual', event: 'thing.happened', data: { id: 'T-1' } }, { timestamp: seconds(served.clock.now()) });
      expect(current.status).toBe(202);
    } finally {
      await served.close();
    }
  });
});
