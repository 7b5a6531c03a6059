import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { KyselyPlugin, QueryId, RootOperationNode, SelectQueryNode } from 'kysely';
import { asRunId } from '../engine/ids.ts';
import { openPostgresStore } from './postgres-store.ts';
import { openSqliteDatabase } from './sqlite-store.ts';
import { SqliteStore } from './sqlite-sync-store.ts';
import type { NewRun, RetryOutcome, Store } from './store.ts';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';

/**
 * D12: an event cancels a run that failed at a step (`cancelRun` with `failed`), so that no later retry
 * does what the event called off. The cancel reads the run's status, then writes `canceled` if it is
 * still that status. Here another replica changes the run between that read and that write: an operator
 * retries it, a worker takes it, the worker's turn ends. Whatever the interleaving, the run ends canceled
 * and nothing runs after: the competing change lands after the cancel and is refused.
 */

const T0 = Date.parse('2026-04-06T09:00:00Z');
const REASON = 'The request was canceled in the PRM.';

interface RaceHarness {
  /** The replica that cancels. */
  store: Store;
  /** The replica whose changes compete (on SQLite, one writer: the same store). */
  other: Store;
  /**
   * Calls `between` each time the cancel has read the run's status, before it sends anything else;
   * `between` gets a way to wait until a competing change is done or held back by the cancel.
   */
  onCancelRead(between: (settled: (change: Promise<unknown>) => Promise<void>) => Promise<void>): void;
  close(): Promise<void>;
}

function failedRun(): NewRun {
  return {
    id: asRunId('run_0mb1x2k3l4cancelrace00001'),
    recipe: 'mdf-approval',
    recipeVersion: 1,
    recipeHash: 'hash-1',
    trigger: { type: 'webhook', event: 'prm.mdf_request.submitted', receivedAt: T0, data: { mdfNumber: 'MDF-1' } },
    dedupKey: 'MDF-1@1',
    correlationKey: 'MDF-1',
    cancelOnEvent: 'prm.mdf_request.status_changed',
    wakeAt: T0,
    createdAt: T0,
  };
}

function describeCancelRace(name: string, open: () => Promise<RaceHarness>): void {
  describe(`cancelRun with failed, ${name}: the run changes between the cancel's read and its write`, () => {
    let harness: RaceHarness | undefined;
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });

    it("D12: an operator's retry, a worker taking the run and its turn ending, each between the read and the write: the run ends canceled, the retry is refused, nothing runs after", async () => {
      harness = await open();
      const { store, other } = harness;
      const run = failedRun();
      await store.createRun(run);
      expect(await store.claimDueRuns({ now: T0, owner: 'w1', leaseMs: 60_000, limit: 1 })).toHaveLength(1);
      expect(await store.finishTurn(run.id, 'w1', { status: 'failed', wakeAt: null, error: { name: 'ServerError', message: 'PRM 500', stepKey: 'read_request' }, now: T0 + 1 })).toBe(true);

      // What another replica does, in order, each time the cancel has read the status.
      let retried: Promise<RetryOutcome> | undefined;
      const changes: Array<() => Promise<unknown>> = [
        () => (retried = other.retryRun(run.id, T0 + 2)),
        () => other.claimDueRuns({ now: T0 + 3, owner: 'w2', leaseMs: 60_000, limit: 1 }),
        () => other.finishTurn(run.id, 'w2', { status: 'waiting', wakeAt: T0 + 3_600_000, now: T0 + 4 }),
      ];
      const started: Array<Promise<unknown>> = [];
      harness.onCancelRead(async (settled) => {
        const change = changes[started.length]?.();
        if (!change) return;
        started.push(change);
        await settled(change);
      });

      expect(await store.cancelRun(run.id, T0 + 5, REASON, { failed: true })).toBe(true);
      await Promise.all(started);
      // The hook fired once, for the retry: the cancel read the run once.
      expect(started).toHaveLength(1);
      expect(await store.getRun(run.id)).toMatchObject({ status: 'canceled', finishedAt: T0 + 5, error: { name: 'Canceled', message: REASON } });
      // The retry came after the cancel: refused, naming why.
      expect(await retried).toEqual({ retried: false, refusal: { refused: 'canceled', reason: REASON } });
      // Nothing runs after: no worker can take it, no wake-up is left.
      expect(await store.claimDueRuns({ now: T0 + 86_400_000, owner: 'w3', leaseMs: 60_000, limit: 10 })).toEqual([]);
      expect(await store.nextWakeAt()).toBeNull();
      expect(await store.retryRun(run.id, T0 + 6)).toEqual({ retried: false, refusal: { refused: 'canceled', reason: REASON } });
    });

    /** Cancels the run (as an event does) while `change` runs between the cancel's read and its write; the change's answer. */
    async function cancelWith<T>(h: RaceHarness, runId: NewRun['id'], change: () => Promise<T>): Promise<T> {
      const started: Array<Promise<T>> = [];
      h.onCancelRead(async (settled) => {
        if (started.length > 0) return;
        const p = change();
        started.push(p);
        await settled(p);
      });
      expect(await h.store.cancelRun(runId, T0 + 5, REASON, { failed: true })).toBe(true);
      // The hook fired, once: the change ran between the read and the write.
      expect(started).toHaveLength(1);
      return started[0]!;
    }

    async function expectCanceledForGood(h: RaceHarness, runId: NewRun['id']): Promise<void> {
      expect(await h.store.getRun(runId)).toMatchObject({ status: 'canceled', finishedAt: T0 + 5, error: { name: 'Canceled', message: REASON } });
      expect(await h.store.claimDueRuns({ now: T0 + 86_400_000, owner: 'w3', leaseMs: 60_000, limit: 10 })).toEqual([]);
      expect(await h.other.claimDueRuns({ now: T0 + 86_400_000, owner: 'w4', leaseMs: 60_000, limit: 10 })).toEqual([]);
      expect(await h.store.nextWakeAt()).toBeNull();
    }

    it('D12: a queued run, another replica\'s claim between the read and the write: the claim gets nothing, the run ends canceled', async () => {
      harness = await open();
      const run = failedRun();
      await harness.store.createRun(run);
      const other = harness.other;
      const claimed = await cancelWith(harness, run.id, () => other.claimDueRuns({ now: T0 + 3, owner: 'w2', leaseMs: 60_000, limit: 1 }));
      expect(claimed).toEqual([]);
      await expectCanceledForGood(harness, run.id);
    });

    it('D12: a run a worker holds, its turn ending between the read and the write: the turn is refused, the run ends canceled', async () => {
      harness = await open();
      const run = failedRun();
      await harness.store.createRun(run);
      expect(await harness.other.claimDueRuns({ now: T0, owner: 'w2', leaseMs: 60_000, limit: 1 })).toHaveLength(1);
      const other = harness.other;
      const ended = await cancelWith(harness, run.id, () => other.finishTurn(run.id, 'w2', { status: 'waiting', wakeAt: T0 + 3_600_000, now: T0 + 4 }));
      expect(ended).toBe(false);
      await expectCanceledForGood(harness, run.id);
    });
  });
}

/** The cancel's read of a run: its status and error, by id (on PostgreSQL possibly `for update`). */
const CANCEL_READ = /^select "status", "error" from "runs" where "id" = \$1\b/;

describeCancelRace('PostgreSQL (two replicas, each its own pool)', async () => {
  const store = await openTestPostgresStore({ poolSize: 2 });
  const other = await openPostgresStore({ url: store.url, poolSize: 2 });
  const watcher = new pg.Client({ connectionString: store.url });
  await watcher.connect();
  const realQuery = pg.Client.prototype.query;
  let between: Parameters<RaceHarness['onCancelRead']>[0] | undefined;
  let canceller: pg.Client | undefined;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const result = (realQuery as (...a: unknown[]) => unknown).apply(this, args);
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
    const hook = between;
    if (!hook || this === watcher || typeof text !== 'string' || !CANCEL_READ.test(text)) return result;
    // The first such read after the hook is set is the cancel's; its later reads are on the same client.
    if (canceller === undefined) canceller = this;
    if (this !== canceller) return result;
    return (result as Promise<unknown>).then(async (answer) => {
      const { rows } = await (realQuery as (text: string) => Promise<pg.QueryResult<{ pid: number }>>).call(this, 'select pg_backend_pid() as pid');
      const pid = rows[0]!.pid;
      // Done, or waiting for a lock the cancel's transaction holds.
      const settled = async (change: Promise<unknown>) => {
        let done = false;
        void change.finally(() => (done = true)).catch(() => {});
        for (;;) {
          if (done) return;
          const blocked = await watcher.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [pid]);
          if (blocked.rows[0]!.n > 0) return;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      await hook(settled);
      return answer;
    });
  } as typeof realQuery;
  return {
    store,
    other,
    onCancelRead: (fn) => (between = fn),
    close: async () => {
      pg.Client.prototype.query = realQuery;
      await watcher.end();
      await other.close();
      await store.close();
    },
  };
});

describeCancelRace('SQLite (one writer)', async () => {
  const { sqlite, db } = await openSqliteDatabase(':memory:');
  let between: Parameters<RaceHarness['onCancelRead']>[0] | undefined;
  const reads = new WeakSet<QueryId>();
  const isCancelRead = (node: RootOperationNode) => {
    if (node.kind !== 'SelectQueryNode') return false;
    const select = node as SelectQueryNode;
    const from = select.from?.froms.map((f) => (f as { table?: { identifier?: { name?: string } } }).table?.identifier?.name);
    const columns = select.selections?.map((s) => (s.selection as { column?: { column?: { name?: string } } }).column?.column?.name);
    return JSON.stringify(from) === '["runs"]' && JSON.stringify(columns) === '["status","error"]';
  };
  const plugin: KyselyPlugin = {
    transformQuery: ({ node, queryId }) => {
      if (between && isCancelRead(node)) reads.add(queryId);
      return node;
    },
    transformResult: async ({ result, queryId }) => {
      if (between && reads.has(queryId)) {
        // One writer: a change started now waits for the cancel's transaction to end; given a moment,
        // it would have been done by now if it could.
        await between((change) => Promise.race([change.then(() => {}), new Promise<void>((resolve) => setTimeout(resolve, 50))]));
      }
      return result;
    },
  };
  const store = new SqliteStore(sqlite, db.withPlugin(plugin));
  return {
    store,
    other: store,
    onCancelRead: (fn) => (between = fn),
    close: () => store.close(),
  };
});
