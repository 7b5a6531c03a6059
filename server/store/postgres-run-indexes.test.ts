import { describe, expect, it } from 'vitest';
import { asRunId } from '../engine/ids.ts';
import type { KyselyStore } from './kysely-store.ts';
import { useRecordedPostgresStatements } from '../../test/support/recorded-postgres-statements.ts';

/**
 * The reads of `runs` on a table as a deployment grows it (200,000 finished runs, a few hundred live),
 * each as the store sends it to PostgreSQL: every one finds its rows through an index, none reads the
 * whole table. The partial indexes of 0017 leave finished runs out of some indexes (a turn's end then
 * writes fewer index entries); this is what proves that no console filter, claim or count lost its index.
 */

const NOW = Date.parse('2026-03-02T09:00:00Z');
const FINISHED = 200_000;
const runId = (at: number, n: number) => `run_${at.toString(36).padStart(10, '0')}${String(n).padStart(12, '0')}`;

/** Every plan node of an EXPLAIN (FORMAT JSON) answer. */
function nodes(plan: Record<string, unknown>): Array<Record<string, unknown>> {
  const children = (plan['Plans'] as Array<Record<string, unknown>> | undefined) ?? [];
  return [plan, ...children.flatMap(nodes)];
}

describe('PostgreSQL: reads of a large runs table go through indexes', () => {
  const statements = useRecordedPostgresStatements({
    table: 'runs',
    seed: async (client) => {
      const ids: string[] = [];
      // Finished runs, one every 10 s back from an hour ago: most completed, some failed or canceled.
      for (let n = 0; n < FINISHED; n++) ids.push(runId(NOW - 3_600_000 - (FINISHED - n) * 10_000, n));
      await client.query(
        `insert into runs (id, recipe, recipe_version, recipe_hash, trigger, dedup_key, correlation_key, cancel_on_event, status, wake_at, poked, lease_owner, lease_until, error, created_at, updated_at, finished_at)
         select id, case when n % 20 = 0 then 'rare' else 'bench-ingest' end, 1, 'h', '{}', 'd' || n,
                case when n % 2 = 0 then null else 'C-' || (n % 5000) end, null,
                case when n % 100 = 0 then 'failed' when n % 200 = 1 then 'canceled' else 'completed' end,
                null, 0, null, null, null, $2::bigint - 3600000, $2::bigint - 3600000, $2::bigint - 3600000
         from unnest($1::text[]) with ordinality as t(id, n)`,
        [ids, NOW],
      );
      // Live runs: leased (a turn under way), waiting for a time, due and unleased, cancelled by an event.
      const live: string[] = [];
      for (let n = 0; n < 400; n++) live.push(runId(NOW - 60_000 + n * 100, FINISHED + n));
      await client.query(
        `insert into runs (id, recipe, recipe_version, recipe_hash, trigger, dedup_key, correlation_key, cancel_on_event, status, wake_at, poked, lease_owner, lease_until, error, created_at, updated_at, finished_at)
         select id, 'bench-ingest', 1, 'h', '{}', 'live' || n, 'C-' || (n % 50), case when n % 4 = 3 then 'prm.cancelled' else null end,
                case when n % 4 = 0 then 'running' when n % 4 = 1 then 'waiting' else 'queued' end,
                case when n % 4 = 1 then $2::bigint + 3600000 else $2::bigint - 1000 end, 0,
                case when n % 4 = 0 then 'w~' || n else null end, case when n % 4 = 0 then $2::bigint + 30000 else null end,
                null, $2::bigint - 60000, $2::bigint - 60000, null
         from unnest($1::text[]) with ordinality as t(id, n)`,
        [live, NOW],
      );
      await client.query('analyze runs');
    },
  });

  /**
   * The plans of the statements on `runs` that `read` sent, with the nodes that read `runs` whole: the
   * plan for the values sent, and the generic plan (for any values), which a prepared statement runs
   * once PostgreSQL finds it no dearer than the custom ones (postgres-pool.ts prepares them).
   */
  async function plansOf(read: () => Promise<unknown>): Promise<Array<{ text: string; seqScans: number; plan: string }>> {
    statements.take();
    await read();
    const out = [];
    for (const s of statements.take()) {
      if (/^\s*(begin|commit|rollback)/i.test(s.text)) continue;
      for (const [options, values] of [['format json', s.values], ['generic_plan, format json', []]] as const) {
        const { rows } = await statements.explainer().query<{ 'QUERY PLAN': Array<{ Plan: Record<string, unknown> }> }>(`explain (${options}) ${s.text}`, [...values]);
        const plan = rows[0]!['QUERY PLAN'][0]!.Plan;
        const seqScans = nodes(plan).filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'runs').length;
        out.push({ text: `${options}: ${s.text}`, seqScans, plan: JSON.stringify(plan) });
      }
    }
    expect(out.length).toBeGreaterThan(0);
    return out;
  }

  const reads: Array<[string, (s: KyselyStore) => Promise<unknown>]> = [
    ['the runs list', (s) => s.listRuns({ limit: 50 })],
    ['the runs list, next page', (s) => s.listRuns({ limit: 50, before: asRunId(runId(NOW - 3_600_000 - 1000 * 10_000, 0)) })],
    ['completed runs', (s) => s.listRuns({ limit: 50, status: 'completed' })],
    ['completed runs, next page', (s) => s.listRuns({ limit: 50, status: 'completed', before: asRunId(runId(NOW - 3_600_000 - 1000 * 10_000, 0)) })],
    ['failed runs', (s) => s.listRuns({ limit: 50, status: 'failed' })],
    ['canceled runs', (s) => s.listRuns({ limit: 50, status: 'canceled' })],
    ['running runs', (s) => s.listRuns({ limit: 50, status: 'running' })],
    ['waiting runs', (s) => s.listRuns({ limit: 50, status: 'waiting' })],
    ['queued runs', (s) => s.listRuns({ limit: 50, status: 'queued' })],
    ["a recipe's runs", (s) => s.listRuns({ limit: 50, recipe: 'rare' })],
    ["a recipe's failed runs", (s) => s.listRuns({ limit: 50, recipe: 'rare', status: 'failed' })],
    ["a recipe's completed runs", (s) => s.listRuns({ limit: 50, recipe: 'rare', status: 'completed' })],
    ['the runs of a business key', (s) => s.listRuns({ limit: 50, correlationKey: 'C-7' })],
    ['the completed runs of a business key', (s) => s.listRuns({ limit: 50, correlationKey: 'C-7', status: 'completed' })],
    // GET /runs and the console's lists: the same paging and filters, each trigger summarised in the query.
    ['the runs list as GET /runs reads it (trigger data summarised)', (s) => s.listRunSummaries({ limit: 50 })],
    ['the runs list as GET /runs reads it, next page', (s) => s.listRunSummaries({ limit: 50, before: asRunId(runId(NOW - 3_600_000 - 1000 * 10_000, 0)) })],
    ['failed runs as GET /runs reads them', (s) => s.listRunSummaries({ limit: 50, status: 'failed' })],
    ["a recipe's completed runs as GET /runs reads them", (s) => s.listRunSummaries({ limit: 50, recipe: 'rare', status: 'completed' })],
    ['the runs of a business key as GET /runs reads them', (s) => s.listRunSummaries({ limit: 50, correlationKey: 'C-7' })],
    ["the console timers page's runs by id, summarised", (s) => s.listRunSummaries({ limit: 2, ids: [asRunId(runId(NOW - 60_000, FINISHED)), asRunId(runId(NOW - 3_600_000, 0))] })],
    ['a run by id', (s) => s.getRun(asRunId(runId(NOW - 60_000, FINISHED)))],
    ['the due runs claimed', (s) => s.claimDueRuns({ now: NOW, owner: 'w~claim', leaseMs: 30_000, limit: 10 })],
    ['the due backlog', (s) => s.dueBacklog({ now: NOW, cap: 1000 })],
    ['the next wake-up', (s) => s.nextWakeAt()],
    ['the next wake-up after a time', (s) => s.nextWakeAt(NOW)],
    ['the upcoming wake-ups', (s) => s.listUpcoming({ limit: 50 })],
    ['the runs an event cancels', (s) => s.findRunsToCancel('prm.cancelled', 'C-3')],
    ['runs per recipe and status of the last day', (s) => s.runCountsSince(NOW - 86_400_000)],
    ['the unfinished runs that wait to retry a step', (s) => s.runsAwaitingRetry()],
    ['the failed runs per recipe and the emails waiting for a decision (/metrics)', (s) => s.awaitingOperator()],
    ['the runs parked on a system woken when it answers', (s) => s.wakeParkedRuns('prm', NOW, 20)],
    // Last: it writes (a replica that stops lets go of its runs).
    ["a stopping replica's leases released", (s) => s.releaseLeases('w', NOW)],
  ];

  for (const [name, read] of reads) {
    it(`${name}: no sequential scan of runs`, async () => {
      for (const p of await plansOf(() => read(statements.store()))) expect({ text: p.text, seqScans: p.seqScans, plan: p.seqScans ? p.plan : '' }).toMatchObject({ seqScans: 0 });
    });
  }
});
