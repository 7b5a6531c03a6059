import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asRunId } from '../engine/ids.ts';
import { openSqliteDatabase, openSqliteStore } from './sqlite-store.ts';
import { SqliteStore } from './sqlite-sync-store.ts';
import { describeStoreContract } from './store.contract.ts';
import { describeBusinessTimersReplicas } from './business-timers.contract.ts';
import { describeRateBudgetReplicas } from './rate-budgets.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'partnerflow-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreContract('SQLite in memory', () => openSqliteStore({ path: ':memory:' }));
let n = 0;
describeStoreContract('SQLite file', () => openSqliteStore({ path: join(dir, `contract-${++n}.db`) }));
describeStoreContract('SQLite through the async Kysely driver (the path PostgreSQL takes)', () => openSqliteStore({ path: join(dir, `contract-${++n}.db`), driver: 'kysely' }));
describeBusinessTimersReplicas('two SQLite stores on one file', async () => {
  const path = join(dir, `replicas-${++n}.db`);
  const first = await openSqliteStore({ path });
  return [first, await openSqliteStore({ path })];
});

describeRateBudgetReplicas('three SQLite stores on one file', async () => {
  const path = join(dir, `rate-budget-replicas-${++n}.db`);
  return [await openSqliteStore({ path }), await openSqliteStore({ path }), await openSqliteStore({ path })];
});

describe('SQLite file store', () => {
  it('keeps runs across a close and reopen, and migrates an existing file without loss', async () => {
    const path = join(dir, 'nested', 'folder', 'reopen.db');
    const first = await openSqliteStore({ path });
    const t = Date.parse('2026-03-02T09:00:00Z');
    await first.ingest({ source: 'prm', deliveryId: 'd1', event: 'prm.x', receivedAt: t, eventHash: 'h' }, [
      { id: asRunId('run_a'), recipe: 'r', recipeVersion: 1, recipeHash: 'h', trigger: { type: 'webhook', receivedAt: t, data: {} }, dedupKey: 'k', correlationKey: null, cancelOnEvent: null, wakeAt: t, createdAt: t },
    ]);
    await first.close();
    const second = await openSqliteStore({ path });
    expect((await second.getRun(asRunId('run_a')))?.status).toBe('queued');
    await second.close();
  });
});

describe('SQLite store: group commit beside a Kysely transaction', () => {
  /**
   * A store whose test can hold one of its Kysely transactions open, then roll it back, and can wait
   * until a group commit has asked to go ahead (and been told to wait, or not).
   */
  class StoreWithHeldTransaction extends SqliteStore {
    #batchAsked: Array<() => void> = [];

    /** `opened` resolves once the transaction has made its inserts; `done` settles when it has rolled back. */
    holdTransaction(until: Promise<void>): { opened: Promise<void>; done: Promise<void> } {
      let markOpened!: () => void;
      const opened = new Promise<void>((resolve) => (markOpened = resolve));
      const done = this.transaction(async (trx) => {
        await trx.insertInto('deliveries').values({ source: 'prm', delivery_id: 'held', event: 'prm.x', received_at: 0, run_ids: '[]' }).execute();
        await trx
          .insertInto('runs')
          .values({ id: 'run_held', recipe: 'r', recipe_version: 1, recipe_hash: 'h', trigger: '{}', dedup_key: 'held', status: 'queued', created_at: 0, updated_at: 0 })
          .execute();
        markOpened();
        await until;
        throw new Error('rolled back on purpose');
      });
      return { opened, done };
    }

    /** Resolves when the next group commit has asked whether it may go ahead. */
    batchAsked(): Promise<void> {
      return new Promise((resolve) => this.#batchAsked.push(resolve));
    }

    protected override beforeBatch(): Promise<void> | void {
      const wait = super.beforeBatch();
      for (const notify of this.#batchAsked.splice(0)) notify();
      return wait;
    }
  }

  /**
   * Lets every promise callback that is already queued run. The store's waits and commits chain on
   * promises alone (no timers, no I/O: better-sqlite3 is synchronous), so whatever would settle without
   * the open transaction ending has settled once a macrotask comes round.
   */
  const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('commits an ingest and answers a read asked for while a transaction is open after that transaction, never inside it', async () => {
    const { sqlite, db } = await openSqliteDatabase(join(dir, 'held-transaction.db'));
    const store = new StoreWithHeldTransaction(sqlite, db);
    let release!: () => void;
    const held = store.holdTransaction(new Promise((resolve) => (release = resolve)));
    void held.done.catch(() => {});
    await held.opened;

    const t = Date.parse('2026-03-02T09:00:00Z');
    let answered = false;
    let readAnswered = false;
    const batchAsked = store.batchAsked();
    const ingest = store.ingest({ source: 'prm', deliveryId: 'during', event: 'prm.x', receivedAt: t, eventHash: 'h' }, [
      { id: asRunId('run_during'), recipe: 'r', recipeVersion: 1, recipeHash: 'h', trigger: { type: 'webhook', receivedAt: t, data: {} }, dedupKey: 'k', correlationKey: null, cancelOnEvent: null, wakeAt: t, createdAt: t },
    ]);
    void ingest.then(() => (answered = true));
    // A read asked for meanwhile must not see what the open transaction may still roll back.
    const readDuring = store.getRun(asRunId('run_held'));
    void readDuring.then(() => (readAnswered = true));
    // The ingest's group commit has come round and asked to go ahead; had it been let through, it
    // would have committed and answered by the time the queued callbacks have run.
    await batchAsked;
    await settled();
    // Answering now would be a 202 for a write the open transaction could still roll back.
    expect(answered).toBe(false);
    expect(readAnswered).toBe(false);

    release();
    await expect(held.done).rejects.toThrow('rolled back on purpose');
    expect(await readDuring).toBeUndefined();
    expect((await ingest).duplicate).toBe(false);
    // The rollback took its own insert, not the ingest.
    expect((await store.getRun(asRunId('run_during')))?.status).toBe('queued');
    expect(sqlite.prepare('select delivery_id from deliveries order by delivery_id').all()).toEqual([{ delivery_id: 'during' }]);
    await store.close();
  });
});

describe('migration 0003 (derived approval links)', () => {
  it('keeps the approvals of links sent before: their hash still finds them, with their expiry and no id', async () => {
    const path = join(dir, 'before-0003.db');
    const Sqlite = (await import('better-sqlite3')).default;
    const { Kysely, Migrator, SqliteDialect } = await import('kysely');
    const { sqliteMigrations } = await import('./sqlite-migrations.ts');
    const all = await sqliteMigrations.getMigrations();
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Sqlite(path) }) });
    const older = Object.fromEntries(Object.entries(all).filter(([name]) => name < '0003'));
    const migrated = await new Migrator({ db, provider: { getMigrations: async () => older } }).migrateToLatest();
    expect(migrated.error).toBeUndefined();
    const t = Date.parse('2026-03-02T09:00:00Z');
    await db
      .insertInto('approvals' as never)
      .values({ token_hash: 'old-hash', run_id: 'run_old', signal: 'decision', approver_email: 'cmm@example.com', approver_name: null, subject: 'MDF-1', expires_at: t + 1000, created_at: t, used_at: null, decision: null } as never)
      .execute();
    await db.destroy();

    const store = await openSqliteStore({ path });
    expect(await store.getApproval('old-hash')).toMatchObject({ id: null, runId: 'run_old', expiresAt: t + 1000, usedAt: null });
    await store.close();
  });
});
