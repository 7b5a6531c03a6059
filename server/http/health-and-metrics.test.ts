import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MOCK_APPROVAL_LINK_SECRET } from '../../connectors/approval/approval-token.ts';
import { engineFixture, permanentError, recipeWith, silentLog, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { VirtualClock } from '../engine/clock.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { testConfig } from './app-fixture.ts';
import { createApp } from './app.ts';

/**
 * What an operator of several replicas sees: each replica's `GET /healthz` names the store, whether it
 * answers, and the replica's worker id; its `/metrics` counts the runs it claimed and took over, and
 * how late the oldest due run is, labelled with its `PARTNERFLOW_WORKER_ID`. The replicas here are two
 * engines, each with its own store instance on one SQLite file, as two processes would be.
 */
const dir = mkdtempSync(join(tmpdir(), 'partnerflow-replicas-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
let open: EngineFixture[] = [];
afterEach(async () => {
  for (const fx of open) await fx.close();
  open = [];
});

const recipe = recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' } }]);

/** Two replicas on one SQLite file and one clock, each behind its own app. */
async function twoReplicas(): Promise<Array<EngineFixture & { app: Hono }>> {
  const path = join(dir, `replicas-${++files}.db`);
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const replicas = [];
  for (const workerId of ['replica-a', 'replica-b']) {
    const fx = await engineFixture([recipe], { store: await openSqliteStore({ path }), clock, workerId });
    open.push(fx);
    const app = createApp({ engine: fx.engine, config: testConfig({ workerId }), log: silentLog, approvalLinks: { linkSecret: MOCK_APPROVAL_LINK_SECRET, timezone: 'Europe/Berlin' } });
    replicas.push({ ...fx, app });
  }
  return replicas;
}

/** A metric's value in `/metrics` as an operator scrapes it, by its name and labels as written. */
async function metric(app: Hono, series: string): Promise<number | undefined> {
  const text = await (await app.request('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /healthz and /metrics of replicas (issue 14)', () => {
  it('/healthz names the store, says it is reachable, and names the replica; 503 with reachable false when the store does not answer', async () => {
    const [a, b] = await twoReplicas();
    const ok = await a!.app.request('/healthz');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ok', store: 'sqlite', store_reachable: true, worker_id: 'replica-a' });
    await b!.store.close();
    b!.close = async () => {};
    const down = await b!.app.request('/healthz');
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'unavailable', store: 'sqlite', store_reachable: false, worker_id: 'replica-b', error: 'the store does not answer' });
    // The other replica still serves.
    expect((await a!.app.request('/healthz')).status).toBe(200);
  });

  it('a run whose lease lapsed, taken over by the second replica, counts 1 takeover there; each replica counts its own claims; both see the oldest due run', async () => {
    const [a, b] = await twoReplicas();
    for (const id of ['T-1', 'T-2']) await a!.engine.deliver({ source: 'fake', deliveryId: id, event: 'thing.happened', data: { id } });
    await a!.engine.runUntilIdle();
    // A third run is claimed by a process of replica-a that dies mid-turn: its lease is left to lapse.
    const { runIds } = await a!.engine.deliver({ source: 'fake', deliveryId: 'T-3', event: 'thing.happened', data: { id: 'T-3' } });
    const [stalled] = await a!.store.claimDueRuns({ now: a!.clock.now(), owner: 'replica-a~stalled', leaseMs: 60_000, limit: 1 });
    expect(stalled!.id).toBe(runIds[0]);
    expect(await metric(a!.app, 'partnerflow_runs_claimed_total{worker="replica-a"}')).toBe(2);
    expect(await metric(b!.app, 'partnerflow_runs_claimed_total{worker="replica-b"}')).toBe(0);
    expect(await metric(b!.app, 'partnerflow_lease_takeovers_total{worker="replica-b"}')).toBe(0);

    a!.clock.advance(90_000);
    // The lapsed run is due again and has waited 90 s since it was made due: both replicas see it.
    expect(await metric(a!.app, 'partnerflow_due_backlog_oldest_age_seconds{worker="replica-a"}')).toBe(90);
    expect(await metric(b!.app, 'partnerflow_due_backlog_oldest_age_seconds{worker="replica-b"}')).toBe(90);
    await b!.engine.runUntilIdle();
    expect(b!.system.effects.map((e) => e.key)).toEqual(['T-3']);
    expect(await metric(b!.app, 'partnerflow_runs_claimed_total{worker="replica-b"}')).toBe(1);
    expect(await metric(b!.app, 'partnerflow_lease_takeovers_total{worker="replica-b"}')).toBe(1);
    expect(await metric(a!.app, 'partnerflow_lease_takeovers_total{worker="replica-a"}')).toBe(0);
    expect(await metric(b!.app, 'partnerflow_due_backlog_oldest_age_seconds{worker="replica-b"}')).toBe(0);
  });

  it('a run freed by its replica restarting is no takeover', async () => {
    const [a] = await twoReplicas();
    await a!.engine.deliver({ source: 'fake', deliveryId: 'T-1', event: 'thing.happened', data: { id: 'T-1' } });
    await a!.store.claimDueRuns({ now: a!.clock.now(), owner: 'replica-a~before-restart', leaseMs: 60_000, limit: 1 });
    // Restarted with the same worker id, replica-a frees its previous incarnation's leases and resumes the run.
    await a!.store.releaseLeases('replica-a', a!.clock.now());
    await a!.engine.runUntilIdle();
    expect(await metric(a!.app, 'partnerflow_runs_claimed_total{worker="replica-a"}')).toBe(1);
    expect(await metric(a!.app, 'partnerflow_lease_takeovers_total{worker="replica-a"}')).toBe(0);
  });
});

describe('/metrics: what ops alert on (review 5, 8)', () => {
  /** The sample lines of a scrape (no comments). */
  const samples = async (app: Hono) => (await (await app.request('/metrics')).text()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));

  it("shows the counters ops alert on at 0 from the start, so that Prometheus's increase() sees the first refusal or failed run after a start (review 9, finding 2)", async () => {
    const [a] = await twoReplicas();
    const seen = await samples(a!.app);
    expect(seen.filter((l) => l.startsWith('partnerflow_webhooks_refused_total')).sort()).toEqual(
      ['age', 'backlog', 'content_type', 'delivery_id_reused', 'invalid', 'signature', 'store_unavailable', 'too_large', 'unknown_source'].map((reason) => `partnerflow_webhooks_refused_total{reason="${reason}",worker="replica-a"} 0`),
    );
    expect(seen).toContain('partnerflow_runs_finished_total{recipe="test-recipe",status="failed",worker="replica-a"} 0');
    expect(seen).toContain('partnerflow_unclean_start_time_seconds{worker="replica-a"} 0');

    const refused = await a!.app.request('/webhooks/fake', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'not json' });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect((await samples(a!.app)).filter((l) => l.startsWith('partnerflow_webhooks_refused_total') && !l.endsWith(' 0'))).toHaveLength(1);
  });

  it('counts finished runs per recipe and status, shows the runs failed now per recipe and the emails waiting for an operator, and every series names its replica', async () => {
    const [a, b] = await twoReplicas();
    a!.system.failNext('record', permanentError('the PRM said no'));
    const { runIds } = await a!.engine.deliver({ source: 'fake', deliveryId: 'T-1', event: 'thing.happened', data: { id: 'T-1' } });
    await a!.engine.runUntilIdle();
    await a!.engine.deliver({ source: 'fake', deliveryId: 'T-2', event: 'thing.happened', data: { id: 'T-2' } });
    await a!.engine.runUntilIdle();
    // An SMTP send cut off mid-data: the outbox waits for an operator's resend or mark-sent.
    await a!.store.enqueueOutbox({ key: `${runIds[0]}:tell`, runId: runIds[0]!, message: { from: 'mdf@vendor.test', to: ['p@partner.test'], subject: 'Hello', text: 'Hi', html: '<p>Hi</p>' }, createdAt: a!.clock.now() });
    await a!.store.updateOutbox(`${runIds[0]}:tell`, { status: 'failed', lastError: 'needs an operator’s decision: cut off while sending' });

    const seenByA = await samples(a!.app);
    expect(seenByA).toContain('partnerflow_runs_finished_total{recipe="test-recipe",status="failed",worker="replica-a"} 1');
    expect(seenByA).toContain('partnerflow_runs_finished_total{recipe="test-recipe",status="completed",worker="replica-a"} 1');
    expect(seenByA).toContain('partnerflow_runs_failed{recipe="test-recipe",worker="replica-a"} 1');
    expect(seenByA).toContain('partnerflow_outbox_awaiting_decision{worker="replica-a"} 1');
    expect(seenByA).toContain('partnerflow_deliveries_total{worker="replica-a"} 2');
    expect(seenByA).toContain('partnerflow_due_backlog_runs{worker="replica-a"} 0');
    // Every series carries the replica's worker id, the store's figures too.
    expect(seenByA.filter((l) => !l.includes('worker="replica-a"'))).toEqual([]);
    // The store's figures are the same on every replica (each reports them under its own worker id); its own counters are its own.
    const seenByB = await samples(b!.app);
    expect(seenByB).toContain('partnerflow_runs_failed{recipe="test-recipe",worker="replica-b"} 1');
    expect(seenByB).toContain('partnerflow_outbox_awaiting_decision{worker="replica-b"} 1');
    expect(seenByB.filter((l) => l.startsWith('partnerflow_runs_finished_total'))).toEqual([
      'partnerflow_runs_finished_total{recipe="test-recipe",status="completed",worker="replica-b"} 0',
      'partnerflow_runs_finished_total{recipe="test-recipe",status="failed",worker="replica-b"} 0',
      'partnerflow_runs_finished_total{recipe="test-recipe",status="canceled",worker="replica-b"} 0',
    ]);

    // The operator decides on the email (its run is retried and completes): nothing is left waiting or failed.
    const decided = await a!.app.request(`/outbox/${encodeURIComponent(`${runIds[0]}:tell`)}/mark-sent`, { method: 'POST' });
    expect(decided.status).toBe(200);
    await a!.engine.runUntilIdle();
    const after = await samples(a!.app);
    expect(after).toContain('partnerflow_outbox_awaiting_decision{worker="replica-a"} 0');
    expect(after.filter((l) => l.startsWith('partnerflow_runs_failed'))).toEqual([]);
    expect(after).toContain('partnerflow_runs_finished_total{recipe="test-recipe",status="completed",worker="replica-a"} 2');
  });
});

/**
 * Review 9, finding 4: a load balancer probes /healthz every few seconds, and each probe that found the
 * store away was a warn line: an hour's outage was thousands of lines per replica. The store here stops
 * answering its ping for ten minutes of the test's clock, probed every 5 s.
 */
describe('/healthz while the store is away (review 9, finding 4)', () => {
  it('logs the outage once when it starts, a reminder a minute with how many checks failed and for how long, and once when the store answers again; not a line per probe', async () => {
    const fx = await engineFixture([recipe], { workerId: 'replica-a' });
    open.push(fx);
    let down = false;
    const ping = fx.store.ping.bind(fx.store);
    fx.store.ping = () => (down ? Promise.reject(new Error('the store is unavailable: connect ECONNREFUSED 10.0.0.5:5432')) : ping());
    const lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
    const at = (level: string) => (fields: object, message?: string) => void lines.push({ level, message: message ?? '', fields: fields as Record<string, unknown> });
    let now = 0;
    const app = createApp({
      engine: fx.engine,
      config: testConfig({ workerId: 'replica-a' }),
      log: { ...silentLog, info: at('info'), warn: at('warn'), error: at('error') },
      realNow: () => now,
      approvalLinks: { linkSecret: MOCK_APPROVAL_LINK_SECRET, timezone: 'Europe/Berlin' },
    });
    expect((await app.request('/healthz')).status).toBe(200);
    down = true;
    for (; now < 600_000; now += 5_000) expect((await app.request('/healthz', { headers: { 'x-request-id': `probe-${now}` } })).status).toBe(503);
    down = false;
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/healthz')).status).toBe(200);

    const error = 'the store is unavailable: connect ECONNREFUSED 10.0.0.5:5432';
    expect(lines[0]).toEqual({ level: 'error', message: 'health check: the store does not answer; /healthz answers 503 until it does', fields: { requestId: 'probe-0', error } });
    // 120 failed checks: a reminder at 1, 2 … 9 minutes, none closer together.
    expect(lines.slice(1, -1)).toEqual(
      Array.from({ length: 9 }, (_, i) => ({
        level: 'warn',
        message: 'health check: the store still does not answer; /healthz answers 503',
        fields: { requestId: `probe-${(i + 1) * 60_000}`, error, failures: (i + 1) * 12 + 1, forMs: (i + 1) * 60_000 },
      })),
    );
    expect(lines.at(-1)).toEqual({ level: 'info', message: 'health check: the store answers again after 120 failed health checks', fields: { failures: 120, forMs: 600_000 } });
    expect(lines).toHaveLength(11);
  });
});
