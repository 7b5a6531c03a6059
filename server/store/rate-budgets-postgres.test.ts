import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';
import { until } from '../../test/support/until.ts';
import type { KyselyStore } from './kysely-store.ts';
import { openPostgresStore } from './postgres-store.ts';
import type { RateBudgetTake } from './store.ts';

/**
 * The rate budget's compare-and-set on PostgreSQL while another replica's take is not committed yet
 * (rate-budgets.ts): a third connection takes slot 0 and start 0 as a replica's transaction would, and
 * holds them. The replica suite (rate-budgets.contract.ts) races whole stores; here the interleaving is
 * forced, so what each take answers while a row is held is known.
 */
const T0 = Date.parse('2026-03-02T09:00:00Z');
const budget = 'marketo:123-ABC-456';
const limits = { budget, maxCalls: 2, windowMs: 20_000, maxConcurrent: 2, leaseMs: 60_000 };

let replicaA: KyselyStore & { url: string };
let replicaB: KyselyStore;
let other: pg.Client;

beforeEach(async () => {
  replicaA = await openTestPostgresStore();
  replicaB = await openPostgresStore({ url: replicaA.url, poolSize: 2 });
  other = new pg.Client(replicaA.url);
  await other.connect();
});

afterEach(async () => {
  await other.end().catch(() => {});
  await replicaB.close();
  await replicaA.close();
});

/** Connections of this database waiting for a row lock. */
async function lockWaiters(): Promise<number> {
  const { rows } = await other.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
  return rows[0].n as number;
}

/** A take that must answer while the other transaction is open: waiting for its rows is a failure. */
async function takeWithoutWaiting(store: KyselyStore, holder: string): Promise<RateBudgetTake> {
  const answer = store.takeRateBudget({ ...limits, holder, now: T0 });
  const waiting = until('a take to wait for a row lock', async () => ((await lockWaiters()) > 0 ? true : undefined), 10_000).then(() => 'waiting for the rows another transaction holds' as const);
  return Promise.race([answer, waiting.then((w) => Promise.reject(new Error(w)))]);
}

describe('rate budget on PostgreSQL while another replica takes from it', () => {
  it('a take skips the rows another transaction is taking instead of queueing on them, and of two slots no more than two are ever granted', async () => {
    // The budget's rows exist (first use), all free, the window empty.
    const first = await replicaA.takeRateBudget({ ...limits, holder: 'warm-up', now: T0 - 100_000 });
    expect(first).toMatchObject({ granted: true });
    await replicaA.releaseRateBudget({ budget, holder: 'warm-up', slot: (first as { slot: number }).slot, start: (first as { start: number }).start, leaseUntil: T0 - 40_000, now: T0 - 100_000 });

    // Another replica's take, not committed: slot 0 and start 0 are its own for now.
    await other.query('begin');
    await other.query(`update rate_budget_slots set holder = 'replica-c~1', lease_until = $1 where budget = $2 and slot = 0`, [T0 + 60_000, budget]);
    await other.query(`update rate_budget_starts set started_at = $1 where budget = $2 and slot = 0`, [T0 + 60_000, budget]);

    // Replica B takes the other slot and start at once.
    expect(await takeWithoutWaiting(replicaB, 'replica-b~1')).toEqual({ granted: true, slot: 1, start: 1, leaseUntil: T0 + 60_000 });
    // Replica A finds slot 0 free as committed, but being taken: it is told to look again at once, not granted.
    expect(await takeWithoutWaiting(replicaA, 'replica-a~1')).toEqual({ granted: false, waitFor: 'concurrency', retryAt: T0 });

    // The other replica's take commits: both slots are held, A waits for the soonest lease.
    await other.query('commit');
    expect(await replicaA.takeRateBudget({ ...limits, holder: 'replica-a~1', now: T0 })).toEqual({ granted: false, waitFor: 'concurrency', retryAt: T0 + 60_000 });
  });
});
