import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { MOCK_APPROVAL_LINK_SECRET } from '../../connectors/approval/approval-token.ts';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { engineFixture, recipeWith, silentLog } from '../../test/support/engine-fixture.ts';
import { createTestSchema, dropTestSchema } from '../../test/support/test-postgres.ts';
import { until } from '../../test/support/until.ts';
import { openPostgresStore } from '../store/postgres-store.ts';
import type { Store } from '../store/store.ts';
import { testConfig, WEBHOOK_SECRET } from './app-fixture.ts';
import { createApp } from './app.ts';
import { signWebhook } from './webhook-signature.ts';

/**
 * PostgreSQL refusing for a reason that passes, on the real server rather than a synthesized driver
 * error (store-unavailable.test.ts): 53300, too many connections (the server's max_connections or a
 * role's CONNECTION LIMIT reached, e.g. by other replicas or a runaway client), and 55P03, lock not
 * available (a `lock_timeout` ops set on the role or database, met behind a lock someone holds). A
 * webhook is refused 503 with Retry-After, nothing stored, and the same delivery is stored once, after.
 */

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  cleanups = [];
});

/** A runtime on `url` (pool of 2), its webhook sender, and its warn and error lines (a store outage starts at error). */
async function runtimeOn(url: string) {
  const warnings: string[] = [];
  const at = (level: string) => (fields: object, message?: string) => void warnings.push(`${level}: ${message} ${JSON.stringify(fields)}`);
  const log: Logger = { ...silentLog, warn: at('warn'), error: at('error') };
  const fx = await engineFixture([recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: 'x' } }])], {
    store: await openPostgresStore({ url, poolSize: 2 }),
    workerId: 'w1',
    log,
  });
  cleanups.push(() => fx.close());
  const app = createApp({ engine: fx.engine, config: testConfig({ workerId: 'w1' }), log, approvalLinks: { linkSecret: MOCK_APPROVAL_LINK_SECRET, timezone: 'Europe/Berlin' } });
  const deliver = async (id: string) => {
    const text = JSON.stringify({ id, event: 'thing.happened', data: { id } });
    const res = await app.request('/webhooks/fake', { method: 'POST', headers: { 'content-type': 'application/json', ...signWebhook(WEBHOOK_SECRET, text, Math.floor(fx.clock.now() / 1000)) }, body: text });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
  };
  return { fx, deliver, warnings };
}

/** The delivery ids of the stored runs, sorted. */
async function deliveriesWithRuns(store: Store): Promise<string[]> {
  return (await store.listRuns({ limit: 100 })).map((r) => (r.trigger as { deliveryId?: string }).deliveryId ?? '?').sort();
}

/** The sender delivers again until it gets its 202, as a sender told Retry-After does. */
async function deliveredAgain(deliver: (id: string) => Promise<{ status: number; body: Record<string, unknown> }>, id: string) {
  const res = await until(`${id} to be accepted`, async () => {
    const again = await deliver(id);
    return again.status === 202 ? again : undefined;
  }, 30_000);
  expect(res.body).toMatchObject({ delivery_id: id, duplicate: false });
}

function expectRefusedForLater(answers: Array<{ status: number; retryAfter: string | null; body: Record<string, unknown> }>): void {
  for (const a of answers) {
    expect(a.status).toBe(503);
    expect(a.retryAfter).toBe('5');
    expect(a.body.error).toMatch(/^the store is unavailable/);
  }
}

describe('PostgreSQL answers 53300 (too many connections) on the real server', () => {
  it('D7: webhooks get 503 with Retry-After while the runtime’s role is at its connection limit, logged with the SQLSTATE; delivered again once the limit is lifted, each has one run', async () => {
    const url = await createTestSchema();
    const schema = new URL(url).searchParams.get('options')!.replace('-c search_path=', '');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const role = `pf_limited_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await admin.query(`create role ${role} login password '${password}'`);
    await admin.query(`alter schema ${schema} owner to ${role}`);
    cleanups.push(async () => {
      await dropTestSchema(url);
      await admin.query(`drop role if exists ${role}`);
      await admin.end();
    });
    const asRole = new URL(url);
    asRole.username = role;
    asRole.password = password;

    const { fx, deliver, warnings } = await runtimeOn(asRole.toString());
    expect((await deliver('before')).status).toBe(202);

    // The role may open no connection, and those it has are gone: every new one is refused with 53300.
    await admin.query(`alter role ${role} connection limit 0`);
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where usename = $1`, [role]);
    await until('the role’s connections to be gone', async () => ((await admin.query(`select count(*)::int as n from pg_stat_activity where usename = $1`, [role])).rows[0].n === 0 ? true : undefined), 10_000);
    // The pool notices its idle connections closed (their socket ends) before the next statement.
    await new Promise((r) => setTimeout(r, 300));

    const ids = ['c0', 'c1', 'c2'];
    const answers = await Promise.all(ids.map(deliver));
    expectRefusedForLater(answers);
    const refused = warnings.filter((w) => /503/.test(w));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.join('\n')).toMatch(/too many connections for role .*\(SQLSTATE 53300\)/);
    expect(refused.join('\n')).not.toContain(password);
    // Nothing was stored: only the delivery from before has a run.
    await admin.query(`alter role ${role} connection limit -1`);
    expect(await deliveriesWithRuns(fx.store)).toEqual(['before']);

    // The limit is lifted: the sender delivers again, as Retry-After told it; each delivery has one run.
    for (const id of ids) await deliveredAgain(deliver, id);
    expect(await deliveriesWithRuns(fx.store)).toEqual(['before', 'c0', 'c1', 'c2']);
  }, 60_000);
});

describe('PostgreSQL answers 55P03 (lock not available) on the real server', () => {
  it('D7: with a lock_timeout set for the runtime’s connections, webhooks stuck behind a table lock get 503 with Retry-After when it passes, logged with the SQLSTATE; delivered again once the lock is gone, each has one run', async () => {
    const url = await createTestSchema();
    cleanups.push(() => dropTestSchema(url));
    // As ops would set it on the role or database (ALTER ROLE … SET lock_timeout), here for these connections only.
    const withLockTimeout = new URL(url);
    withLockTimeout.searchParams.set('options', `${withLockTimeout.searchParams.get('options')} -c lock_timeout=300`);
    const { fx, deliver, warnings } = await runtimeOn(withLockTimeout.toString());
    expect((await deliver('before')).status).toBe(202);

    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    let locked = true;
    cleanups.push(async () => {
      if (locked) await locker.query('rollback');
      await locker.end();
    });
    await locker.query('begin');
    await locker.query('lock table deliveries in access exclusive mode');

    const ids = ['l0', 'l1', 'l2'];
    const started = Date.now();
    const answers = await Promise.all(ids.map(deliver));
    expectRefusedForLater(answers);
    // Within a few lock timeouts (a group commit conflicting may be run once more), far below the statement timeout (30 s).
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(warnings.filter((w) => /503/.test(w)).join('\n')).toMatch(/canceling statement due to lock timeout \(SQLSTATE 55P03\)/);

    await locker.query('rollback');
    locked = false;
    expect(await deliveriesWithRuns(fx.store)).toEqual(['before']);
    for (const id of ids) await deliveredAgain(deliver, id);
    expect(await deliveriesWithRuns(fx.store)).toEqual(['before', 'l0', 'l1', 'l2']);
  }, 60_000);
});
