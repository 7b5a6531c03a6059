import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresReplicaPair, type PostgresReplicaPair } from '../../test/support/postgres-replica-pair.ts';
import { signalWaitEntry } from '../../test/support/signal-wait-entry.ts';
import { until } from '../../test/support/until.ts';
import { asRunId } from '../engine/ids.ts';
import type { KyselyStore } from './kysely-store.ts';
import type { DecideOutcome } from './store.ts';

/**
 * D10 on PostgreSQL with replicas: the CMM's link and the manager's link for the same decision are
 * clicked at once on two replicas. Found by review: the "the other link was used" check ran before the
 * run's row was locked and was not repeated after, so both clicks were answered "decided", the journal
 * took one and the other was left as an early decision (pending_signals) that a later wait for the
 * signal would take at once. The interleaving is forced here: a third connection holds the run's row
 * while both clicks are made, then lets go.
 */
const T0 = Date.parse('2026-03-02T09:00:00Z');
const runId = asRunId('run_two_links');

let pair: PostgresReplicaPair;
let cmmReplica: KyselyStore & { url: string };
let managerReplica: KyselyStore;
let blocker: PostgresReplicaPair['blocker'];
const lockWaiters = () => pair.lockWaiters();

beforeEach(async () => {
  pair = await openPostgresReplicaPair();
  ({ first: cmmReplica, second: managerReplica, blocker } = pair);
});

afterEach(() => pair.close());

/** A run waiting for `decision`, with the CMM's link and the manager's link (its escalation) for it. */
async function runWaitingForDecision(): Promise<void> {
  await cmmReplica.createRun({
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
  const [claimed] = await cmmReplica.claimDueRuns({ now: T0, owner: 'replica-1', leaseMs: 60_000, limit: 1 });
  expect(claimed?.id).toBe(runId);
  const message = { from: 'f@example.com', subject: 's', text: 't', html: 'h' };
  for (const [who, email] of [
    ['cmm', 'cmm@example.com'],
    ['manager', 'manager@example.com'],
  ] as const) {
    await cmmReplica.enqueueOutbox(
      { key: `${runId}:ask:${who}`, runId, message: { ...message, to: [email] }, createdAt: T0 },
      { tokenHash: `hash-${who}`, runId, signal: 'decision', approverEmail: email, approverName: null, subject: 'MDF-1', expiresAt: null, createdAt: T0 },
    );
  }
  expect(
    await cmmReplica.writeJournal(
      [signalWaitEntry(runId, 'decide', T0)],
      'replica-1',
    ),
  ).toBe(true);
}

describe("the approver's and the manager's links clicked at once on two replicas (PostgreSQL)", () => {
  it('D10: one click decides, the other is told the decision was already made, and no second decision is kept for a later wait', async () => {
    await runWaitingForDecision();
    // Another transaction (a turn ending, a claim) holds the run's row while both links are clicked.
    await blocker.query('begin');
    await blocker.query('select id from runs where id = $1 for update', [runId]);

    const outcomes: Record<string, DecideOutcome> = {};
    const approve = cmmReplica.decideApproval({ tokenHash: 'hash-cmm', decision: 'approve', now: T0 + 1 }).then((o) => (outcomes.approve = o));
    const deny = managerReplica.decideApproval({ tokenHash: 'hash-manager', decision: 'deny', now: T0 + 2 }).then((o) => (outcomes.deny = o));
    // Both clicks are under way: each waits for the run's row (or has answered already).
    await until('both clicks to wait for the run or to be answered', async () => (Object.keys(outcomes).length + (await lockWaiters()) >= 2 ? true : undefined), 10_000);
    await blocker.query('commit');
    await Promise.all([approve, deny]);

    expect(Object.values(outcomes).sort()).toEqual(['decided', 'used']);
    const winner = outcomes.approve === 'decided' ? 'approve' : 'deny';
    const [decide] = await cmmReplica.getJournal(runId);
    expect(decide).toMatchObject({ stepKey: 'decide', status: 'completed', output: { decision: winner } });
    // The losing click left nothing a later wait for the decision would take at once.
    expect((await blocker.query('select signal, output from pending_signals where run_id = $1', [runId])).rows).toEqual([]);
    // The losing link records no decision of its own.
    const loser = winner === 'approve' ? 'hash-manager' : 'hash-cmm';
    expect(await cmmReplica.getApproval(loser)).toMatchObject({ usedAt: null, decision: null });
  });
});
