import { asRunId, asStepKey, type RunId, type StepKey } from '../engine/ids.ts';
import { FINISHED_STATUSES, PARK_STILL_WITHIN_MS, type ClaimedRun, type HeldRun, type IngestResult, type JournalEntry, type NewApproval, type NewDelivery, type NewOutboxMessage, type NewRun, type OutboxMessage, type OutboxSentRecord, type OutboxTake, type Run, type TurnOutcome } from './store.ts';
import type { StoreQueries } from './store-queries.ts';
import { journalRow, json, parse, toJournalEntry, toOutbox, toRun } from './store-rows.ts';
import { exec, type StoreWork } from './store-work.ts';

/**
 * The store's hot operations as units of work (see store-work.ts): each one is written once and run
 * by the SQLite store synchronously in its group commit, or by the Kysely store over any dialect.
 */

/**
 * Stores a delivery with the runs it starts; a delivery id seen before starts nothing and answers the
 * first run ids, saying whether it was stored with another event (a stored delivery without a hash,
 * from before migration 0018, is taken as the same event, as it was then).
 */
export function* ingestWork(q: StoreQueries, delivery: NewDelivery, runs: readonly NewRun[]): StoreWork<IngestResult> {
  const planned = runs.map((r) => r.id);
  const inserted = yield* exec(q.insertDelivery, { ...delivery, runIds: json(planned) });
  if (inserted.changes === 0) {
    const { rows } = yield* exec(q.storedDelivery, delivery);
    const stored = rows[0]!;
    const runIds = parse<string[]>(stored.run_ids).map(asRunId);
    return stored.event_hash === null || stored.event_hash === delivery.eventHash ? { duplicate: true, runIds } : { duplicate: true, runIds, differentEvent: true };
  }
  const runIds: RunId[] = [];
  const heldBack: HeldRun[] = [];
  for (const run of runs) {
    const stored = yield* insertRunWork(q, run);
    runIds.push(stored.id);
    if (stored.behind) heldBack.push({ runId: stored.id, behind: stored.behind });
  }
  // A run deduplicated onto an earlier one (same recipe and dedup key) answers that run's id.
  if (runIds.some((id, i) => id !== planned[i])) yield* exec(q.setDeliveryRunIds, { ...delivery, runIds: json(runIds) });
  return heldBack.length > 0 ? { duplicate: false, runIds, heldBack } : { duplicate: false, runIds };
}

/**
 * Stores a run unless one of its recipe has its dedup key (that one is answered). A run whose
 * concurrency key an unfinished run holds is stored held back behind that run (`behind`): not due,
 * and not leased even when it came leased, until that run finishes (releaseHeldRunWork).
 */
export function* insertRunWork(q: StoreQueries, run: NewRun): StoreWork<{ id: RunId; created: boolean; behind?: RunId }> {
  const values = runValues(run);
  const inserted = yield* exec(q.insertRun, values);
  if (inserted.changes > 0) return { id: run.id, created: true };
  const { rows } = yield* exec(q.runIdByDedupKey, { recipe: run.recipe, dedupKey: run.dedupKey });
  if (rows[0]) return { id: asRunId(rows[0].id), created: false };
  // Not the dedup key: an unfinished run of the recipe holds the concurrency key.
  const live = run.concurrencyKey ? yield* keyHolderWork(q, run.recipe, run.concurrencyKey) : undefined;
  // That run finished between the insert and this read (PostgreSQL, another transaction): none holds the key now.
  if (!live) throw new Error(`run ${run.id} of ${run.recipe} was not stored, yet no run holds its dedup key or concurrency key (its id is taken, or the run that held the key finished meanwhile: deliver again)`);
  // Held back: not due (no wake time), not leased even when it came leased, out of the unique index
  // until releaseHeldRunWork lets it go. A conflict now is its dedup key, stored meanwhile.
  const held = yield* exec(q.insertRun, { ...values, held_back: 1, status: 'queued', wake_at: null, lease_owner: null, lease_until: null });
  if (held.changes > 0) return { id: run.id, created: true, behind: live };
  // Its dedup key was stored meanwhile (PostgreSQL, another transaction): that run is this one.
  const { rows: again } = yield* exec(q.runIdByDedupKey, { recipe: run.recipe, dedupKey: run.dedupKey });
  if (again[0]) return { id: asRunId(again[0].id), created: false };
  throw new Error(`run ${run.id} of ${run.recipe} was not stored behind run ${live}, and no run holds its dedup key (its id is taken)`);
}

/**
 * The run that holds `concurrencyKey` of `recipe`: not finished and not held back itself (a run held
 * behind it holds nothing). A new run of the key is held back behind it, and a failed run of the key
 * is not retried while it lives (retry-run.ts). Undefined when none does.
 */
export function* keyHolderWork(q: StoreQueries, recipe: string, concurrencyKey: string): StoreWork<RunId | undefined> {
  const { rows } = yield* exec(q.liveRunIdByConcurrencyKey, { recipe, concurrencyKey });
  return rows[0] ? asRunId(rows[0].id) : undefined;
}

/**
 * The run holding `concurrencyKey` finished (or was canceled) in this unit of work: the oldest run
 * held back behind it takes the key over and is due now. Nothing when none waits.
 */
export function* releaseHeldRunWork(q: StoreQueries, recipe: string, concurrencyKey: string, now: number): StoreWork<RunId | undefined> {
  const { rows } = yield* exec(q.heldRunIds, { recipe, concurrencyKey });
  for (const { id } of rows) {
    const released = yield* exec(q.releaseHeldRun, { id, now });
    if (released.changes > 0) return asRunId(id);
  }
  return undefined;
}

function runValues(run: NewRun) {
  return {
    id: run.id,
    recipe: run.recipe,
    recipe_version: run.recipeVersion,
    recipe_hash: run.recipeHash,
    trigger: json(run.trigger),
    dedup_key: run.dedupKey,
    correlation_key: run.correlationKey,
    cancel_on_event: run.cancelOnEvent,
    concurrency_key: run.concurrencyKey ?? null,
    held_back: 0,
    status: run.lease ? 'running' : 'queued',
    wake_at: run.wakeAt,
    lease_owner: run.lease?.owner ?? null,
    lease_until: run.lease?.until ?? null,
    error: null,
    created_at: run.createdAt,
    updated_at: run.createdAt,
    finished_at: null,
  };
}

/**
 * Leases due runs to `owner`. A run that still names a lease owner had a lease that lapsed (a turn ends
 * by clearing it, a restart frees its own): taking it is a takeover, reported as `takenOverFrom`.
 */
export function* claimDueRunsWork(
  q: StoreQueries,
  c: { now: number; owner: string; leaseMs: number; limit: number; skip?: ReadonlySet<string> },
): StoreWork<ClaimedRun[]> {
  const skip = c.skip ?? new Set<string>();
  const { rows: due } = yield* exec(q.dueRunIds, { now: c.now, limit: c.limit + skip.size });
  const claimed: ClaimedRun[] = [];
  for (const { id, lease_owner: seen } of due) {
    if (skip.has(id)) continue;
    if (claimed.length === c.limit) break;
    const { rows } = yield* exec(q.claimRun, { id, owner: c.owner, leaseUntil: c.now + c.leaseMs, now: c.now, seenOwner: seen ?? '' });
    if (rows[0]) claimed.push({ ...toRun(rows[0]), takenOverFrom: seen || null });
  }
  return claimed;
}

/** Leases one run to `owner` when it is due and free (or its lease lapsed): claimDueRunsWork for one id. */
export function* claimRunWork(q: StoreQueries, c: { id: RunId; now: number; owner: string; leaseMs: number }): StoreWork<ClaimedRun | undefined> {
  const run = yield* getRunWork(q, c.id);
  if (!run || run.finishedAt !== null || run.wakeAt === null || run.wakeAt > c.now) return undefined;
  if (run.leaseUntil !== null && run.leaseUntil >= c.now) return undefined;
  const { rows } = yield* exec(q.claimRun, { id: c.id, owner: c.owner, leaseUntil: c.now + c.leaseMs, now: c.now, seenOwner: run.leaseOwner ?? '' });
  return rows[0] ? { ...toRun(rows[0]), takenOverFrom: run.leaseOwner || null } : undefined;
}

/** Ends a turn: the run's new status and the journal entries held back, or nothing if the lease was lost. */
export function* finishTurnWork(q: StoreQueries, id: RunId, owner: string, turn: TurnOutcome): StoreWork<boolean> {
  const done = FINISHED_STATUSES.includes(turn.status);
  const updated = yield* exec(q.finishTurn, {
    id,
    owner,
    status: turn.status,
    done: done ? 1 : 0,
    wakeAt: turn.wakeAt,
    error: turn.error ? json(turn.error) : null,
    now: turn.now,
    finishedAt: done ? turn.now : null,
  });
  if (updated.changes === 0) return false;
  if (turn.parked) yield* exec(q.parkRun, { id, system: turn.parked.system, since: turn.parked.since });
  else if (turn.parked === null) yield* exec(q.unparkRun, { id });
  for (const entry of turn.journal ?? []) yield* upsertJournalWork(q, entry);
  if (done && turn.concurrencyKey) yield* releaseHeldRunWork(q, turn.concurrencyKey.recipe, turn.concurrencyKey.key, turn.now);
  return true;
}

/** Makes the unfinished runs parked on `system` due at `now` (Store.wakeParkedRuns); answers how many. */
export function* wakeParkedRunsWork(q: StoreQueries, system: string, now: number, limit: number): StoreWork<number> {
  const updated = yield* exec(q.wakeParkedRuns, { system, now, within: now + PARK_STILL_WITHIN_MS, limit });
  return updated.changes;
}

/**
 * Writes journal entries of a run this owner holds; false (no entry written) if it no longer holds it.
 * The outbox's `sent` records are written either way: the provider took those messages.
 */
export function* writeJournalWork(q: StoreQueries, entries: readonly JournalEntry[], owner: string, outboxSent: readonly OutboxSentRecord[] = []): StoreWork<boolean> {
  const { rows } = yield* exec(q.heldRun, { id: entries[0]!.runId, owner });
  for (const sent of outboxSent) yield* exec(q.markOutboxSent, { key: sent.key, providerMessageId: sent.providerMessageId, sentAt: sent.sentAt, message: json(sent.message) });
  if (rows.length === 0) return false;
  for (const entry of entries) yield* upsertJournalWork(q, entry);
  return true;
}

/**
 * Stores an outbox message under its key unless one is there (the first writer wins), taken for its
 * first attempt when `take` is given, and the approval its links are for with it; answers the stored
 * message, `taken` when this call stored it.
 */
export function* enqueueOutboxWork(q: StoreQueries, message: NewOutboxMessage, wanted?: OutboxTake, approval?: NewApproval): StoreWork<OutboxMessage & { taken?: boolean }> {
  // Taken only by the turn that holds the run: a stale turn (its run taken over, its `running` entry
  // refused in this same commit) stores the message pending, for the run's next attempt to take.
  const held = wanted?.owner && message.runId ? (yield* exec(q.heldRun, { id: message.runId, owner: wanted.owner })).rows.length > 0 : true;
  const take = held ? wanted : undefined;
  const inserted = yield* exec(q.insertOutbox, {
    key: message.key,
    run_id: message.runId,
    message: json(message.message),
    status: take ? 'sending' : 'pending',
    attempts: take ? 1 : 0,
    provider_message_id: null,
    last_error: null,
    created_at: message.createdAt,
    sent_at: null,
    sending_since: take ? take.now : null,
    sending_owner: take ? take.owner : null,
  });
  if (approval && inserted.changes > 0) {
    yield* exec(q.insertApproval, {
      token_hash: approval.tokenHash,
      approval_id: approval.id ?? null,
      run_id: approval.runId,
      signal: approval.signal,
      approver_email: approval.approverEmail,
      approver_name: approval.approverName,
      subject: approval.subject,
      expires_at: approval.expiresAt,
      created_at: approval.createdAt,
      used_at: null,
      decision: null,
    });
  }
  const { rows } = yield* exec(q.outboxByKey, { key: message.key });
  const stored = toOutbox(rows[0]!);
  return take && inserted.changes > 0 ? { ...stored, taken: true } : stored;
}

/** Inserts or replaces a journal entry; a signal that arrived before its step was written answers it now. */
function* upsertJournalWork(q: StoreQueries, entry: JournalEntry): StoreWork<void> {
  let row = journalRow(entry);
  if (entry.status === 'waiting' && entry.wait?.kind === 'signal') {
    // The answer may have come before the step was written (a very quick click): take it now.
    const { rows } = yield* exec(q.takeEarlySignal, { runId: entry.runId, signal: entry.wait.signal });
    if (rows[0]) {
      row = { ...row, status: 'completed', output: rows[0].output, finished_at: entry.startedAt };
      yield* exec(q.markPoked, { id: entry.runId });
    }
  }
  yield* exec(entry.inputAsStored ? q.upsertJournalKeepInput : q.upsertJournal, row);
}

export function* getRunWork(q: StoreQueries, id: RunId): StoreWork<Run | undefined> {
  const { rows } = yield* exec(q.runById, { id });
  return rows[0] && toRun(rows[0]);
}

export function* getJournalWork(q: StoreQueries, runId: RunId): StoreWork<JournalEntry[]> {
  const { rows } = yield* exec(q.journalOf, { runId });
  return rows.map(toJournalEntry);
}

export function* findRunsToCancelWork(q: StoreQueries, event: string, correlationKey: string): StoreWork<RunId[]> {
  const { rows } = yield* exec(q.runsToCancel, { event, correlationKey });
  return rows.map((r) => asRunId(r.id));
}

export function* findWaitingForEventWork(q: StoreQueries, event: string, key: string): StoreWork<Array<{ runId: RunId; stepKey: StepKey }>> {
  const { rows } = yield* exec(q.waitingForEvent, { event, key });
  return rows.map((r) => ({ runId: asRunId(r.run_id), stepKey: asStepKey(r.step_key) }));
}
