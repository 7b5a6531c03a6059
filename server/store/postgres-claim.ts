import { sql, type Kysely } from 'kysely';
import type { Database } from './database.ts';
import { PreparedQuery } from './prepared-query.ts';
import { toRun, type RunRow } from './store-rows.ts';
import type { ClaimedRun } from './store.ts';

interface ClaimValues {
  now: number;
  owner: string;
  leaseUntil: number;
  limit: number;
  skip: string[];
}

/**
 * The claim on PostgreSQL as one statement: the due runs are read and locked (FOR UPDATE SKIP LOCKED:
 * rows another replica's claim holds are left to it) and leased to the caller in the same UPDATE, which
 * also returns the lease owner each had (a lapsed lease: a takeover). The generic claim
 * (store-operations.ts) sends a SELECT and then an UPDATE per run, each a round trip to the server.
 * `finished_at is null` is written as in the partial index runs_due, so the planner uses it.
 */
export function postgresClaimQuery(db: Kysely<Database>): PreparedQuery<ClaimValues, RunRow & { seen_owner: string | null }> {
  return new PreparedQuery<ClaimValues, RunRow & { seen_owner: string | null }>((p) => ({
    compile: () =>
      sql<RunRow & { seen_owner: string | null }>`with due as (
        select id, lease_owner from runs
        where finished_at is null and wake_at <= ${p('now')} and (lease_until is null or lease_until < ${p('now')})
          and id <> all(cast(${p('skip')} as text[]))
        order by wake_at limit ${p('limit')}
        for update skip locked
      )
      update runs set status = 'running', lease_owner = ${p('owner')}, lease_until = ${p('leaseUntil')}, poked = 0, updated_at = ${p('now')}
      from due where runs.id = due.id
      returning runs.*, due.lease_owner as seen_owner`.compile(db),
  }));
}

/** Leases up to `limit` due runs to `owner` in one statement; in the order they were due. */
export async function claimDueRunsPostgres(
  db: Kysely<Database>,
  query: ReturnType<typeof postgresClaimQuery>,
  c: { now: number; owner: string; leaseMs: number; limit: number; skip?: ReadonlySet<string> },
): Promise<ClaimedRun[]> {
  if (c.limit <= 0) return [];
  const { rows } = await db.executeQuery(query.compile({ now: c.now, owner: c.owner, leaseUntil: c.now + c.leaseMs, limit: c.limit, skip: [...(c.skip ?? [])] }));
  return rows
    .sort((a, b) => (a.wake_at ?? 0) - (b.wake_at ?? 0) || (a.id < b.id ? -1 : 1))
    .map(({ seen_owner, ...row }) => ({ ...toRun(row), takenOverFrom: seen_owner || null }));
}
