import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresReplicaPair, type PostgresReplicaPair } from '../../test/support/postgres-replica-pair.ts';
import { signalWaitEntry } from '../../test/support/signal-wait-entry.ts';
import { until } from '../../test/support/until.ts';
import { asRunId } from '../engine/ids.ts';
import type { KyselyStore } from './kysely-store.ts';

/**
 * D10 on PostgreSQL with replicas: the CMM clicks "approve" on one replica at the very moment another
 * replica writes the run's wait for that decision. Found by the replica test (test/replica-chaos.test.ts):
 * each transaction missed the other's uncommitted write, the click was answered "decided" and the run
 * went on waiting for a decision already made. The interleaving is forced here: a third connection
 * holds the wait's journal row, so the replica writing the wait is stopped after it looked for an early
 * decision and before its wait is committed, while the click is decided.
 */
const T0 = Date.parse('2026-03-02T09:00:00Z');
const runId = asRunId('run_click_race');

let pair: PostgresReplicaPair;
let writer: KyselyStore & { url: string };
let decider: KyselyStore;
let blocker: PostgresReplicaPair['blocker'];
const lockWaiters = () => pair.lockWaiters();

beforeEach(async () => {
  pair = await openPostgresReplicaPair();
  ({ first: writer, second: decider, blocker } = pair);
});

afterEach(() => pair.close());

describe('an approval click while another replica writes the wait (PostgreSQL)', () => {
  it('D10: the click decided while the wait is being written answers that wait; the run does not wait for a decision already made', async () => {
    await writer.createRun({
      id: runId,
      recipe: 'mdf-approval',
      recipeVersion: 1,
      recipeHash: 'hash-1',
      trigger: { type: 'webhook', event: 'prm.mdf_request.submitted', receivedAt: T0, data: { mdfNumber: 'MDF-1' } },
      dedupKey: 'MDF-1',
      correlationKey: 'MDF-1',
      cancelOnEvent: null,
      wakeAt: T0,
      createdAt: T0,
    } as never);
    const [claimed] = await writer.claimDueRuns({ now: T0, owner: 'replica-1', leaseMs: 60_000, limit: 1 });
    expect(claimed?.id).toBe(runId);
    await writer.enqueueOutbox(
      { key: `${runId}:ask`, runId, message: { from: 'f@example.com', to: ['cmm@example.com'], subject: 's', text: 't', html: 'h' }, createdAt: T0 },
      { tokenHash: 'hash-click', runId, signal: 'decision', approverEmail: 'cmm@example.com', approverName: 'Ana', subject: 'MDF-1', expiresAt: null, createdAt: T0 },
    );

    await blocker.query('begin');
    await blocker.query(
      `insert into journal (run_id, step_key, step_id, step_type, status, attempts, started_at, notes) values ($1, 'decide', 'decide', 'wait_for', 'running', 1, $2, '[]')`,
      [runId, T0],
    );
    const waitWritten = writer.writeJournal(
      [signalWaitEntry(runId, 'decide', T0)],
      'replica-1',
    );
    await until('the wait to be written up to its journal row', async () => ((await lockWaiters()) >= 1 ? true : undefined), 10_000);

    let decided: string | undefined;
    const click = decider.decideApproval({ tokenHash: 'hash-click', decision: 'approve', now: T0 + 1 }).then((outcome) => (decided = outcome));
    await until('the click to be decided or to wait for the run', async () => (decided !== undefined || (await lockWaiters()) >= 2 ? true : undefined), 10_000);
    await blocker.query('rollback');

    expect(await waitWritten).toBe(true);
    expect(await click).toBe('decided');
    const [decide] = await writer.getJournal(runId);
    expect(decide).toMatchObject({ stepKey: 'decide', status: 'completed', output: { decision: 'approve', approver: 'cmm@example.com' } });
  });
});
