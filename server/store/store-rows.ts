import type { Selectable } from 'kysely';
import { asRunId, asStepKey } from '../engine/ids.ts';
import type { Database } from './database.ts';
import type { Approval, ApprovalDecision, JournalEntry, OutboxMessage, Run, RunStatus } from './store.ts';

/** How the store's records map to table rows and back: JSON as TEXT, times as epoch milliseconds. */
export type RunRow = Selectable<Database['runs']>;
export type JournalRow = Selectable<Database['journal']>;

export const json = (value: unknown): string => JSON.stringify(value ?? null);
export const parse = <T>(text: string | null): T => (text === null ? (null as T) : (JSON.parse(text) as T));

export function toRun(row: RunRow): Run {
  return {
    id: asRunId(row.id),
    recipe: row.recipe,
    recipeVersion: row.recipe_version,
    recipeHash: row.recipe_hash,
    trigger: parse(row.trigger),
    dedupKey: row.dedup_key,
    correlationKey: row.correlation_key,
    cancelOnEvent: row.cancel_on_event,
    concurrencyKey: row.concurrency_key,
    // The column stays 1 on a held run canceled before it took the key over: it is held back no more.
    heldBack: row.held_back === 1 && row.finished_at === null,
    status: row.status as RunStatus,
    wakeAt: row.wake_at,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    error: parse(row.error),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    parkedOn: row.parked_on,
    parkedSince: row.parked_since,
  };
}

export function journalRow(e: JournalEntry): Omit<JournalRow, 'seq'> {
  return {
    run_id: e.runId,
    step_key: e.stepKey,
    step_id: e.stepId,
    step_type: e.stepType,
    status: e.status,
    // Not serialized again when the stored input is kept (JournalEntry.inputAsStored).
    input: e.inputAsStored ? null : json(e.input),
    output: json(e.output),
    error: e.error ? json(e.error) : null,
    attempts: e.attempts,
    started_at: e.startedAt,
    finished_at: e.finishedAt,
    next_attempt_at: e.nextAttemptAt,
    wait: e.wait ? json(e.wait) : null,
    wait_signal: e.wait?.kind === 'signal' ? e.wait.signal : null,
    wait_event: e.wait?.kind === 'event' ? e.wait.event : null,
    wait_key: e.wait?.kind === 'event' ? e.wait.key : null,
    notes: json(e.notes),
  };
}

export function toJournalEntry(row: JournalRow): JournalEntry {
  return {
    runId: asRunId(row.run_id),
    stepKey: asStepKey(row.step_key),
    stepId: row.step_id,
    stepType: row.step_type,
    status: row.status as JournalEntry['status'],
    input: parse(row.input),
    output: parse(row.output),
    error: parse(row.error),
    attempts: row.attempts,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    nextAttemptAt: row.next_attempt_at,
    wait: parse(row.wait),
    notes: parse(row.notes),
  };
}

export function toApproval(row: Selectable<Database['approvals']>): Approval {
  return {
    tokenHash: row.token_hash,
    id: row.approval_id,
    runId: asRunId(row.run_id),
    signal: row.signal,
    approverEmail: row.approver_email,
    approverName: row.approver_name,
    subject: row.subject,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    usedAt: row.used_at,
    decision: row.decision as ApprovalDecision | null,
  };
}

export function toOutbox(row: Selectable<Database['outbox']>): OutboxMessage {
  return {
    key: row.key,
    runId: row.run_id === null ? null : asRunId(row.run_id),
    message: parse(row.message),
    status: row.status as OutboxMessage['status'],
    attempts: row.attempts,
    providerMessageId: row.provider_message_id,
    lastError: row.last_error,
    createdAt: row.created_at,
    sentAt: row.sent_at,
    sendingSince: row.sending_since,
    sendingOwner: row.sending_owner,
  };
}
