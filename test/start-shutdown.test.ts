import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { findRecipeFiles } from '../server/find-files.ts';
import { postgresMigrations } from '../server/store/postgres-migrations.ts';
import { openPostgresStore } from '../server/store/postgres-store.ts';
import { openRuntimeProcess, type RuntimeProcess } from './support/runtime-process.ts';
import { createTestSchema, dropTestSchema } from './support/test-postgres.ts';
import { until } from './support/until.ts';

/**
 * A SIGTERM or SIGINT that reaches `serve` before it listens (README "During the start too"): while it
 * loads the recipes and tables, opens the store, waits for the migration lock of another replica, migrates
 * the schema. Each stops at its next safe point (a lock wait is abandoned, a migration under way commits
 * first), closes what it opened, logs one line naming the phase and exits 0. Before, the process ended at
 * once (Node's default), mid-migration or mid-log. The runtime as a real child process.
 */
const root = resolve(import.meta.dirname, '..');
/** Kysely's migration lock (its PostgresAdapter): the advisory lock a migrating replica holds. */
const MIGRATION_LOCK = '3853314791062309107';
/** A stopped start closes only what it opened: well within a few seconds of a child process's exit. */
const EXIT_BOUND_MS = 5000;

let rt: RuntimeProcess | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await rt?.close();
  rt = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Sends `signal`; resolves with how the process ended and how long after the signal. */
function stop(runtime: RuntimeProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const child = runtime.child!;
  const signalledAt = performance.now();
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) => {
    child.once('exit', (code, by) => {
      runtime.child = null;
      resolve({ code, signal: by, ms: Math.round(performance.now() - signalledAt) });
    });
  });
  child.kill(signal);
  return ended;
}

/** The log lines (JSON) of the process, parsed. */
function logLines(runtime: RuntimeProcess): Array<Record<string, unknown>> {
  return runtime
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The one line a start stopped by a signal logs. */
function stoppedLines(runtime: RuntimeProcess): Array<Record<string, unknown>> {
  return logLines(runtime)
    .filter((line) => String(line.msg).startsWith('stopped during the start'))
    .map(({ signal, phase, msg, migrated }) => ({ signal, phase, msg, ...(migrated !== undefined && { migrated }) }));
}

describe('a signal before serve listens (SQLite)', () => {
  // A recipe file that is a named pipe: the start reads it until the test writes the recipe, so the
  // signal reaches a start that is loading its recipes, however fast or slow the machine.
  it('while it loads its recipes: it stops once they are read, without opening the store; the log says so; exit 0', async () => {
    const runtime = (rt = await openRuntimeProcess('partnerflow-sigterm-loading-'));
    const recipesDir = join(runtime.dir, 'recipes');
    mkdirSync(recipesDir);
    const fifo = join(recipesDir, 'mdf-claim-salesforce-sync.recipe.json');
    execFileSync('mkfifo', [fifo]);
    runtime.start({ LOG_LEVEL: 'info', RECIPES_DIR: recipesDir, TABLES_DIR: join(root, 'recipes/tables'), EMAIL_TEMPLATES_DIR: join(root, 'recipes/email-templates') });
    // Opening a pipe for writing without blocking fails (ENXIO) until a reader has it open: the start is reading it.
    const writer = await until(
      'the start to read the recipe file',
      async () => {
        try {
          return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
        } catch {
          return undefined;
        }
      },
      60_000,
    );
    const ended = stop(runtime);
    await new Promise((r) => setTimeout(r, 300));
    // The read goes on to its end: the recipe is written, and the start stops at its next safe point.
    writeSync(writer, readFileSync(join(root, 'recipes/mdf-claims/mdf-claim-salesforce-sync.recipe.json')));
    closeSync(writer);
    const { code, signal, ms } = await ended;
    expect({ code, signal, withinBound: ms < EXIT_BOUND_MS }, `exited ${ms} ms after SIGTERM`).toEqual({ code: 0, signal: null, withinBound: true });
    expect(stoppedLines(runtime)).toEqual([{ signal: 'SIGTERM', phase: 'loading the recipes and tables', msg: 'stopped during the start, while loading the recipes and tables: nothing was served' }]);
    expect(runtime.stdout()).not.toContain('partnerflow ready');
    // The store was never opened: no file made.
    expect(existsSync(runtime.dbPath())).toBe(false);
  }, 90_000);
});

describe('a signal before serve listens, while it connects to PostgreSQL', () => {
  // A server that accepts the connection and never answers (a host dropping packets after the
  // handshake): the start waits for its connection timeout (10 s).
  it('the connection that then fails is not a failed start: the stop line names the phase and the error; exit 0', async () => {
    const silent = createServer(() => {});
    const sockets: Socket[] = [];
    silent.on('connection', (socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const port = (silent.address() as AddressInfo).port;
    const runtime = (rt = await openRuntimeProcess('partnerflow-sigterm-connecting-', { env: { PARTNERFLOW_DATABASE_URL: `postgres://partnerflow:not-a-secret@127.0.0.1:${port}/partnerflow`, LOG_LEVEL: 'info' } }));
    runtime.start();
    await until('the start to connect', async () => (sockets.length > 0 ? true : undefined), 20_000);
    const ended = await stop(runtime);
    expect({ code: ended.code, signal: ended.signal }).toEqual({ code: 0, signal: null });
    expect(stoppedLines(runtime)).toEqual([{ signal: 'SIGTERM', phase: 'opening the store', msg: 'stopped during the start, while opening the store: nothing was served' }]);
    const line = logLines(runtime).find((l) => String(l.msg).startsWith('stopped during the start'));
    expect(String(line?.error)).toMatch(/cannot connect|timeout/i);
    expect(runtime.stdout()).not.toContain('not-a-secret');
  }, 60_000);
});

describe('a signal before serve listens (PostgreSQL)', () => {
  /** A fresh schema and a runtime process on it; dropped after the test. */
  async function onPostgres(prefix: string): Promise<{ runtime: RuntimeProcess; url: string; query: (text: string) => Promise<pg.QueryResult> }> {
    const url = await createTestSchema();
    const admin = new pg.Client(url);
    await admin.connect();
    cleanups.push(async () => {
      await admin.end().catch(() => {});
      await dropTestSchema(url);
    });
    const runtime = (rt = await openRuntimeProcess(prefix, { env: { PARTNERFLOW_DATABASE_URL: url, PARTNERFLOW_DATABASE_POOL_SIZE: '4', LOG_LEVEL: 'info' } }));
    return { runtime, url, query: (text) => admin.query(text) };
  }

  /** A connection of the test's own, as another replica or an operator has; ended after the test. */
  async function otherConnection(url: string): Promise<pg.Client> {
    const client = new pg.Client(url);
    await client.connect();
    cleanups.push(async () => void (await client.end().catch(() => {})));
    return client;
  }

  /** The runtime's connections still open on the server (its pool, its migration connection). */
  const runtimeConnections = async (query: (text: string) => Promise<pg.QueryResult>) =>
    Number((await query(`select count(*) as n from pg_stat_activity where datname = current_database() and application_name like 'partnerflow%'`)).rows[0].n);

  /** Whether the start's migration connection waits, and for what (`advisory`: the migration lock; `relation`: a table). */
  const migrationWaitsFor = async (query: (text: string) => Promise<pg.QueryResult>, wait: string) =>
    Number((await query(`select count(*) as n from pg_stat_activity where application_name = 'partnerflow migrations' and state = 'active' and wait_event = '${wait}'`)).rows[0].n) > 0 ? true : undefined;

  const applied = async (query: (text: string) => Promise<pg.QueryResult>) => (await query('select name from kysely_migration order by name')).rows.map((r: { name: string }) => r.name);
  const allMigrations = async () => Object.keys(await postgresMigrations.getMigrations()).sort();

  it.each(['SIGTERM', 'SIGINT'] as const)('%s while it waits for another replica’s migration lock: the wait is abandoned, nothing migrated, nothing left open; exit 0; the next start migrates at once', async (sent) => {
    const { runtime, url, query } = await onPostgres('partnerflow-sigterm-lock-');
    // Another replica migrating: it holds the migration lock.
    const other = await otherConnection(url);
    await other.query(`select pg_advisory_lock(${MIGRATION_LOCK})`);
    runtime.start();
    await until('the start to wait for the migration lock', () => migrationWaitsFor(query, 'advisory'), 60_000);

    const { code, signal, ms } = await stop(runtime, sent);
    expect({ code, signal, withinBound: ms < EXIT_BOUND_MS }, `exited ${ms} ms after ${sent}`).toEqual({ code: 0, signal: null, withinBound: true });
    expect(stoppedLines(runtime)).toEqual([{ signal: sent, phase: 'waiting for the migration lock', msg: 'stopped during the start, while waiting for the migration lock: nothing was served' }]);
    expect(runtime.stdout()).not.toContain('partnerflow ready');
    // Nothing of the runtime is connected any more; no migration ran (Kysely's own tables, empty).
    await until('the runtime’s connections to be gone', async () => ((await runtimeConnections(query)) === 0 ? true : undefined), 5000);
    expect(await applied(query)).toEqual([]);
    expect((await query(`select table_name from information_schema.tables where table_schema = current_schema() order by table_name`)).rows.map((r: { table_name: string }) => r.table_name)).toEqual(['kysely_migration', 'kysely_migration_lock']);

    // The other replica done: the next start migrates at once and is ready.
    await other.query(`select pg_advisory_unlock(${MIGRATION_LOCK})`);
    runtime.start();
    await runtime.ready();
    expect(await applied(query)).toEqual(await allMigrations());
  }, 120_000);

  /** The migration a start is held in (its index build waits for a lock on the outbox), and the ones after it, applied by that start. */
  const HELD = '0027_outbox_awaiting_decision';
  const fromHeld = async () => (await allMigrations()).filter((name) => name >= HELD);

  /** A schema migrated up to the migration before HELD, and a table lock that holds HELD once the start runs it. */
  async function lastMigrationHeld(url: string): Promise<{ release(): Promise<void> }> {
    const schema = new URL(url).searchParams.get('options')!.replace('-c search_path=', '');
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
    try {
      const before = (await allMigrations()).filter((name) => name < HELD).at(-1)!;
      expect((await new Migrator({ db, provider: postgresMigrations, migrationTableSchema: schema }).migrateTo(before)).error).toBeUndefined();
    } finally {
      await db.destroy();
    }
    // An operator's transaction holds the outbox: HELD's index build waits for it, inside the migration's transaction.
    const operator = await otherConnection(url);
    await operator.query('begin');
    await operator.query('lock table outbox in exclusive mode');
    return { release: async () => void (await operator.query('commit')) };
  }

  it('while it migrates: the migration under way commits first, then the start stops; the lock is freed and the next start is ready at once', async () => {
    const { runtime, url, query } = await onPostgres('partnerflow-sigterm-migrating-');
    const held = await lastMigrationHeld(url);
    runtime.start();
    await until('the start to be migrating (waiting for the outbox)', () => migrationWaitsFor(query, 'relation'), 60_000);

    const child = runtime.child!;
    const ended = stop(runtime);
    await new Promise((r) => setTimeout(r, 1000));
    expect(child.exitCode, 'exited before its migration was done').toBeNull();
    await held.release();
    const { code, signal, ms } = await ended;
    expect({ code, signal, withinBound: ms < 1000 + EXIT_BOUND_MS }, `exited ${ms} ms after SIGTERM`).toEqual({ code: 0, signal: null, withinBound: true });
    expect(stoppedLines(runtime)).toEqual([{ signal: 'SIGTERM', phase: 'migrating the schema', msg: 'stopped during the start, while migrating the schema: nothing was served', migrated: await fromHeld() }]);
    expect(runtime.stdout()).not.toContain('partnerflow ready');
    // The migration is whole: recorded, and its index there. Nothing of the runtime connected, no lock held.
    expect(await applied(query)).toEqual(await allMigrations());
    expect((await query(`select indexname from pg_indexes where schemaname = current_schema() and indexname = 'outbox_awaiting_decision'`)).rowCount).toBe(1);
    await until('the runtime’s connections to be gone', async () => ((await runtimeConnections(query)) === 0 ? true : undefined), 5000);
    expect(Number((await query(`select count(*) as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`)).rows[0].n)).toBe(0);

    const restartedAt = performance.now();
    runtime.start();
    await runtime.ready();
    expect(performance.now() - restartedAt, 'ms until the next start was ready').toBeLessThan(30_000);
  }, 120_000);

  it('while it stores the recipe versions: the write under way completes, then the start stops and closes its pool; exit 0', async () => {
    const { runtime, url, query } = await onPostgres('partnerflow-sigterm-recipes-');
    const store = await openPostgresStore({ url, poolSize: 2 });
    await store.close();
    // An operator's transaction holds recipe_versions: the start's first write of a recipe version waits for it.
    const operator = await otherConnection(url);
    await operator.query('begin');
    await operator.query('lock table recipe_versions in exclusive mode');
    runtime.start();
    await until('the start to be storing its recipe versions (waiting for the table)', async () =>
      Number((await query(`select count(*) as n from pg_stat_activity where application_name = 'partnerflow' and state = 'active' and wait_event = 'relation'`)).rows[0].n) > 0 ? true : undefined, 60_000);

    const child = runtime.child!;
    const ended = stop(runtime);
    await new Promise((r) => setTimeout(r, 1000));
    expect(child.exitCode, 'exited before its write was done').toBeNull();
    await operator.query('commit');
    const { code, signal, ms } = await ended;
    expect({ code, signal, withinBound: ms < 1000 + EXIT_BOUND_MS }, `exited ${ms} ms after SIGTERM`).toEqual({ code: 0, signal: null, withinBound: true });
    expect(stoppedLines(runtime)).toEqual([{ signal: 'SIGTERM', phase: 'storing the recipe versions', msg: 'stopped during the start, while storing the recipe versions: nothing was served' }]);
    expect(runtime.stdout()).not.toContain('partnerflow ready');
    // Every recipe's version stored (the writes under way went to their end), nothing of the runtime connected.
    expect(Number((await query('select count(distinct name) as n from recipe_versions')).rows[0].n)).toBe(findRecipeFiles([join(root, 'recipes')]).length);
    await until('the runtime’s connections to be gone', async () => ((await runtimeConnections(query)) === 0 ? true : undefined), 5000);
  }, 120_000);

  it('a second SIGTERM while the migration under way finishes ends the process at once; the migration rolls back whole, and the next start applies it', async () => {
    const { runtime, url, query } = await onPostgres('partnerflow-sigterm-migrating-twice-');
    const held = await lastMigrationHeld(url);
    runtime.start();
    await until('the start to be migrating (waiting for the outbox)', () => migrationWaitsFor(query, 'relation'), 60_000);

    const child = runtime.child!;
    const ended = stop(runtime);
    await new Promise((r) => setTimeout(r, 500));
    expect(child.exitCode, 'exited after the first SIGTERM').toBeNull();
    child.kill('SIGTERM');
    const { code, signal, ms } = await ended;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(ms, 'ms after the first SIGTERM').toBeLessThan(3000);
    expect(stoppedLines(runtime)).toEqual([]);

    await held.release();
    await until('the killed start’s connections to be gone', async () => ((await runtimeConnections(query)) === 0 ? true : undefined), 5000);
    // Its transaction rolled back whole: neither recorded nor built.
    expect((await applied(query)).filter((name) => name >= HELD)).toEqual([]);
    expect((await query(`select indexname from pg_indexes where schemaname = current_schema() and indexname = 'outbox_awaiting_decision'`)).rowCount).toBe(0);
    runtime.start();
    await runtime.ready();
    expect(await applied(query)).toEqual(await allMigrations());
  }, 120_000);
});
