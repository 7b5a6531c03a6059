import type { ClaimTitleKeysProgress, DropClaimTitleKeysInput, SaveClaimTitleKeysInput } from './claim-title-keys.ts';
import type { WakeHandler, WakeSubscription } from './wake-notifications.ts';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import type { TimeoutIsFinal } from './approval-link-lifetime.ts';
import type { RunId, StepKey } from '../engine/ids.ts';
import type { TellOnChangeInput, TellOnChangeOutcome } from './told-changes.ts';
import type { RunsAwaitingRetry } from './runs-awaiting-retry.ts';
import type { AwaitingOperator } from './awaiting-operator.ts';
import type { BudgetRelease, BudgetReservation, ReleaseBudgetInput, ReserveBudgetInput } from './budget-reservations.ts';
import type { FinishPollInput, PollCursor, SavePollPageInput, TakePollInput } from './poll-cursors.ts';
import type { SaveSyncBasesInput, SyncBases, SyncRecordRef } from './sync-bases.ts';
import type { RateBudgetCall, RateBudgetSlot, RateBudgetTake, TakeRateBudgetInput } from './rate-budgets.ts';
import type { SyncTimerOffsetsInput, SyncTimerOffsetsOutcome } from './business-timer-offsets.ts';
import type { ConsoleSession, RecipeStatusCount } from './console-queries.ts';
import type { BusinessTimer, CancelTimersInput, CancelTimersOutcome, FiredTimer, RecomputeTimersInput, RecomputeTimersOutcome, RunForTimer } from './business-timers-store.ts';
import type { ListTimerStopsInput, LiftTimerStopInput, LiftTimerStopOutcome, TimerStop } from './business-timer-stops.ts';
import type { StopperStampInput } from './business-timer-stoppers.ts';
import type { TakeWorkerIdInput, TakeWorkerIdOutcome, WorkerInstance } from './worker-instances.ts';
import type { RetryOutcome, RetryRefusal } from './retry-refusal.ts';

export type { TellOnChangeInput, TellOnChangeOutcome } from './told-changes.ts';
export type { RunsAwaitingRetry } from './runs-awaiting-retry.ts';
export type { AwaitingOperator } from './awaiting-operator.ts';
export type { BudgetRelease, BudgetReservation, ReleaseBudgetInput, ReserveBudgetInput } from './budget-reservations.ts';
export type { FinishPollInput, PollCursor, SavePollPageInput, TakePollInput } from './poll-cursors.ts';
export type { RateBudgetCall, RateBudgetSlot, RateBudgetTake, TakeRateBudgetInput } from './rate-budgets.ts';
export type { SaveSyncBasesInput, SyncBase, SyncBases, SyncRecordRef } from './sync-bases.ts';
export type { OffsetFireTimes, SyncTimerOffsetsInput, SyncTimerOffsetsOutcome } from './business-timer-offsets.ts';
export type { ConsoleSession, RecipeStatusCount } from './console-queries.ts';
export type { BusinessTimer, BusinessTimerStatus, DeferTimer, CancelTimersInput, CancelTimersOutcome, FiredTimer, RecomputeTimersInput, RecomputeTimersOutcome, RunForTimer } from './business-timers-store.ts';
export type { ListTimerStopsInput, LiftTimerStopInput, LiftTimerStopOutcome, TimerStop, TimersPlan } from './business-timer-stops.ts';
export type { StopperStampInput } from './business-timer-stoppers.ts';
export type { TakeWorkerIdInput, TakeWorkerIdOutcome, WorkerInstance } from './worker-instances.ts';
export type { RetryOutcome, RetryRefusal } from './retry-refusal.ts';

/**
 * The one persistence interface of the runtime. Two implementations (SQLite embedded, PostgreSQL for
 * several replicas) pass the same contract suite (`store.contract.ts`). Times are epoch milliseconds.
 *
 * Every method that changes a run while a worker executes it takes the worker's lease `owner`: a worker
 * whose lease was taken over (it stalled, the process was presumed dead) can no longer write, so a run
 * is never advanced by two workers at once.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  close(): Promise<void>;
  /**
   * Resolves when the store answers a trivial query (`GET /healthz`). On PostgreSQL on a connection of
   * its own: a pool busy with slow statements is not a database that does not answer.
   */
  ping(): Promise<void>;
  /** The connection pool's use (PostgreSQL): connections busy, and queries waiting for one. Absent on SQLite. */
  poolUse?(): { inUse: number; waiting: number };
  /**
   * Hears of runs made due by any process on this store (PostgreSQL: LISTEN/NOTIFY, wake-notifications.ts),
   * so the worker needs no fast poll. Absent on SQLite: one process, whose worker is woken in memory.
   */
  listenForWakeups?(onWake: WakeHandler, log?: Logger): WakeSubscription;

  // ── Recipes ───────────────────────────────────────────────────────────────────────────────
  /** Saves a recipe version if its hash is new. Runs point at the hash, so they stay on their version. */
  saveRecipeVersion(version: RecipeVersion): Promise<void>;
  getRecipeVersion(hash: string): Promise<RecipeVersion | undefined>;

  // ── Ingest ────────────────────────────────────────────────────────────────────────────────
  /**
   * Records a delivery and creates its runs in one transaction, before the sender gets its 2xx.
   * A delivery seen before (same source and delivery id, also concurrently) creates nothing and returns
   * the first delivery's run ids with `duplicate: true`, and `differentEvent: true` when the first
   * delivery was stored with another event hash. A run whose (recipe, dedupKey) exists already
   * is not created again; its existing id is returned in its place.
   */
  ingest(delivery: NewDelivery, runs: NewRun[]): Promise<IngestResult>;
  /** Creates one run outside a delivery (schedule, CLI `run`), deduplicated on (recipe, dedupKey). */
  createRun(run: NewRun): Promise<{ id: RunId; created: boolean; behind?: RunId }>;

  // ── Runs ──────────────────────────────────────────────────────────────────────────────────
  getRun(id: RunId): Promise<Run | undefined>;
  /** Newest first. `before` pages: pass the last id of the previous page. */
  listRuns(query: RunQuery): Promise<Run[]>;
  /**
   * listRuns as a list shows runs (`GET /runs`, the console): each trigger without its data, which may be
   * megabytes (a lead import's rows), but with its size, and the data itself only when it is small
   * (run-summaries.ts). The data is measured and left out in the store's query, not after reading it.
   */
  listRunSummaries(query: RunQuery): Promise<RunSummary[]>;
  /**
   * Leases up to `limit` runs that are due: status queued, running or waiting, `wakeAt <= now`, and no
   * live lease (a lease past `leaseUntil` belonged to a worker that died). Claimed runs get status
   * `running`. Two concurrent callers never claim the same run, and runs in `skip` (the caller's own
   * turns still under way) are not claimed again. `owner` is the lease's holder: the engine makes one per
   * claim (`<worker id>~<nonce>`), so a turn that lost its run can never write as the turn that took it.
   * A run whose lapsed lease still named an owner is a takeover: `takenOverFrom` names that owner
   * (`/metrics`: partnerflow_lease_takeovers_total); a run freed by a finished turn or a restart is not.
   */
  claimDueRuns(query: { now: number; owner: string; leaseMs: number; limit: number; skip?: ReadonlySet<string> }): Promise<ClaimedRun[]>;
  /** Leases the run `id` to `owner` as claimDueRuns would, when it is due at `now` and nobody holds it; undefined otherwise (`partnerflow run`). */
  claimRun(query: { id: RunId; now: number; owner: string; leaseMs: number }): Promise<ClaimedRun | undefined>;
  /**
   * Frees every lease held by worker `workerId` (owner `workerId` or `workerId~…`). A start does this as
   * part of takeWorkerId, once no live process holds its stable worker id: leases under that id belonged
   * to its previous incarnation, which is dead, so its runs resume at once instead of when the leases run out.
   */
  releaseLeases(workerId: string, now: number): Promise<number>;

  // ── Worker ids held by live processes (worker-instances.ts, engine/worker-id-claim.ts) ──────
  /** The process holding worker id `workerId` now, with its last heartbeat; undefined when none does. */
  workerInstance(workerId: string): Promise<WorkerInstance | undefined>;
  /**
   * Takes worker id `workerId` for this process (`instanceId`) when no one holds it (`from` null) or when
   * its holder has not beaten since it was read as `from`, and frees that id's run leases (releaseLeases),
   * in one transaction. `{ taken: false }` (nothing written) when someone else holds it now.
   */
  takeWorkerId(input: TakeWorkerIdInput): Promise<TakeWorkerIdOutcome>;
  /** This instance's heartbeat; false when the id is no longer its own (taken over, or gone). */
  beatWorkerId(input: { workerId: string; instanceId: string; now: number }): Promise<boolean>;
  /** A clean stop gives its worker id up (its row only), so the next start takes it without waiting. */
  leaveWorkerId(input: { workerId: string; instanceId: string }): Promise<void>;
  /** Extends a lease still held by `owner`; false when it was lost. */
  renewLease(id: RunId, owner: string, leaseUntil: number): Promise<boolean>;
  /**
   * Ends a worker's turn on a run: writes its new status, wake time and error, the journal entries the
   * turn still holds, and releases the lease, in one transaction. Refused (false, nothing written) when
   * `owner` no longer holds the lease or the run was canceled meanwhile.
   */
  finishTurn(id: RunId, owner: string, turn: TurnOutcome): Promise<boolean>;
  /**
   * Cancels a run that has not finished; its waits and approval links die with it. False if it had
   * finished. With `failed`, also a run that failed at a step (one `retryRun` would resume): an event
   * that cancels the run's work (D12) must also stop a later retry from doing it, and an operator closes
   * out a failure that will not be retried. A run that
   * completed, was canceled or that its recipe stopped as failed is left as it is. Another replica's
   * change to the run while the cancel decides (an operator's retry, a worker's claim or turn's end)
   * comes after it and finds the run canceled: it is never lost to that change.
   */
  cancelRun(id: RunId, now: number, reason: string, options?: { failed?: boolean }): Promise<boolean>;
  /**
   * Puts a failed run back in the queue to continue from its failed step: that step's journal entry is
   * removed, or, when it kept progress (its output: ActionContext.saveProgress), kept with it and made
   * due now with a new retry budget; completed steps, and failures an `on_error` handled, stay
   * journaled and are not repeated.
   * Refused, with the reason (RetryRefusal), unless it had failed at a step (a run its recipe stopped
   * as failed would only stop again; one whose trigger failed ran no step), and while another run of
   * its recipe holds its concurrency key (not held back, not finished): that run is named. With
   * `onVersion`, the run goes on as that version of its recipe (an operator fixed the recipe that failed it).
   */
  retryRun(id: RunId, now: number, onVersion?: { recipeHash: string; recipeVersion: number }): Promise<RetryOutcome>;
  /**
   * What `retryRun` would answer now, without retrying: its refusal (another run holding the run's
   * concurrency key named), or undefined when it would go ahead. The console's confirmation page says it
   * before its button; the retry decides again, so a run that takes the key in between still refuses it.
   */
  retryRefusal(id: RunId): Promise<RetryRefusal | undefined>;
  /**
   * Runs whose recipe cancels on `event` for this correlation key and that may still act: those not
   * finished, and failed ones (a retry would resume them; `cancelRun` with `failed` tells which can).
   */
  findRunsToCancel(event: string, correlationKey: string): Promise<RunId[]>;
  /**
   * The earliest `wakeAt` of any unfinished run, or null: lets a virtual clock jump to the next timer.
   * With `after` (a replica arming its wake timer), the earliest time later than `after` at which a run
   * may become claimable: a `wakeAt`, or the first moment after a running run's lease ends (`leaseUntil`
   * + 1), since a lease that lapses because its replica died is announced by nobody.
   */
  nextWakeAt(after?: number): Promise<number | null>;
  /**
   * The due backlog: runs a claim would take at `now` (due, no live lease), counted up to `cap` (the
   * count costs a row per due run), and the earliest wake time among them, or null when none is due.
   * Webhook backpressure and `/metrics` read it.
   */
  dueBacklog(query: { now: number; cap: number }): Promise<DueBacklogCount>;
  /**
   * Makes at most `limit` of the runs parked on `system` (TurnOutcome.parked; see isParkedNow) due at
   * `now`, those due later only, parked longest first: the system answers again, so they need not wait
   * out their park. Answers how many.
   */
  wakeParkedRuns(system: string, now: number, limit: number): Promise<number>;
  /**
   * Unfinished runs with a wake time, soonest first, then by id (`GET /timers`); `after` pages on
   * from the last one listed, runs that wake at the same time included.
   */
  listUpcoming(query: { limit: number; after?: { wakeAt: number; runId: RunId } }): Promise<UpcomingWake[]>;

  // ── Journal ───────────────────────────────────────────────────────────────────────────────
  /** A run's journal in the order the steps were first written. */
  getJournal(runId: RunId): Promise<JournalEntry[]>;
  /**
   * Inserts or replaces the entries for (runId, stepKey), all of one run, in one transaction; refused
   * (false) unless `owner` holds the lease. `outboxSent`: messages a provider took during the step,
   * recorded `sent` in the same transaction (one commit, not two), whether or not the lease is held:
   * they went out either way.
   */
  writeJournal(entries: readonly JournalEntry[], owner: string, also?: { outboxSent?: readonly OutboxSentRecord[] }): Promise<boolean>;
  /**
   * Completes a step that is `waiting` (compare-and-set on its status) and makes the run due now.
   * Whoever completes it first wins: an approval decided at the moment its deadline passes is either
   * the decision or the timeout, never both. False when the step was not waiting.
   */
  completeWaitingStep(input: { runId: RunId; stepKey: StepKey; output: unknown; now: number }): Promise<boolean>;
  /** Waiting steps of active runs that wait for this external event and key (`wait_for` with `event`). */
  findWaitingForEvent(event: string, key: string): Promise<Array<{ runId: RunId; stepKey: StepKey }>>;

  // ── Approvals ─────────────────────────────────────────────────────────────────────────────
  getApproval(tokenHash: string): Promise<Approval | undefined>;
  /**
   * Decides an approval once, atomically: marks the token used and completes the run's step that waits
   * on the token's signal with `{ timed_out: false, decision, approver, comment, decided_at }`. When the
   * run has not reached that step yet (the approver clicked within milliseconds of the email), the
   * decision waits in the run's signal inbox and answers the step when it is written. Once any link of a
   * signal decided, the other links of that signal (approver and manager) answer `used`.
   * Anything else changes nothing and says why.
   */
  /**
   * `timeoutIsFinal`: whether no wait on the approval's signal can follow a timed-out wait any more, from
   * the run's recipe (engine/final-signal-waits.ts); a click after such a timeout is `closed`.
   * `signalAwaited: false`: no `wait_for` of the run's recipe takes the approval's signal at all
   * (engine/awaited-signal.ts), so no step would ever read a decision; a click is `closed`. Default true.
   * Rejects with StoreUnavailableError when nothing was recorded, and with CommitOutcomeUnknownError
   * (a kind of it) when the commit's answer was lost: the decision may have been recorded.
   */
  decideApproval(input: { tokenHash: string; decision: ApprovalDecision; comment?: string; now: number; timeoutIsFinal?: TimeoutIsFinal; signalAwaited?: boolean }): Promise<DecideOutcome>;

  // ── Outbox ────────────────────────────────────────────────────────────────────────────────
  /**
   * Stores a message under its unique key unless one exists, and returns the stored one: the first
   * writer wins, so a step repeated after a crash finds its message instead of writing another.
   * An approval created with it is stored in the same transaction (its link is in the message).
   */
  enqueueOutbox(message: NewOutboxMessage, approval?: NewApproval, take?: OutboxTake): Promise<OutboxMessage & { taken?: boolean }>;
  getOutbox(key: string): Promise<OutboxMessage | undefined>;
  /**
   * Takes a message for one send attempt: marks it `sending` since `now` with one more attempt, only if
   * it is still as the caller read it (status and attempts). False when another sender took it first:
   * two callers never both hand one message to the provider.
   */
  takeOutboxForSending(key: string, seen: { status: OutboxStatus; attempts: number }, now: number, owner?: string | null): Promise<boolean>;
  /**
   * Whether a run lease is held by `owner`: `held` (live), `lapsed` (past its time, not yet taken
   * over or freed) or `gone` (the turn ended, its run was taken over, or a restart freed it).
   */
  leaseState(owner: string, now: number): Promise<'held' | 'lapsed' | 'gone'>;
  /**
   * Changes a message. With `expected`, only while it still has that status and attempt count (an
   * operator's decision on what they read: two conflicting decisions never both apply); answers whether
   * it changed.
   */
  updateOutbox(key: string, patch: OutboxPatch, expected?: { status: OutboxStatus; attempts: number }): Promise<boolean>;
  /**
   * Gives back a take of `owner`'s lease that was never handed to the provider: `sending` → `pending`,
   * only while the message is still `sending` under that lease. False when it no longer is.
   */
  releaseOutboxTake(key: string, owner: string): Promise<boolean>;

  // ── Tell on change ────────────────────────────────────────────────────────────────────────
  /**
   * Records, atomically, that `value` is about to be told about `subject`, unless it is what was told
   * last (D11, D12: echoes and redeliveries tell nothing, every real change is told). See told-changes.ts.
   */
  tellOnChange(input: TellOnChangeInput): Promise<TellOnChangeOutcome>;

  /** Per recipe, unfinished runs waiting to retry a failed step (`/metrics`: a sync behind an outage). */
  runsAwaitingRetry(): Promise<RunsAwaitingRetry[]>;
  /** Failed runs per recipe and emails waiting for an operator's decision (`/metrics`: what ops must act on). */
  awaitingOperator(): Promise<AwaitingOperator>;

  // ── Budget reservations (D13) ───────────────────────────────────────────────────────────
  /**
   * Reserves `amountCents` in `pool` for `holder` only if the pool's reserved total plus the amount fits
   * `capCents`, atomically, also across replicas; a holder answered before gets its stored answer. See
   * budget-reservations.ts.
   */
  reserveBudget(input: ReserveBudgetInput): Promise<BudgetReservation>;
  /** Gives a holder's reservation(s) back and forgets its answers; releasing nothing is not an error. */
  releaseBudget(input: ReleaseBudgetInput): Promise<BudgetRelease>;

  // ── Poll cursors (the `poll` trigger, poll-cursors.ts) ──────────────────────────────────────
  /**
   * Takes a due poll of `recipe` by compare-and-set on its cursor (created on first sight, due at
   * once): its watermark, or null when it is not due or another process holds it (replicas poll once).
   */
  takePoll(input: TakePollInput): Promise<{ watermark: string | null } | null>;
  /**
   * Writes one page of a poll, its runs (deduplicated on (recipe, dedupKey)) and the watermark after
   * it, in one transaction; null (nothing written) when `owner` no longer holds the poll.
   */
  savePollPage(input: SavePollPageInput): Promise<{ created: number } | null>;
  /** Releases the poll and sets the next poll time; a failed poll counts its failure and keeps the watermark. */
  finishPoll(input: FinishPollInput): Promise<boolean>;
  /** Every poll recipe's cursor, by recipe name. */
  listPollCursors(): Promise<PollCursor[]>;

  // ── Sync bases (D1, two-way sync; sync-bases.ts) ──────────────────────────────────────────
  /** The values of a record's fields both sides last agreed on, by field; a field never synced is absent. */
  syncBases(ref: SyncRecordRef): Promise<SyncBases>;
  /** Moves the bases of the given fields of a record (other fields keep theirs), in one transaction. */
  saveSyncBases(input: SaveSyncBasesInput): Promise<void>;

  // ── Claim title keys (D15, unique titles; claim-title-keys.ts) ─────────────────────────────
  /** Where the keys of this claimTitleKey version are caught up to with the PRM: the catch-up's watermark. */
  claimTitleKeysProgress(version: number): Promise<ClaimTitleKeysProgress>;
  /** The ids of the claims kept with this title key, lowest first. */
  claimIdsWithTitleKey(titleKey: string): Promise<number[]>;
  /** Keeps claims' title keys; a key read from an older state than the one kept is ignored. One transaction. */
  saveClaimTitleKeys(input: SaveClaimTitleKeysInput): Promise<void>;
  /** Drops the keys of other versions kept before `seenBefore` (claims a complete catch-up no longer listed); how many. */
  dropClaimTitleKeysOfOtherVersions(input: DropClaimTitleKeysInput): Promise<number>;

  // ── Rate budgets shared across replicas (rate-budgets.ts) ─────────────────────────────────
  /**
   * Takes, for one call, a slot in flight (leased to `holder` for `leaseMs`) and a start in the sliding
   * window, atomically and across replicas, or neither: then says whether the window or the calls in
   * flight are full and when to look again.
   */
  takeRateBudget(input: TakeRateBudgetInput): Promise<RateBudgetTake>;
  /** A call ended at `now`: frees its slot, and its window row counts it from its end; false when the slot was no longer the holder's. */
  releaseRateBudget(call: RateBudgetCall & { now: number }): Promise<boolean>;
  /** Extends a running call's lease on its slot; false when another call took the slot meanwhile. */
  renewRateBudget(input: RateBudgetSlot & { leaseUntil: number }): Promise<boolean>;

  // ── Business timers (the `timer` trigger; business-timers-store.ts) ─────────────────────────
  /** Applies a record's latest event to its timers in one transaction, by the recompute rules. */
  recomputeBusinessTimers(input: RecomputeTimersInput): Promise<RecomputeTimersOutcome>;
  /**
   * Cancels a record's pending timers (`stop`: for good, later events recompute nothing); with `asOf`,
   * only when no newer state of the record was applied, and the stamp is kept. How many were pending.
   */
  cancelBusinessTimers(input: CancelTimersInput): Promise<CancelTimersOutcome>;
  /**
   * The stops a stopper (stop_on `by`: a claim) left on keys other than the one it carries now, each
   * with the record's last state to compute its timers from (`liftBusinessTimerStop`). Reads only.
   */
  listBusinessTimerStops(input: ListTimerStopsInput): Promise<TimerStop[]>;
  /**
   * Lifts one of those stops and, when nothing else stops the record, writes the timers computed from
   * its state, in one transaction: a failure leaves the stop for the event's next delivery to lift.
   * Lifts nothing (`changed`) when the marker's state is no longer the one read.
   */
  liftBusinessTimerStop(input: LiftTimerStopInput): Promise<LiftTimerStopOutcome>;
  /**
   * D14: takes a stopper event's stamp (stop_on `as_of`) as the newest of that stopper's events for the
   * recipe, unless a newer one was taken: false then, and the event stops or lifts nothing (a late one).
   */
  takeBusinessTimerStopperStamp(input: StopperStampInput): Promise<boolean>;
  /**
   * Turns up to `limit` due timers into runs and marks them fired, in one transaction; a timer fires
   * once whatever the number of replicas or crashes (compare-and-set on its status, run dedup key).
   */
  fireDueBusinessTimers(input: { now: number; limit: number; runFor: RunForTimer }): Promise<FiredTimer[]>;
  /** The earliest fire time of a pending timer, or null. */
  nextBusinessTimerAt(): Promise<number | null>;
  /** Pending timers, soonest first (`GET /timers`); `after` is the last one of the previous page. */
  listBusinessTimers(query: { limit: number; after?: { fireAt: number; id: number } }): Promise<BusinessTimer[]>;
  /**
   * Applies a timer's offsets table as ops left it to the pending timers (at start): offsets gone are
   * canceled, new ones added to every record with a pending timer (skipped when already past).
   */
  syncBusinessTimerOffsets(input: SyncTimerOffsetsInput): Promise<SyncTimerOffsetsOutcome>;
  /** A record's timers in every status, by offset. */
  recordBusinessTimers(query: { recipe: string; key: string }): Promise<BusinessTimer[]>;

  // ── Ops console (server/console; console-queries.ts) ──────────────────────────────────────
  /** The `waiting` journal entries of these runs: what each waits for, and until when. */
  waitingSteps(runIds: readonly RunId[]): Promise<JournalEntry[]>;
  /** The failed steps of these runs that will be tried again (`nextAttemptAt` set). */
  retryingSteps(runIds: readonly RunId[]): Promise<JournalEntry[]>;
  /** Approval links of these runs not used yet, oldest first. */
  openApprovals(runIds: readonly RunId[]): Promise<Approval[]>;
  /** Runs per recipe and status created at or after `since` (a range of the primary key). */
  runCountsSince(since: number): Promise<RecipeStatusCount[]>;
  /** Stores a console login (its id's hash, CSRF token and expiry); drops expired ones. */
  createConsoleSession(session: ConsoleSession): Promise<void>;
  /** The live console session with this id hash at `now`, or undefined. */
  consoleSession(idHash: string, now: number): Promise<ConsoleSession | undefined>;
  /** Ends a console session (logout): its cookie is refused from then on, by every replica. */
  deleteConsoleSession(idHash: string): Promise<void>;
}

export type RunStatus = 'queued' | 'running' | 'waiting' | 'completed' | 'failed' | 'canceled';
/** At most this long between two tries of a parked run (worker-slots.ts, parkFor): a PRM call's own timeout (30 s). */
export const PARK_MAX_MS = 30_000;

/**
 * A run's park marker (parked_on, parked_since) counts only while the run is parked now: waiting, due
 * again within PARK_MAX_MS. A replica of a previous version (a rolling deploy, a rollback) ends a turn
 * without clearing the marker; the run may then wait days for an approval, or for no timer at all, and
 * must not count as parked (the due backlog, the wake of its system) for as long.
 */
export const PARK_STILL_WITHIN_MS = PARK_MAX_MS;

export const FINISHED_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'canceled'];

export interface RecipeVersion {
  name: string;
  version: number;
  /** sha256 of the canonical JSON of the definition. */
  hash: string;
  definition: unknown;
  createdAt: number;
}

export interface TriggerRecord {
  /** `webhook`, `schedule`, `poll`, `timer` or `manual`. */
  type: string;
  /** The event name, e.g. `prm.mdf_request.submitted`. */
  event?: string;
  source?: string;
  deliveryId?: string;
  receivedAt: number;
  data: unknown;
  /**
   * The recipe's trigger could not be computed for this event (its filter threw, a key computed
   * nothing): the run fails at its first turn with this message and no step runs. The other recipes on
   * the event start as usual (webhook-trigger.ts).
   */
  expressionError?: string;
}

export interface NewRun {
  id: RunId;
  recipe: string;
  recipeVersion: number;
  recipeHash: string;
  trigger: TriggerRecord;
  /** Runs of one recipe with the same dedup key are one run. */
  dedupKey: string;
  /** Business key (e.g. the MDF number) that events use to find this run. */
  correlationKey: string | null;
  /** Event name that cancels this run when it arrives with the same correlation key. */
  cancelOnEvent: string | null;
  /**
   * While this run has not finished, no other run of its recipe with this key goes on: one stored
   * meanwhile (another dedup key) is held back, not due, until this one finishes, and then the oldest
   * held run goes on (the trigger's `concurrency_key`). None when absent.
   */
  concurrencyKey?: string | null;
  /** When the run may start; defaults to now. */
  wakeAt: number;
  createdAt: number;
  /**
   * Stored already leased (status `running`) to the replica that stores it and starts its turn at
   * once: no claim needed, and no replica is notified of it (engine `deliver` on a store that notifies).
   */
  lease?: { owner: string; until: number };
}

export interface Run extends Omit<NewRun, 'wakeAt' | 'lease'> {
  status: RunStatus;
  /**
   * Stored while another run of its recipe held its concurrency key: not due until that run finishes,
   * when the oldest held run takes the key over (and is no longer held back). False for any other run,
   * and for a held run canceled before it took the key over.
   */
  heldBack: boolean;
  /** When the run is due next; null while only a signal or event can resume it, and once it finished. */
  wakeAt: number | null;
  leaseOwner: string | null;
  leaseUntil: number | null;
  error: RunError | null;
  updatedAt: number;
  finishedAt: number | null;
  /**
   * The system whose call the run's last turn did not make because that system already had half the
   * worker's turns waiting on it (worker-slots.ts, SystemParks); null when its last turn was not parked.
   */
  parkedOn: string | null;
  /** When a parked run first became due (its age in the due backlog); null when not parked. */
  parkedSince: number | null;
}

/**
 * A run's trigger as a list shows it: its data only when small (LISTED_TRIGGER_DATA_MAX_BYTES, e.g. an
 * MDF request), else absent; `dataBytes`, the size of the data's JSON text, always.
 */
export interface TriggerSummary extends Omit<TriggerRecord, 'data'> {
  dataBytes: number;
  data?: unknown;
}

/** A run as a list shows it (Store.listRunSummaries). */
export interface RunSummary extends Omit<Run, 'trigger'> {
  trigger: TriggerSummary;
}

/** A run as a claim leased it. */
export interface ClaimedRun extends Run {
  /** The owner of the lease this claim replaced, when that lease had lapsed (a takeover); null when the run was free. */
  takenOverFrom: string | null;
}

/** The error name of a run its recipe ended with `stop` and status failed. */
export const STOPPED_BY_RECIPE = 'Stopped';

/**
 * The error name of a run its recipe's trigger could not be computed for, for its event
 * (webhook-trigger.ts): it ran no step and has no keys, so a retry would fail the same way.
 */
export const TRIGGER_EXPRESSION_ERROR = 'TriggerExpressionError';

export interface RunError {
  name: string;
  message: string;
  stepKey?: string;
}

export interface TurnOutcome {
  status: RunStatus;
  /** When to pick the run up again (a wait, a timeout, a retry backoff); null when only a signal or event can resume it, or it finished. */
  wakeAt: number | null;
  error?: RunError | null;
  now: number;
  /** Journal entries written with the outcome (steps with no outside effect, kept back to save commits). */
  journal?: readonly JournalEntry[];
  /** The concurrency key the run holds: when it finishes, the oldest run held back behind it is let go. */
  concurrencyKey?: { recipe: string; key: string };
  /**
   * The turn did not make its call to `system`, which had half the worker's turns waiting on it: the
   * run is parked (the system kept, and `since`, when it first became due, unless it was parked
   * already). Null: the run was parked and this turn was not (it no longer is). Absent: no change (a
   * run that was not parked).
   */
  parked?: { system: string; since: number } | null;
}

export interface RunQuery {
  status?: RunStatus;
  recipe?: string;
  /** The business key (an MDF number, a claim, a lead): runs_correlation (correlation_key, id). */
  correlationKey?: string;
  /** Only these runs (by primary key): the runs of a page listed elsewhere, such as the console's timers. */
  ids?: readonly RunId[];
  limit: number;
  before?: RunId;
}

export interface DueBacklogCount {
  /** Due runs, at most the cap asked for. */
  count: number;
  /** The earliest `wakeAt` of a due run, or `parkedSince` of a parked one: how late the oldest one is. */
  oldestWakeAt: number | null;
  /** Of `count`, the runs parked on a system that had half a worker's turns waiting on it (TurnOutcome.parked). */
  parked: number;
}

export interface UpcomingWake {
  runId: RunId;
  recipe: string;
  status: RunStatus;
  wakeAt: number;
  /** The waiting step, when the run waits in one. */
  stepKey: StepKey | null;
}

export interface NewDelivery {
  source: string;
  deliveryId: string;
  event: string;
  receivedAt: number;
  /** What the delivery carried (`deliveryEventHash`): its id used again with another hash is another event. */
  eventHash: string;
}

export interface IngestResult {
  /** The delivery id was stored before: nothing was stored now, and `runIds` are the first delivery's. */
  duplicate: boolean;
  runIds: RunId[];
  /**
   * With `duplicate`: the id was stored with another event (another hash), so this is not a retry of
   * that delivery but a new event under a used id. Absent when the hashes agree, or when the stored
   * delivery has none (stored before migration 0018, or by an older replica).
   */
  differentEvent?: true;
  /** Runs stored held back behind the unfinished run of their concurrency key (none: absent). */
  heldBack?: HeldRun[];
}

/** A run stored while another run of its recipe held its concurrency key: it starts once that one finishes. */
export interface HeldRun {
  runId: RunId;
  /** The unfinished run that held the key when it was stored. */
  behind: RunId;
}

export type StepStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'skipped';

/** What a waiting step waits for. */
export type WaitSpec =
  | { kind: 'time'; until: number }
  | { kind: 'signal'; signal: string; deadline: number | null }
  | { kind: 'event'; event: string; key: string; deadline: number | null };

export interface JournalEntry {
  runId: RunId;
  stepKey: StepKey;
  stepId: string;
  stepType: string;
  status: StepStatus;
  /** The step's evaluated input, secrets redacted. */
  input: unknown;
  output: unknown;
  error: RunError | null;
  attempts: number;
  startedAt: number;
  finishedAt: number | null;
  /** When a failed attempt will be tried again. */
  nextAttemptAt: number | null;
  wait: WaitSpec | null;
  /** Free-form notes shown in the journal, e.g. time spent waiting for rate budget. */
  notes: string[];
  /**
   * The input is the one already stored for this step (its `running` entry of this attempt): it is
   * not written again. A D23 digest email's input holds its partner's 100 leads.
   */
  inputAsStored?: boolean;
}

export type ApprovalDecision = 'approve' | 'deny';
export type DecideOutcome = 'decided' | 'unknown' | 'used' | 'expired' | 'closed';

export interface NewApproval {
  /** sha256 of the token; the token itself is never stored. */
  tokenHash: string;
  /**
   * The approval's random id, from which the token is derived with the server secret
   * (`approval-token.ts`). Null for links made before tokens were derived (random tokens).
   */
  id?: string | null;
  runId: RunId;
  /** The `wait_for` signal this approval answers. */
  signal: string;
  approverEmail: string;
  approverName: string | null;
  /** What is being approved, shown on the confirmation page (e.g. "MDF-1042: Cloud Summit"). */
  subject: string;
  /** An optional hard cap (`expires_in`); without one the link lives as long as the run waits for its signal (D10). */
  expiresAt: number | null;
  createdAt: number;
}

export interface Approval extends NewApproval {
  usedAt: number | null;
  decision: ApprovalDecision | null;
}

export interface EmailMessage {
  from: string;
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  html: string;
  /** Provider tag, e.g. the template name. */
  tag?: string;
  /**
   * Set while a message is rendered only when it is sent (an approval email): the template and its
   * data, and the approval whose links are derived in memory at send time. Its subject, text and html
   * are empty until then, so the store never holds a working approval link. Erased once sent.
   */
  template?: { name: string; data: Record<string, unknown>; approvalId?: string };
  /**
   * Set on the copy of a message for the recipients an SMTP relay refused for now (OutboxSender, 9):
   * the outbox key of the message it copies (its Message-ID is that one's), and who it goes to (RCPT
   * TO); its To and Cc headers are the original's.
   */
  followUp?: { of: string; recipients: string[] };
}

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed';

/**
 * A sender that already rendered a new message and holds the run lease `owner` (null: no run) may ask
 * `enqueueOutbox` to store it taken for its first attempt (`sending` since `now`, one attempt), as
 * `takeOutboxForSending` would: one commit instead of two before the provider is called. The answer
 * says `taken: true` only when this call stored it; a message stored before is returned as it is.
 */
export interface OutboxTake {
  now: number;
  owner: string | null;
}

export interface NewOutboxMessage {
  /** Unique per notification: `<run id>:<step key>` for a step's email. */
  key: string;
  runId: RunId | null;
  message: EmailMessage;
  createdAt: number;
}

export interface OutboxMessage extends NewOutboxMessage {
  status: OutboxStatus;
  attempts: number;
  providerMessageId: string | null;
  lastError: string | null;
  sentAt: number | null;
  /** When the current attempt took it (`sending`). */
  sendingSince: number | null;
  /** The run lease (`<worker id>~<nonce>`) under which the current attempt took it, when known. */
  sendingOwner: string | null;
}

/** A message the provider took: its `sent` record (OutboxSender's, written with its step's journal entry). */
export interface OutboxSentRecord {
  key: string;
  providerMessageId: string;
  sentAt: number;
  /** What is kept of the message once sent: its envelope (see OutboxSender). */
  message: EmailMessage;
}

export interface OutboxPatch {
  status?: OutboxStatus;
  /** Replaces the stored message: once sent, only its envelope is kept (see OutboxSender). */
  message?: EmailMessage;
  attempts?: number;
  providerMessageId?: string | null;
  lastError?: string | null;
  sentAt?: number | null;
}
