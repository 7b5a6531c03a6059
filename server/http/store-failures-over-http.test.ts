import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { MOCK_APPROVAL_LINK_SECRET } from '../../connectors/approval/approval-token.ts';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { engineFixture, recipeWith, silentLog } from '../../test/support/engine-fixture.ts';
import { startPostgresRelay, type PostgresRelay } from '../../test/support/postgres-relay.ts';
import { createTestSchema, dropTestSchema } from '../../test/support/test-postgres.ts';
import { until } from '../../test/support/until.ts';
import { openPostgresStore } from '../store/postgres-store.ts';
import type { Store } from '../store/store.ts';
import type { RunId } from '../engine/ids.ts';
import { approvalLinkFor, approvalRecipe, testConfig, WEBHOOK_SECRET } from './app-fixture.ts';
import { createApp } from './app.ts';
import { signWebhook } from './webhook-signature.ts';

/**
 * What senders and operators see when PostgreSQL is there but cannot serve: a network partition, a
 * statement stuck behind a lock until the statement timeout, a commit whose answer was lost. Every
 * request is answered 503 with Retry-After within about one timeout (never one timeout per delivery of
 * a group commit, one after the other), logged without a stack (the webhooks' refusals once per
 * outage, outage.ts; other requests at warn, at most a line a minute: store-refusal-log.ts), and every delivery the sender repeats
 * afterwards has its run exactly once (D7: each submission gets its one confirmation run).
 */

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  cleanups = [];
});

interface Logged {
  level: 'warn' | 'error';
  message: string;
  fields: unknown;
}

async function runtimeOnRelay(options: { statementTimeoutMs?: number; steps?: Parameters<typeof recipeWith>[0]; leaseMs?: number } = {}) {
  const url = await createTestSchema();
  cleanups.push(() => dropTestSchema(url));
  const relay: PostgresRelay = await startPostgresRelay(url);
  cleanups.push(() => relay.close());
  const store = await openPostgresStore({ url: relay.url, poolSize: 3, ...(options.statementTimeoutMs ? { statementTimeoutMs: options.statementTimeoutMs } : {}) });
  const logged: Logged[] = [];
  const log: Logger = { ...silentLog, warn: (fields, message) => void logged.push({ level: 'warn', message: message ?? '', fields }), error: (fields, message) => void logged.push({ level: 'error', message: message ?? '', fields }) };
  const fx = await engineFixture([recipeWith(options.steps ?? [{ id: 'note', type: 'action', action: 'fake.record', input: { key: 'x' } }])], {
    store,
    workerId: 'w1',
    log,
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
  });
  cleanups.push(async () => {
    relay.mode = 'pass';
    await fx.close();
  });
  const app = createApp({ engine: fx.engine, config: testConfig({ workerId: 'w1' }), log, approvalLinks: { linkSecret: MOCK_APPROVAL_LINK_SECRET, timezone: 'Europe/Berlin' } });
  const deliver = async (id: string) => {
    const text = JSON.stringify({ id, event: 'thing.happened', data: { id } });
    const started = Date.now();
    const res = await app.request('/webhooks/fake', { method: 'POST', headers: { 'content-type': 'application/json', ...signWebhook(WEBHOOK_SECRET, text, Math.floor(fx.clock.now() / 1000)) }, body: text });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown>, ms: Date.now() - started };
  };
  return { url, relay, fx, app, deliver, logged };
}

/** The runs each delivery id started, as the runs API lists them. */
async function runsByDelivery(store: Store): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const run of await store.listRuns({ limit: 1000 })) {
    const id = (run.trigger as { deliveryId?: string }).deliveryId ?? '?';
    out.set(id, [...(out.get(id) ?? []), run.id]);
  }
  return out;
}

/** The sender delivers again until it gets its 202, as a sender told Retry-After does. */
async function deliveredAgain(deliver: (id: string) => Promise<{ status: number; body: Record<string, unknown> }>, id: string) {
  return until(`${id} to be accepted`, async () => {
    const res = await deliver(id);
    return res.status === 202 ? res : undefined;
  }, 30_000);
}

function expectRetryLaterAnswers(answers: Array<{ status: number; retryAfter: string | null; body: Record<string, unknown>; ms: number }>, withinMs: number) {
  for (const a of answers) {
    expect(a.status).toBe(503);
    expect(a.retryAfter).toBe('5');
    expect(a.body.error).toMatch(/^the store is unavailable/);
  }
  expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(withinMs);
}

describe('PostgreSQL cannot serve: webhooks are refused at once, nothing is lost', () => {
  it('D7: a network partition (packets dropped): 4 concurrent webhooks each get 503 with Retry-After within about the connection timeout (10 s), not 10 s more per delivery; delivered again afterwards, each has one run', async () => {
    const { relay, fx, deliver } = await runtimeOnRelay();
    relay.mode = 'blackhole';
    relay.cut();
    const answers = await Promise.all(['p0', 'p1', 'p2', 'p3'].map(deliver));
    expectRetryLaterAnswers(answers, 15_000);

    relay.mode = 'pass';
    for (const id of ['p0', 'p1', 'p2', 'p3']) expect((await deliveredAgain(deliver, id)).status).toBe(202);
    const runs = await runsByDelivery(fx.store);
    for (const id of ['p0', 'p1', 'p2', 'p3']) expect(runs.get(id)).toHaveLength(1);
  }, 120_000);

  it('D7: a network partition on the connections already open (their packets dropped, nothing closed): webhooks get 503 with Retry-After a few seconds after the statement timeout, not when TCP gives up minutes later; delivered again afterwards, each has one run', async () => {
    const { relay, fx, deliver } = await runtimeOnRelay({ statementTimeoutMs: 1000 });
    // Connections open in the pool, as on a replica under load.
    await Promise.all(['w0', 'w1', 'w2'].map(deliver));
    relay.mode = 'blackhole';
    const answers = await Promise.all(['o0', 'o1', 'o2', 'o3'].map(deliver));
    expectRetryLaterAnswers(answers, 10_000);

    relay.mode = 'pass';
    for (const id of ['o0', 'o1', 'o2', 'o3']) expect((await deliveredAgain(deliver, id)).status).toBe(202);
    const runs = await runsByDelivery(fx.store);
    for (const id of ['w0', 'w1', 'w2', 'o0', 'o1', 'o2', 'o3']) expect(runs.get(id)).toHaveLength(1);
  }, 120_000);

  it('D7: a statement stuck behind a lock until the statement timeout (1 s): 6 concurrent webhooks each get 503 with Retry-After within about that timeout, logged as one outage (a line at error) with no stack; delivered again once the lock is gone, each has one run', async () => {
    const { url, fx, deliver, logged } = await runtimeOnRelay({ statementTimeoutMs: 1000 });
    expect((await deliver('before')).status).toBe(202);
    const locker = new pg.Client(url);
    await locker.connect();
    cleanups.push(() => locker.end());
    await locker.query('begin');
    await locker.query('lock table deliveries in access exclusive mode');

    const ids = ['t0', 't1', 't2', 't3', 't4', 't5'];
    const answers = await Promise.all(ids.map(deliver));
    expectRetryLaterAnswers(answers, 2_500);
    // Six refusals of one outage are one line (review 9, finding 4), at error, naming the statement timeout, with no stack.
    const refused = logged.filter((l) => /503/.test(l.message));
    expect(refused).toEqual([
      {
        level: 'error',
        message: 'webhook deliveries refused 503 store_unavailable: the store cannot serve; senders are told to deliver them again under the same delivery id after Retry-After',
        fields: expect.objectContaining({ source: 'fake', status: 503, reason: 'store_unavailable', deliveryId: expect.stringMatching(/^t[0-5]$/), error: expect.stringMatching(/statement timeout/) }),
      },
    ]);
    expect(logged.filter((l) => l.level === 'error')).toEqual(refused);
    expect(JSON.stringify(refused)).not.toMatch(/\n\s+at /);

    await locker.query('rollback');
    for (const id of ids) expect((await deliveredAgain(deliver, id)).status).toBe(202);
    const runs = await runsByDelivery(fx.store);
    for (const id of ['before', ...ids]) expect(runs.get(id)).toHaveLength(1);
  }, 120_000);

  it('D7: a group commit rolled back by a deadlock (40P01) is run again, each delivery in a savepoint: the others are stored (202) with the one that conflicted once; one that conflicts again gets 503 with Retry-After alone; each stored delivery has one run', async () => {
    const { url, fx, deliver } = await runtimeOnRelay();
    expect((await deliver('before')).status).toBe(202);
    const admin = new pg.Client(url);
    await admin.connect();
    cleanups.push(() => admin.end());
    // PostgreSQL's deadlock detector, as the writes see it: 'k-once' meets it at its first insert only
    // (a sequence is not rolled back with the transaction), 'k-always' at every one.
    await admin.query(`create sequence deadlock_once`);
    await admin.query(`
      create function deadlock_for_test() returns trigger language plpgsql as $$
      begin
        if new.delivery_id = 'k-always' or (new.delivery_id = 'k-once' and nextval('deadlock_once') = 1) then
          raise exception 'deadlock detected' using errcode = '40P01';
        end if;
        return new;
      end $$`);
    await admin.query(`create trigger deadlock_for_test before insert on deliveries for each row execute function deadlock_for_test()`);

    const ids = ['k0', 'k-once', 'k1', 'k-always', 'k2'];
    const answers = new Map((await Promise.all(ids.map(deliver))).map((a, i) => [ids[i]!, a]));
    for (const id of ['k0', 'k-once', 'k1', 'k2']) expect(answers.get(id)!.status).toBe(202);
    expect(answers.get('k-always')).toMatchObject({ status: 503, retryAfter: '5' });
    const runs = await runsByDelivery(fx.store);
    for (const id of ['before', 'k0', 'k-once', 'k1', 'k2']) expect(runs.get(id)).toHaveLength(1);
    expect(runs.has('k-always')).toBe(false);
  }, 60_000);

  it('the runs API and an approval click during a statement timeout get 503 with Retry-After (not 500), the first logged at warn and the click within the same minute not again (its count: requests-store-unavailable.test.ts)', async () => {
    const { url, app, deliver, logged } = await runtimeOnRelay({ statementTimeoutMs: 500 });
    expect((await deliver('before')).status).toBe(202);
    const locker = new pg.Client(url);
    await locker.connect();
    cleanups.push(() => locker.end());
    await locker.query('begin');
    await locker.query('lock table runs, approvals in access exclusive mode');

    const list = await app.request('/runs');
    expect(list.status).toBe(503);
    expect(list.headers.get('retry-after')).toBe('5');
    const click = await app.request(`/approvals/${'a'.repeat(43)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'approve' }) });
    expect(click.status).toBe(503);
    expect(click.headers.get('retry-after')).toBe('5');
    expect(logged.filter((l) => l.level === 'error')).toEqual([]);
    expect(logged.filter((l) => l.level === 'warn' && /store is unavailable/.test(l.message))).toEqual([
      expect.objectContaining({ message: 'request refused: the store is unavailable', fields: expect.objectContaining({ method: 'GET', path: '/runs' }) }),
    ]);
    await locker.query('rollback');
    expect((await app.request('/runs')).status).toBe(200);
  }, 60_000);

  it('D7: a commit whose answer was lost (the server went away after applying it): the webhooks of that commit get 503 with Retry-After, not a 202 that calls them duplicates; delivered again, each answers its one run', async () => {
    const { relay, fx, deliver } = await runtimeOnRelay();
    relay.loseNextCommitAnswer();
    const ids = ['c0', 'c1', 'c2'];
    const answers = await Promise.all(ids.map(deliver));
    expect(relay.commitsLost).toBe(1);
    expectRetryLaterAnswers(answers, 15_000);

    const stored = await runsByDelivery(fx.store);
    for (const id of ids) {
      const again = await deliveredAgain(deliver, id);
      // The commit had gone through: the repeat finds the delivery and answers its run.
      expect(again.body.duplicate).toBe(true);
      expect(again.body.run_ids).toEqual(stored.get(id));
    }
    const runs = await runsByDelivery(fx.store);
    for (const id of ids) expect(runs.get(id)).toHaveLength(1);
  }, 60_000);

  it('review 9 F7: an approval click whose commit answer was lost gets a 503 page saying the decision may have been recorded; opened again, the link shows it was', async () => {
    const { relay, fx, app, deliver } = await runtimeOnRelay({ steps: approvalRecipe.steps });
    const runId = ((await deliver('a0')).body.run_ids as string[])[0]!;
    await fx.engine.runUntilIdle();
    const link = await approvalLinkFor(fx, runId as RunId);
    relay.loseNextCommitAnswer();
    const click = await app.request(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
    expect(relay.commitsLost).toBe(1);
    expect(click.status).toBe(503);
    expect(click.headers.get('retry-after')).toBe('5');
    const page = await click.text();
    expect(page).toContain('Your decision may not have been recorded');
    expect(page).toContain('it may have been recorded, or it may not have been recorded');
    expect(page).not.toContain('NOT recorded');

    const opened = await until('the store to answer again', async () => {
      const res = await app.request(link);
      return res.status === 503 ? undefined : res;
    });
    expect(opened.status).toBe(409);
    expect(await opened.text()).toContain('It was <strong>approved</strong> by cmm@example.com');
  }, 60_000);

  it('D7: the runs a commit whose answer was lost had stored (leased at intake to this replica) start as soon as the store answers, not a lease (60 s) later', async () => {
    const { relay, fx, deliver } = await runtimeOnRelay();
    fx.engine.start();
    await until('the worker to listen for wakeups', async () => ((await deliver('warm')).status === 202 ? true : undefined));
    await until('the first run to be done', async () => (fx.system.effects.length === 1 ? true : undefined), 10_000);
    // Its effect comes before its turn's commit: the commit whose answer is lost must be the deliveries'.
    await until('the first run to be completed in the store', async () => ((await fx.store.listRuns({ limit: 10 })).every((r) => r.status === 'completed') ? true : undefined), 10_000);
    relay.loseNextCommitAnswer();
    const answers = await Promise.all(['l0', 'l1', 'l2'].map(deliver));
    expect(relay.commitsLost).toBe(1);
    // The three usually share the commit whose answer is lost; on a loaded machine one may come after it (a 202).
    const lost = answers.filter((a) => a.status !== 202);
    expect(lost.length).toBeGreaterThanOrEqual(1);
    expectRetryLaterAnswers(lost, 15_000);
    // Nobody delivers again: the runs stored are this replica's to run (the clock is virtual: no lease runs out).
    const runs = await until('the three runs to be completed', async () => {
      const stored = (await fx.store.listRuns({ limit: 100 })).filter((r) => ['l0', 'l1', 'l2'].includes((r.trigger as { deliveryId?: string }).deliveryId ?? ''));
      return stored.length === 3 && stored.every((r) => r.status === 'completed') ? stored : undefined;
    }, 10_000);
    expect(runs).toHaveLength(3);
    expect(fx.system.effects).toHaveLength(4);
  }, 60_000);
});
