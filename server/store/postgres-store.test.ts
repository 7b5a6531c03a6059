import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import { asRunId, asStepKey } from '../engine/ids.ts';
import { describeStoreContract } from './store.contract.ts';
import { describeBusinessTimersReplicas } from './business-timers.contract.ts';
import { describeTellOnChangeReplicas } from './told-changes.contract.ts';
import { describeRateBudgetReplicas } from './rate-budgets.contract.ts';
import { openPostgresStore, redactDatabaseUrl } from './postgres-store.ts';
import { postgresMigrations } from './postgres-migrations.ts';
import { sqliteMigrations } from './sqlite-migrations.ts';
import type { NewRun } from './store.ts';
import { createFreshDatabase, createTestSchema, dropFreshDatabase, dropTestSchema, openTestPostgresStore, testPostgresUrl } from '../../test/support/test-postgres.ts';
import { freePort } from '../../test/support/free-port.ts';

describeStoreContract('PostgreSQL', () => openTestPostgresStore());
describeBusinessTimersReplicas('two PostgreSQL stores on one database', async () => {
  const url = await createTestSchema();
  const first = await openPostgresStore({ url, poolSize: 4 });
  return [first, await openPostgresStore({ url, poolSize: 4 })];
});
describeTellOnChangeReplicas('two PostgreSQL stores (two pools) on one database', async () => {
  const url = await createTestSchema();
  const first = await openPostgresStore({ url, poolSize: 4 });
  return [first, await openPostgresStore({ url, poolSize: 4 })];
});
describeRateBudgetReplicas('three PostgreSQL stores (three pools) on one database', async () => {
  const url = await createTestSchema();
  return [await openPostgresStore({ url, poolSize: 4 }), await openPostgresStore({ url, poolSize: 4 }), await openPostgresStore({ url, poolSize: 4 })];
});

const T0 = Date.parse('2026-03-02T09:00:00Z');

describe('PostgreSQL migrations', () => {
  it('has a twin of every SQLite migration, under the same name: a SQLite migration without one fails here', async () => {
    const sqlite = Object.keys(await sqliteMigrations.getMigrations()).sort();
    const postgres = Object.keys(await postgresMigrations.getMigrations()).sort();
    expect(postgres).toEqual(sqlite);
  });

  it('three replicas opening a fresh database at the same moment migrate it exactly once, and all three work on it', async () => {
    const url = await createFreshDatabase();
    const applied: string[][] = [];
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore({ url, poolSize: 2, onMigrated: (names) => applied.push(names) })));
    try {
      const all = Object.keys(await postgresMigrations.getMigrations()).sort();
      // Each migration was applied by one of the three; the others found it done.
      expect(applied.flat().sort()).toEqual(all);
      const migrated = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(stores[0]!.db);
      expect(migrated.rows.map((r) => r.name)).toEqual(all);
      // Each replica ingests a delivery; each sees the others' runs.
      await Promise.all(
        stores.map((store, i) =>
          store.ingest({ source: 'prm', deliveryId: `d${i}`, event: 'prm.x', receivedAt: T0, eventHash: 'h' }, [
            { id: asRunId(`run_${i}`), recipe: 'r', recipeVersion: 1, recipeHash: 'h', trigger: { type: 'webhook', receivedAt: T0, data: {} }, dedupKey: `k${i}`, correlationKey: null, cancelOnEvent: null, wakeAt: T0, createdAt: T0 },
          ]),
        ),
      );
      for (const store of stores) expect((await store.listRuns({ limit: 10 })).map((r) => r.id)).toEqual(['run_2', 'run_1', 'run_0']);
    } finally {
      for (const store of stores) await store.close();
      await dropFreshDatabase(url);
    }
  });
});

describe('PostgreSQL store: opening', () => {
  it('a wrong password is refused with the URL shown, its password never', async () => {
    const url = new URL(testPostgresUrl());
    url.password = 'not-the-Secret-42';
    const error = await openPostgresStore({ url: url.toString() }).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'PostgresStoreError' });
    const message = (error as Error).message;
    expect(message).toContain(`cannot connect to postgres://postgres:***@${url.host}/postgres`);
    expect(message).toContain('password authentication failed');
    expect(message).not.toContain('not-the-Secret-42');
  });

  it('a password given as a query parameter (libpq\'s `?password=`, `sslpassword`) is shown as *** in the error, never as given', async () => {
    const url = new URL(testPostgresUrl());
    url.password = '';
    url.search = '?sslmode=disable&password=Secret-In-Query-9&sslpassword=Key-Pass-In-Query-7';
    const error = await openPostgresStore({ url: url.toString() }).catch((e: Error) => e);
    const message = (error as Error).message;
    expect(message).toContain(`cannot connect to postgres://postgres@${url.host}/postgres?sslmode=disable&password=***&sslpassword=***: `);
    expect(message).toContain('password authentication failed');
    expect(message).not.toContain('Secret-In-Query-9');
    expect(message).not.toContain('Key-Pass-In-Query-7');
    expect(redactDatabaseUrl('postgres://app@db/pf?password=Secret-In-Query-9')).toBe('postgres://app@db/pf?password=***');
    // The other parameters are shown as written; an encoded name is still recognised.
    expect(redactDatabaseUrl('postgresql://app:pw@db/pf?options=-c%20search_path%3Dx&PassWord=a%20b&sslmode=require')).toBe('postgresql://app:***@db/pf?options=-c%20search_path%3Dx&PassWord=***&sslmode=require');
  });

  it('a server that is not there is a clear error, not a hang', async () => {
    const port = await freePort();
    const error = await openPostgresStore({ url: `postgres://partnerflow:s3cret-pass@127.0.0.1:${port}/partnerflow` }).catch((e: Error) => e);
    expect((error as Error).message).toBe(`cannot connect to postgres://partnerflow:***@127.0.0.1:${port}/partnerflow: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('refuses a URL that is not a PostgreSQL URL before connecting, without echoing its password', async () => {
    await expect(openPostgresStore({ url: 'mysql://u:hunter2-pass@db/x' })).rejects.toThrow('"mysql:…" is not a PostgreSQL URL: it must start with postgres:// or postgresql://');
    // Without its scheme, `user:password@host` parses as a URL of scheme `u:`, the password in its path.
    await expect(openPostgresStore({ url: 'u:hunter2-pass@db' })).rejects.toThrow('"u:…" is not a PostgreSQL URL');
    await expect(openPostgresStore({ url: 'hunter2 pass' })).rejects.toThrow('"…" is not a URL (expected postgres://user:password@host:5432/database)');
    await expect(openPostgresStore({ url: 'postgres:///partnerflow' })).rejects.toThrow('"postgres:///partnerflow" names no host');
    expect(redactDatabaseUrl('postgresql://app:p%40ss@db.internal:6432/pf?sslmode=require')).toBe('postgresql://app:***@db.internal:6432/pf?sslmode=require');
  });

  it('cancels a statement that runs longer than the statement timeout', async () => {
    const store = await openTestPostgresStore({ statementTimeoutMs: 200 });
    try {
      await expect(sql`select pg_sleep(3)`.execute(store.db)).rejects.toThrow('canceling statement due to statement timeout');
      // The pool goes on serving.
      await store.ping();
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL store: claims across replicas', () => {
  it('a replica claims past the runs another replica is claiming (FOR UPDATE SKIP LOCKED) instead of waiting for them', async () => {
    const store = await openTestPostgresStore();
    const other = new pg.Client(store.url);
    try {
      for (let i = 1; i <= 4; i++) {
        await store.createRun({ id: asRunId(`run_${i}`), recipe: 'r', recipeVersion: 1, recipeHash: 'h', trigger: { type: 'webhook', receivedAt: T0, data: {} }, dedupKey: `k${i}`, correlationKey: null, cancelOnEvent: null, wakeAt: T0 + i, createdAt: T0 });
      }
      // Another replica's claim is under way: it has locked the two runs due first and not committed.
      await other.connect();
      await other.query('begin');
      await other.query(`select id from runs where id in ('run_1', 'run_2') for update`);
      const claimed = await store.claimDueRuns({ now: T0 + 10, owner: 'replica-b~1', leaseMs: 60_000, limit: 4 });
      expect(claimed.map((r) => r.id)).toEqual(['run_3', 'run_4']);
      // That replica's claim ends without taking them (it rolled back): they are claimable again.
      await other.query('rollback');
      expect((await store.claimDueRuns({ now: T0 + 10, owner: 'replica-b~2', leaseMs: 60_000, limit: 4 })).map((r) => r.id)).toEqual(['run_1', 'run_2']);
    } finally {
      await other.end();
      await store.close();
    }
  });
});

/** A run of recipe `r` numbered `n`, stored at T0; `more` sets its wake time, lease, keys. */
function testRun(n: number, more: Partial<NewRun> & { wakeAt: number }): NewRun {
  return {
    id: asRunId(`run_${n}`),
    recipe: 'r',
    recipeVersion: 1,
    recipeHash: 'h',
    trigger: { type: 'webhook', receivedAt: T0, data: {} },
    dedupKey: `k${n}`,
    correlationKey: null,
    cancelOnEvent: null,
    createdAt: T0,
    ...more,
  };
}

describe('PostgreSQL store: what the wake notifications tell the other replicas', () => {

  it('a run stored due and free, or a turn that waits, is announced at its wake time; a run leased at intake and a finished one are not', async () => {
    const store = await openTestPostgresStore();
    const heard: Array<number | null> = [];
    const subscription = store.listenForWakeups!((at) => heard.push(at));
    await subscription.ready;
    const next = async (): Promise<number | null> => {
      await expect.poll(() => heard.length, { timeout: 5_000 }).toBeGreaterThan(0);
      return heard.shift()!;
    };
    try {
      // Leased at intake (started by the replica that stored it), then finished: no news for anyone.
      await store.ingest({ source: 'prm', deliveryId: 'd1', event: 'prm.x', receivedAt: T0, eventHash: 'h' }, [testRun(1, { wakeAt: T0, lease: { owner: 'replica-a~1', until: T0 + 60_000 } })]);
      expect(await store.finishTurn(asRunId('run_1'), 'replica-a~1', { status: 'completed', wakeAt: null, now: T0 + 1 })).toBe(true);
      // Stored free (no intake lease): due at T0 + 2, for any replica to claim. Notifications come in
      // commit order, so the first one heard is this one.
      await store.ingest({ source: 'prm', deliveryId: 'd2', event: 'prm.x', receivedAt: T0, eventHash: 'h' }, [testRun(2, { wakeAt: T0 + 2 })]);
      expect(await next()).toBe(T0 + 2);
      // Several free runs in one group commit: the earliest of them is heard (the other may be too).
      await Promise.all([
        store.ingest({ source: 'prm', deliveryId: 'd3', event: 'prm.x', receivedAt: T0, eventHash: 'h' }, [testRun(3, { wakeAt: T0 + 9 })]),
        store.ingest({ source: 'prm', deliveryId: 'd4', event: 'prm.x', receivedAt: T0, eventHash: 'h' }, [testRun(4, { wakeAt: T0 + 7 })]),
      ]);
      // A claim is no news; the claimed run's turn ends waiting a minute: announced at that time.
      const [claimed] = await store.claimDueRuns({ now: T0 + 2, owner: 'replica-b~1', leaseMs: 60_000, limit: 1 });
      expect(claimed!.id).toBe('run_2');
      expect(await store.finishTurn(asRunId('run_2'), 'replica-b~1', { status: 'waiting', wakeAt: T0 + 60_000, now: T0 + 3 })).toBe(true);
      await expect.poll(() => heard.at(-1), { timeout: 5_000 }).toBe(T0 + 60_000);
      expect(Math.min(...(heard as number[]))).toBe(T0 + 7);
      expect(heard.filter((at) => at !== T0 + 7 && at !== T0 + 9)).toEqual([T0 + 60_000]);
    } finally {
      await subscription.close();
      await store.close();
    }
  });
});

describe('PostgreSQL store: the events a delivery can cancel on or answer', () => {
  const run = (n: number, cancelOnEvent: string | null) => testRun(n, { correlationKey: 'MDF-7', cancelOnEvent, wakeAt: T0 });

  it('a run stored by another replica to cancel on an event, and a wait for an event, are found; an event nothing awaits finds none (D12)', async () => {
    const url = await createTestSchema();
    const [a, b] = [await openPostgresStore({ url, poolSize: 2 }), await openPostgresStore({ url, poolSize: 2 })];
    try {
      expect(await b.findRunsToCancel('prm.mdf_request.canceled', 'MDF-7')).toEqual([]);
      await a.ingest({ source: 'prm', deliveryId: 'd1', event: 'prm.mdf_request.submitted', receivedAt: T0, eventHash: 'h' }, [run(1, 'prm.mdf_request.canceled')]);
      expect(await b.findRunsToCancel('prm.mdf_request.canceled', 'MDF-7')).toEqual(['run_1']);
      // The same event for another key, and another event for the key: nothing.
      expect(await b.findRunsToCancel('prm.mdf_request.canceled', 'MDF-8')).toEqual([]);
      expect(await b.findRunsToCancel('prm.mdf_request.approved', 'MDF-7')).toEqual([]);
      await a.ingest({ source: 'prm', deliveryId: 'd2', event: 'prm.mdf_request.submitted', receivedAt: T0, eventHash: 'h' }, [run(2, null)]);
      const [claimed] = await a.claimDueRuns({ now: T0, owner: 'replica-a~1', leaseMs: 60_000, limit: 1 });
      expect(claimed!.id).toBe('run_1');
      const [second] = await a.claimDueRuns({ now: T0, owner: 'replica-a~2', leaseMs: 60_000, limit: 1 });
      expect(await b.findWaitingForEvent('prm.claim.paid', 'MDF-7')).toEqual([]);
      expect(
        await a.finishTurn(second!.id, 'replica-a~2', {
          status: 'waiting',
          wakeAt: T0 + 86_400_000,
          now: T0 + 1,
          journal: [{ runId: second!.id, stepKey: asStepKey('paid'), stepId: 'paid', stepType: 'wait_for', status: 'waiting', input: null, output: null, error: null, attempts: 1, startedAt: T0 + 1, finishedAt: null, nextAttemptAt: null, wait: { kind: 'event', event: 'prm.claim.paid', key: 'MDF-7', deadline: T0 + 86_400_000 }, notes: [] }],
        }),
      ).toBe(true);
      expect(await b.findWaitingForEvent('prm.claim.paid', 'MDF-7')).toEqual([{ runId: 'run_2', stepKey: 'paid' }]);
    } finally {
      await a.close();
      await b.close();
      await dropTestSchema(url);
    }
  });

  it('runs and waits stored before the upgrade that keeps the awaited events (0015) are still canceled and answered after it', async () => {
    const url = await createTestSchema();
    const schema = new URL(url).searchParams.get('options')!.replace('-c search_path=', '');
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
    try {
      const before = await new Migrator({ db, provider: postgresMigrations, migrationTableSchema: schema }).migrateTo('0014_announce_due_runs');
      expect(before.error).toBeUndefined();
      await sql`insert into runs (id, recipe, recipe_version, recipe_hash, trigger, dedup_key, correlation_key, cancel_on_event, status, wake_at, created_at, updated_at)
        values ('run_1', 'r', 1, 'h', '{}', 'k1', 'MDF-7', 'prm.mdf_request.canceled', 'waiting', null, ${T0}, ${T0}),
               ('run_2', 'r', 1, 'h', '{}', 'k2', 'MDF-7', null, 'waiting', null, ${T0}, ${T0})`.execute(db);
      await sql`insert into journal (run_id, step_key, step_id, step_type, status, attempts, started_at, notes, wait_event, wait_key)
        values ('run_2', 'paid', 'paid', 'wait_for', 'waiting', 1, ${T0}, '[]', 'prm.claim.paid', 'MDF-7')`.execute(db);
    } finally {
      await db.destroy();
    }
    const store = await openPostgresStore({ url, poolSize: 2 });
    try {
      expect(await store.findRunsToCancel('prm.mdf_request.canceled', 'MDF-7')).toEqual(['run_1']);
      expect(await store.findWaitingForEvent('prm.claim.paid', 'MDF-7')).toEqual([{ runId: 'run_2', stepKey: 'paid' }]);
    } finally {
      await store.close();
      await dropTestSchema(url);
    }
  });
});
