import type { Transaction } from 'kysely';
import { asRunId, asStepKey, type RunId, type StepKey } from '../engine/ids.ts';
import type { Database } from './database.ts';
import { signalWaitEndedAt, signalWaitEndedForGoodAt, type TimeoutIsFinal } from './approval-link-lifetime.ts';
import { json, parse } from './store-rows.ts';
import type { ApprovalDecision, DecideOutcome } from './store.ts';

/** What an approval link's POST asks of the store. */
export interface DecideApprovalInput {
  tokenHash: string;
  decision: ApprovalDecision;
  comment?: string;
  now: number;
  timeoutIsFinal?: TimeoutIsFinal;
  /** False when no `wait_for` of the run's recipe takes the approval's signal: nothing would read a decision. @default true */
  signalAwaited?: boolean;
}

/**
 * D10: one click decides once, in one transaction: the link is unused and so is its sibling (the
 * manager's link for the same signal), it has not passed a cap, the run still waits or will wait for
 * the signal (its recipe has a wait for it: `signalAwaited`), and then the waiting step is answered (or
 * the decision kept for the wait about to start).
 * `lockRun` (PostgreSQL) locks the run's row before reading the sibling link and the journal.
 */
export async function decideApprovalWork(trx: Transaction<Database>, input: DecideApprovalInput, lockRun = false): Promise<DecideOutcome> {
  const approval = await trx.selectFrom('approvals').selectAll().where('token_hash', '=', input.tokenHash).executeTakeFirst();
  if (!approval) return 'unknown';
  if (approval.used_at !== null) return 'used';
  // On PostgreSQL the run's row is locked first, before anything is decided from what other
  // transactions wrote: a turn ending on another replica writes the run's wait (finishTurn,
  // writeJournal) while it holds that row, and reads the early decision kept below in the same
  // transaction; the sibling link's click, on another replica, holds it too. Without the lock each
  // transaction misses the other's uncommitted write: the click is lost (the run waits for a decision
  // already made), or both links decide (the journal takes one, the other is kept as an early decision
  // a later wait takes at once). Under READ COMMITTED each statement after the lock sees what the
  // holder committed. SQLite runs one writer at a time.
  const runQuery = trx.selectFrom('runs').select('finished_at').where('id', '=', approval.run_id);
  const run = await (lockRun ? runQuery.forUpdate() : runQuery).executeTakeFirst();
  const sibling = await trx
    .selectFrom('approvals')
    .select('token_hash')
    .where('run_id', '=', approval.run_id)
    .where('signal', '=', approval.signal)
    .where('used_at', 'is not', null)
    .executeTakeFirst();
  if (sibling) return 'used';
  if (approval.expires_at !== null && approval.expires_at <= input.now) return 'expired';
  if (!run || run.finished_at !== null) return 'closed';
  // No step of the run's recipe version waits for the signal: a decision kept now would never be read.
  if (input.signalAwaited === false) return 'closed';
  // D10: the link lives as long as the run waits (or will wait) for its signal.
  const journal = await trx.selectFrom('journal').select(['step_id', 'status', 'wait_signal', 'wait', 'output', 'finished_at']).where('run_id', '=', approval.run_id).orderBy('seq').execute();
  const views = journal.map((e) => ({
    stepId: e.step_id,
    status: e.status,
    signal: e.wait_signal,
    output: e.output === null ? null : parse(e.output),
    deadline: e.wait === null ? null : ((parse(e.wait) as { deadline?: number | null }).deadline ?? null),
    finishedAt: e.finished_at,
  }));
  // A timeout no later wait can follow is final: the decision would never be read (D10).
  if (signalWaitEndedForGoodAt(views, approval.signal, input.timeoutIsFinal ?? (() => false)) !== null) return 'closed';
  if (signalWaitEndedAt(views, approval.signal) !== null) return 'expired';

  const output = {
    timed_out: false,
    decision: input.decision,
    approver: approval.approver_email,
    approver_name: approval.approver_name,
    comment: input.comment ?? null,
    decided_at: new Date(input.now).toISOString(),
  };
  const marked = await trx
    .updateTable('approvals')
    .set({ used_at: input.now, decision: input.decision })
    .where('token_hash', '=', input.tokenHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (marked.numUpdatedRows === 0n) return 'used';
  const waiting = await trx
    .selectFrom('journal')
    .select('step_key')
    .where('run_id', '=', approval.run_id)
    .where('status', '=', 'waiting')
    .where('wait_signal', '=', approval.signal)
    .executeTakeFirst();
  if (waiting) await completeWaiting(trx, asRunId(approval.run_id), asStepKey(waiting.step_key), output, input.now);
  else {
    await trx
      .insertInto('pending_signals')
      .values({ run_id: approval.run_id, signal: approval.signal, output: json(output), created_at: input.now })
      .onConflict((oc) => oc.columns(['run_id', 'signal']).doNothing())
      .execute();
  }
  return 'decided';
}

/** Answers a `waiting` step by compare-and-set and makes its run due. */
export async function completeWaiting(trx: Transaction<Database>, runId: RunId, stepKey: StepKey, output: unknown, now: number): Promise<boolean> {
  const r = await trx
    .updateTable('journal')
    .set({ status: 'completed', output: json(output), finished_at: now })
    .where('run_id', '=', runId)
    .where('step_key', '=', stepKey)
    .where('status', '=', 'waiting')
    .executeTakeFirst();
  if (r.numUpdatedRows === 0n) return false;
  await trx
    .updateTable('runs')
    .set({ wake_at: now, poked: 1, updated_at: now })
    .where('id', '=', runId)
    .where('finished_at', 'is', null)
    .execute();
  return true;
}

