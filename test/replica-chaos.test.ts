import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { APPROVAL_RECIPE, runReplicaScenario, type ReplicaOutcome, type RunRow } from './support/replica-scenario.ts';
import { createTestSchema, dropTestSchema } from './support/test-postgres.ts';

/**
 * Issue 14, part 6: 2,000 signed MDF request webhooks spread across the replicas, the CMM's approval
 * clicks, and one replica killed with SIGKILL and restarted twice; afterwards nothing is lost or done
 * twice. Three `serve` processes on one PostgreSQL database, and the same scenario on SQLite with one
 * process killed the same way.
 */
const WEBHOOKS = 2_000;
/** Short leases, so that a killed replica's runs are taken over within the test. */
const LEASE_MS = 2_000;
const RUN_COLUMNS = 'id, recipe, dedup_key, status, lease_owner, lease_until, wake_at';

const normalise = (rows: Array<Record<string, unknown>>): RunRow[] =>
  rows.map((r) => ({ ...(r as unknown as RunRow), lease_until: r.lease_until == null ? null : Number(r.lease_until), wake_at: r.wake_at == null ? null : Number(r.wake_at) }));

/** What a user must see afterwards, whatever the store and however many replicas. */
function expectNothingLostOrDoneTwice(outcome: ReplicaOutcome): void {
  const { mdfNumbers, clicked, runs, systems } = outcome;
  const clickedSet = new Set(clicked);
  // Every delivery was taken (202), every click answered.
  expect(outcome.webhookStatuses).toEqual({ 202: WEBHOOKS });
  expect(clicked.length).toBe(WEBHOOKS / 4);
  expect(Object.keys(outcome.clickStatuses).every((s) => Number(s) < 400), JSON.stringify(outcome.clickStatuses)).toBe(true);

  // D7: each MDF number has exactly one approval run.
  const approvalRuns = new Map<string, RunRow[]>();
  for (const run of runs.filter((r) => r.recipe === APPROVAL_RECIPE)) approvalRuns.set(run.dedup_key, [...(approvalRuns.get(run.dedup_key) ?? []), run]);
  expect(mdfNumbers.filter((n) => approvalRuns.get(n)?.length !== 1)).toEqual([]);
  expect(approvalRuns.size).toBe(WEBHOOKS);

  // No run is stuck: every run finished, or (an unclicked approval run) waits for the CMM's decision;
  // none is queued, running or leased by a dead worker past its lease, and none failed.
  const stuck = runs.filter((r) => {
    if (r.status === 'completed') return false;
    if (r.status === 'waiting' && r.recipe === APPROVAL_RECIPE && !clickedSet.has(r.dedup_key)) return r.lease_owner !== null && (r.lease_until ?? 0) < outcome.readAt;
    return true;
  });
  expect(stuck.slice(0, 10), `${stuck.length} runs stuck`).toEqual([]);
  expect(outcome.settled).toBe(true);

  // D7, D8: each email went out exactly once: a receipt and an approval request per request, the
  // approval notice per click, and no message twice.
  const messages = systems.email.messages();
  const seen = new Map<string, number>();
  for (const m of messages) seen.set(`${m.to.join(',')}|${m.subject}`, (seen.get(`${m.to.join(',')}|${m.subject}`) ?? 0) + 1);
  expect([...seen].filter(([, count]) => count > 1).slice(0, 10)).toEqual([]);
  const about = (number: string, subject: string) => messages.filter((m) => m.subject.includes(subject) && m.subject.includes(number)).length;
  expect(mdfNumbers.filter((n) => about(n, 'We received') !== 1 || about(n, 'MDF approval needed') !== 1)).toEqual([]);
  expect(mdfNumbers.filter((n) => about(n, 'is approved') !== (clickedSet.has(n) ? 1 : 0))).toEqual([]);
  expect(messages).toHaveLength(2 * WEBHOOKS + clicked.length);

  // D1: each Salesforce record exists once, approved where the CMM clicked.
  const records = new Map<string, Array<Record<string, unknown>>>();
  for (const r of systems.salesforce.records('PartnerFundRequest')) records.set(String(r.MDF_Number__c), [...(records.get(String(r.MDF_Number__c)) ?? []), r]);
  expect(mdfNumbers.filter((n) => records.get(n)?.length !== 1)).toEqual([]);
  expect(mdfNumbers.filter((n) => (records.get(n)![0]!.Status === 'Approved') !== clickedSet.has(n))).toEqual([]);
  expect(mdfNumbers.filter((n) => (systems.prm.findMdfRequest(n)?.status === 'Approved') !== clickedSet.has(n))).toEqual([]);
}

function report(store: string, outcome: ReplicaOutcome): void {
  const byStatus: Record<string, number> = {};
  for (const r of outcome.runs) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  console.log(`replica test on ${store}: load ${outcome.seconds.load.toFixed(1)} s, settle ${outcome.seconds.settle.toFixed(1)} s; runs ${JSON.stringify(byStatus)}`);
}

describe('replicas killed mid-load (issue 14)', () => {
  it('D1, D7, D8: three replicas on PostgreSQL, one killed with SIGKILL and restarted twice: one approval run per MDF number, each email once, each Salesforce record once, no run stuck', async () => {
    const url = await createTestSchema();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const outcome = await runReplicaScenario({
        replicas: 3,
        webhooks: WEBHOOKS,
        leaseMs: LEASE_MS,
        settleTimeoutMs: 300_000,
        env: { PARTNERFLOW_DATABASE_URL: url, PARTNERFLOW_DATABASE_POOL_SIZE: '6' },
        readRuns: async () => normalise((await pool.query(`select ${RUN_COLUMNS} from runs`)).rows),
      });
      report('PostgreSQL, 3 replicas', outcome);
      expectNothingLostOrDoneTwice(outcome);
    } finally {
      await pool.end();
      await dropTestSchema(url);
    }
  }, 900_000);

  it('D1, D7, D8: one process on SQLite, killed with SIGKILL and restarted twice the same way: the same guarantees', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'partnerflow-replica-sqlite-'));
    const path = join(dir, 'partnerflow.db');
    try {
      const outcome = await runReplicaScenario({
        replicas: 1,
        webhooks: WEBHOOKS,
        leaseMs: LEASE_MS,
        settleTimeoutMs: 300_000,
        env: { PARTNERFLOW_DB: path },
        readRuns: async () => {
          const db = new Sqlite(path, { readonly: true, fileMustExist: true });
          try {
            return normalise(db.prepare(`select ${RUN_COLUMNS} from runs`).all() as Array<Record<string, unknown>>);
          } finally {
            db.close();
          }
        },
      });
      report('SQLite, 1 process', outcome);
      expectNothingLostOrDoneTwice(outcome);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
