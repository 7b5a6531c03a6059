import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { asRunId, asStepKey, type RunId, type StepKey } from '../engine/ids.ts';
import type { Database } from './database.ts';
import {
  claimDueRunsWork,
  claimRunWork,
  findRunsToCancelWork,
  findWaitingForEventWork,
  finishTurnWork,
  wakeParkedRunsWork,
  getJournalWork,
  getRunWork,
  ingestWork,
  insertRunWork,
  releaseHeldRunWork,
  writeJournalWork,
  enqueueOutboxWork,
} from './store-operations.ts';
import { storeQueries, type StoreQueries } from './store-queries.ts';
import { listRunSummariesQuery } from './run-summaries.ts';
import { runQueryFilter } from './run-query-filter.ts';
import { CommitOutcomeUnknownError, isStoreUnreachable, isTransactionConflict, StoreUnavailableError } from './store-unavailable.ts';
import { completeWaiting, decideApprovalWork, type DecideApprovalInput } from './decide-approval.ts';
import { json, parse, toApproval, toOutbox, toRun } from './store-rows.ts';
import { runWorkAsync, type StoreWork } from './store-work.ts';
import { runsAwaitingRetryQuery, type RunsAwaitingRetry } from './runs-awaiting-retry.ts';
import { awaitingOperatorQuery, type AwaitingOperator } from './awaiting-operator.ts';
import type { RetryOutcome, RetryRefusal } from './retry-refusal.ts';
import { retryRefusalIn, retryRunIn } from './retry-run.ts';
import { finishPollWork, listPollCursorsWork, savePollPageWork, takePollWork, type FinishPollInput, type PollCursor, type SavePollPageInput, type TakePollInput } from './poll-cursors.ts';
import { tellOnChangeWork, type TellOnChangeInput, type TellOnChangeOutcome } from './told-changes.ts';
import { releaseBudgetWork, reserveBudgetWork, type BudgetRelease, type BudgetReservation, type ReleaseBudgetInput, type ReserveBudgetInput } from './budget-reservations.ts';
import * as timers from './business-timers-store.ts';
import * as consoleQueries from './console-queries.ts';
import { rateBudgetQueries, releaseRateBudgetWork, renewRateBudgetWork, takeRateBudgetWork, type RateBudgetQueries, type RateBudgetCall, type RateBudgetSlot, type RateBudgetTake, type TakeRateBudgetInput } from './rate-budgets.ts';
import {
  claimIdsWithTitleKeyQuery,
  claimTitleKeysProgressQuery,
  dropClaimTitleKeysOfOtherVersionsWork,
  saveClaimTitleKeysWork,
  type ClaimTitleKeysProgress,
  type DropClaimTitleKeysInput,
  type SaveClaimTitleKeysInput,
} from './claim-title-keys.ts';
import { saveSyncBasesWork, syncBasesQuery, type SaveSyncBasesInput, type SyncBases, type SyncRecordRef } from './sync-bases.ts';
import { liftTimerStopWork, listTimerStopsQuery, type LiftTimerStopInput, type LiftTimerStopOutcome, type ListTimerStopsInput, type TimerStop } from './business-timer-stops.ts';
import { takeStopperStampWork, type StopperStampInput } from './business-timer-stoppers.ts';
import { beatWorkerIdWork, leaveWorkerIdWork, releaseLeasesWork, takeWorkerIdWork, workerInstanceQuery, type TakeWorkerIdInput, type TakeWorkerIdOutcome, type WorkerInstance } from './worker-instances.ts';
import { syncTimerOffsets, type SyncTimerOffsetsInput, type SyncTimerOffsetsOutcome } from './business-timer-offsets.ts';
import {
  PARK_STILL_WITHIN_MS,
  STOPPED_BY_RECIPE,
  type Approval,
  type ClaimedRun,
  type DecideOutcome,
  type DueBacklogCount,
  type IngestResult,
  type JournalEntry,
  type NewApproval,
  type NewDelivery,
  type NewOutboxMessage,
  type OutboxTake,
  type NewRun,
  type OutboxMessage,
  type OutboxPatch,
  type OutboxSentRecord,
  type OutboxStatus,
  type RecipeVersion,
  type Run,
  type RunError,
  type RunQuery,
  type RunSummary,
  type RunStatus,
  type Store,
  type TurnOutcome,
  type UpcomingWake,
} from './store.ts';

/** A write asked for and waiting for its group commit. */
export interface PendingWrite {
  work: () => StoreWork<unknown>;
  /**
   * Inserts that may run beside the other such writes of the batch, statement by statement (a multi-row
   * statement each on PostgreSQL): ingests and turns, which write rows of their own. Others (a claim
   * reads what it then takes) run one after the other, after them.
   */
  lockstep?: boolean;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/**
 * The Store over Kysely: one set of queries for SQLite and PostgreSQL. Each method is one
 * transaction; lease checks are conditions in the UPDATE itself, so they hold across processes.
 * The hot operations (ingest, claim, turn, journal) are units of work over prepared queries
 * (store-operations.ts), which a dialect's store may run its own faster way (sqlite-store.ts).
 */
export class KyselyStore implements Store {
  protected readonly q: StoreQueries;
  #pendingWrites: PendingWrite[] = [];
  /** Group commits under way. */
  #flushing = 0;
  #flushScheduled = false;
  /**
   * Group commits that may be under way at once. One on SQLite (one writer). A dialect whose
   * transactions run concurrently (PostgreSQL: row locks, each commit on a connection of its own) may
   * take the next batch while one waits for its round trips and its commit's WAL flush.
   */
  protected readonly concurrentBatches: number = 1;
  /**
   * Writes that must be waiting before a group commit starts beside one under way; fewer wait for it to
   * end (one commit's time) and go in the next. 0: any.
   */
  protected readonly concurrentBatchMinWrites: number = 0;
  /** Set by openPostgresStore: wakeups from other replicas (Store.listenForWakeups). */
  listenForWakeups?: Store['listenForWakeups'];

  constructor(
    readonly kind: 'sqlite' | 'postgres',
    readonly db: Kysely<Database>,
    readonly onClose: () => Promise<void> = async () => {},
  ) {
    this.q = storeQueries(db, kind);
  }

  /** Runs a read-only unit of work. */
  protected read<T>(work: () => StoreWork<T>): Promise<T> {
    return runWorkAsync(work(), this.db);
  }

  /**
   * Runs a writing unit of work with group commit: the writes asked for while the event loop is busy
   * (concurrent deliveries, turns ending) are committed together in one transaction, and each caller
   * resolves only after its own writes are durable. One fsync covers many.
   */
  protected write<T>(work: () => StoreWork<T>, lockstep = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pendingWrites.push({ work, lockstep, resolve: resolve as (r: unknown) => void, reject });
      this.#scheduleFlush();
    });
  }

  /** A transaction built with Kysely (the store's less frequent operations). */
  protected transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /**
   * A transaction whose COMMIT was sent and never answered (the connection went with it) rejects with
   * CommitOutcomeUnknownError: it may have been applied, which a plain "unavailable" would deny.
   */
  protected async transactionTellingLostCommit<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    let ran = false;
    try {
      return await this.transaction(async (trx) => {
        const out = await fn(trx);
        ran = true;
        return out;
      });
    } catch (error) {
      if (ran && isStoreUnreachable(error)) throw new CommitOutcomeUnknownError(error);
      throw error;
    }
  }

  #scheduleFlush(): void {
    if (this.#flushing >= this.concurrentBatches || this.#flushScheduled) return;
    if (this.#flushing > 0 && this.#pendingWrites.length < this.concurrentBatchMinWrites) return;
    this.#flushScheduled = true;
    // setImmediate runs after the event loop has taken in all the I/O that was ready: every delivery
    // that arrived meanwhile is in this batch, and a quiet moment adds no wait.
    setImmediate(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    this.#flushing++;
    this.#flushScheduled = false;
    try {
      // Writes asked for while this waits join the batch.
      await this.beforeBatch();
      const batch = this.#pendingWrites;
      this.#pendingWrites = [];
      if (batch.length > 0) await this.commitBatch(batch);
    } finally {
      this.#flushing--;
      if (this.#pendingWrites.length > 0) this.#scheduleFlush();
    }
  }

  /** Runs the units of work of one batch in its transaction: one after the other here (PostgreSQL: postgres-batch.ts). */
  protected async runBatch(batch: readonly PendingWrite[], trx: Transaction<Database>): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const item of batch) out.push(await runWorkAsync(item.work(), trx));
    return out;
  }

  /** What a batch must wait for before it is taken; nothing here. */
  protected beforeBatch(): Promise<void> | void {}

  /** Commits a batch in one transaction and settles each write; a write that fails rejects alone. */
  protected commitBatch(batch: readonly PendingWrite[]): Promise<void> | void {
    return this.#commitInTransaction(batch);
  }

  async #commitInTransaction(batch: readonly PendingWrite[]): Promise<void> {
    let ran = false;
    try {
      const results = await this.transaction(async (trx) => {
        const out = await this.runBatch(batch, trx);
        ran = true;
        return out;
      });
      batch.forEach((item, i) => item.resolve(results[i]));
      return;
    } catch (error) {
      // The COMMIT failed (or the connection went with it): it may have been applied, so running a write
      // again could store it twice or answer "already there" for what this very batch stored. Every
      // caller is told "unavailable" and retries, idempotently (a delivery id, a dedup key, a journal key).
      if (ran) return rejectAll(batch, new CommitOutcomeUnknownError(error));
      // The store cannot serve (a lost connection, a statement timeout, too many connections): writing
      // each alone would wait that long once per write. Every caller hears it now. A transaction rolled
      // back by another (a deadlock) is run again below: nothing of it was applied.
      if (error instanceof StoreUnavailableError && !isTransactionConflict(error)) return rejectAll(batch, error);
    }
    await this.#isolateBadWrites(batch);
  }

  /**
   * One write of the batch was refused (a constraint, bad data), or the batch met a conflict with another
   * transaction (a deadlock): the batch again in one transaction, each write in a savepoint of its own,
   * so a bad or conflicting one rejects alone and the others commit together. The store becoming
   * unavailable meanwhile, or the commit failing, rejects them all as above.
   */
  async #isolateBadWrites(batch: readonly PendingWrite[]): Promise<void> {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    let ran = false;
    try {
      await this.transaction(async (trx) => {
        for (const item of batch) {
          await sql`savepoint batch_write`.execute(trx);
          try {
            outcomes.push({ ok: true, value: await runWorkAsync(item.work(), trx) });
            await sql`release savepoint batch_write`.execute(trx);
          } catch (error) {
            // A conflict with another transaction rolls back this write alone (its caller hears 503).
            if (error instanceof StoreUnavailableError && !isTransactionConflict(error)) throw error;
            outcomes.push({ ok: false, error });
            await sql`rollback to savepoint batch_write`.execute(trx);
          }
        }
        ran = true;
      });
    } catch (error) {
      return rejectAll(batch, ran ? new CommitOutcomeUnknownError(error) : error);
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
    await this.onClose();
  }

  // ── Recipes ─────────────────────────────────────────────────────────────────────────────
  async saveRecipeVersion(v: RecipeVersion): Promise<void> {
    await this.db
      .insertInto('recipe_versions')
      .values({ hash: v.hash, name: v.name, version: v.version, definition: json(v.definition), created_at: v.createdAt })
      .onConflict((oc) => oc.column('hash').doNothing())
      .execute();
  }

  async getRecipeVersion(hash: string): Promise<RecipeVersion | undefined> {
    const row = await this.db.selectFrom('recipe_versions').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row && { name: row.name, version: row.version, hash: row.hash, definition: parse(row.definition), createdAt: row.created_at };
  }

  // ── Ingest ──────────────────────────────────────────────────────────────────────────────
  ingest(delivery: NewDelivery, runs: NewRun[]): Promise<IngestResult> {
    return this.write(() => ingestWork(this.q, delivery, runs), true);
  }

  createRun(run: NewRun): Promise<{ id: RunId; created: boolean }> {
    return this.write(() => insertRunWork(this.q, run), true);
  }

  // ── Runs ────────────────────────────────────────────────────────────────────────────────
  getRun(id: RunId): Promise<Run | undefined> {
    return this.read(() => getRunWork(this.q, id));
  }

  async listRuns(q: RunQuery): Promise<Run[]> {
    if (q.ids?.length === 0) return [];
    const rows = await this.db.selectFrom('runs').selectAll().where(runQueryFilter(q)).orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map(toRun);
  }

  listRunSummaries(q: RunQuery): Promise<RunSummary[]> {
    return listRunSummariesQuery(this.db, this.kind, q);
  }

  claimDueRuns(c: { now: number; owner: string; leaseMs: number; limit: number; skip?: ReadonlySet<string> }): Promise<ClaimedRun[]> {
    return this.write(() => claimDueRunsWork(this.q, c));
  }

  claimRun(c: { id: RunId; now: number; owner: string; leaseMs: number }): Promise<ClaimedRun | undefined> {
    return this.write(() => claimRunWork(this.q, c));
  }

  releaseLeases(workerId: string, now: number): Promise<number> {
    return releaseLeasesWork(this.db, workerId, now);
  }

  // ── Worker ids held by live processes (worker-instances.ts) ───────────────────────────────
  workerInstance(workerId: string): Promise<WorkerInstance | undefined> {
    return workerInstanceQuery(this.db, workerId);
  }

  takeWorkerId(input: TakeWorkerIdInput): Promise<TakeWorkerIdOutcome> {
    return this.transaction((trx) => takeWorkerIdWork(trx, input));
  }

  beatWorkerId(input: { workerId: string; instanceId: string; now: number }): Promise<boolean> {
    return beatWorkerIdWork(this.db, input);
  }

  leaveWorkerId(input: { workerId: string; instanceId: string }): Promise<void> {
    return leaveWorkerIdWork(this.db, input);
  }

  async renewLease(id: RunId, owner: string, leaseUntil: number): Promise<boolean> {
    const r = await this.db
      .updateTable('runs')
      .set({ lease_until: leaseUntil })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  finishTurn(id: RunId, owner: string, turn: TurnOutcome): Promise<boolean> {
    return this.write(() => finishTurnWork(this.q, id, owner, turn), true);
  }

  wakeParkedRuns(system: string, now: number, limit: number): Promise<number> {
    return this.write(() => wakeParkedRunsWork(this.q, system, now, Math.max(1, Math.floor(limit))));
  }

  async cancelRun(id: RunId, now: number, reason: string, options: { failed?: boolean } = {}): Promise<boolean> {
    const cancel = { status: 'canceled', wake_at: null, lease_owner: null, lease_until: null, error: json({ name: 'Canceled', message: reason }), updated_at: now, finished_at: now } as const;
    return this.transaction(async (trx) => {
      // An unfinished run that held its concurrency key lets the oldest run held back behind it go, in
      // this commit (a failed one did when it failed).
      const canceled = async (r: { recipe: string; concurrency_key: string | null; held_back: number } | undefined, wasFinished = false): Promise<boolean> => {
        if (!r) return false;
        if (r.concurrency_key !== null && r.held_back === 0 && !wasFinished) await runWorkAsync(releaseHeldRunWork(this.q, r.recipe, r.concurrency_key, now), trx);
        return true;
      };
      const ended = ['recipe', 'concurrency_key', 'held_back'] as const;
      if (!options.failed) return canceled(await trx.updateTable('runs').set(cancel).where('id', '=', id).where('finished_at', 'is', null).returning(ended).executeTakeFirst());
      // The status read decides, so nothing may change it before the write: on PostgreSQL the read locks
      // the row until the commit (an operator's retry, a worker's claim or turn's end in between waits,
      // then finds the run canceled and is refused); SQLite has one writer. A failed run an operator
      // retried before the read is queued now, still unfinished, and this cancel still ends it (D12).
      const read = trx.selectFrom('runs').select(['status', 'error']).where('id', '=', id);
      const row = await (this.kind === 'postgres' ? read.forUpdate() : read).executeTakeFirst();
      if (!row || row.status === 'completed' || row.status === 'canceled') return false;
      // Failed as its recipe said: retryRun refuses it, so nothing is left to stop, and its reason stays.
      if (row.status === 'failed' && row.error !== null && parse<RunError>(row.error).name === STOPPED_BY_RECIPE) return false;
      const r = await trx.updateTable('runs').set(cancel).where('id', '=', id).where('status', '=', row.status).returning(ended).executeTakeFirst();
      return canceled(r, row.status === 'failed');
    });
  }

  retryRun(id: RunId, now: number, onVersion?: { recipeHash: string; recipeVersion: number }): Promise<RetryOutcome> {
    return this.transaction((trx) => retryRunIn(trx, this.q, id, now, onVersion));
  }

  async retryRefusal(id: RunId): Promise<RetryRefusal | undefined> {
    // The reads retryRun decides with, writing nothing: no transaction (the answer is a moment's, and
    // retryRun decides again in its own).
    return (await retryRefusalIn(this.db, this.q, id)).refusal;
  }

  findRunsToCancel(event: string, correlationKey: string): Promise<RunId[]> {
    return this.read(() => findRunsToCancelWork(this.q, event, correlationKey));
  }

  async nextWakeAt(after?: number): Promise<number | null> {
    let next = this.db
      .selectFrom('runs')
      .select((eb) => eb.fn.min('wake_at').as('next'))
      .where('finished_at', 'is', null);
    if (after === undefined) return numberOrNull((await next.executeTakeFirst())?.next);
    next = next.where('wake_at', '>', after);
    // A lease that lapses is announced by nobody (its replica died mid-turn): the first moment it may be
    // taken over is a wake time too. Running runs only (the runs_status index): few, one per turn. The
    // status is written in the SQL, not bound: the index holds unfinished runs only, and a prepared
    // statement's generic plan could not tell that a bound status is not 'completed'.
    const lapse = this.db
      .selectFrom('runs')
      .select((eb) => eb.fn.min('lease_until').as('next'))
      .where('status', '=', sql.lit('running'))
      .where('lease_until', '>=', after);
    const [wake, lease] = await Promise.all([next.executeTakeFirst(), lapse.executeTakeFirst()]);
    const leaseEnd = numberOrNull(lease?.next);
    // A claim takes a lease once `lease_until < now`: the millisecond after it.
    const times = [numberOrNull(wake?.next), leaseEnd === null ? null : leaseEnd + 1].filter((t): t is number => t !== null);
    return times.length === 0 ? null : Math.min(...times);
  }

  async dueBacklog(q: { now: number; cap: number }): Promise<DueBacklogCount> {
    // The same conditions as a claim (dueRunIds), in the order of the runs_due index, so the count
    // stops at the cap and the first row is the oldest.
    const dueRuns = () =>
      this.db
        .selectFrom('runs')
        .select('wake_at')
        .where('finished_at', 'is', null)
        .where('wake_at', '<=', q.now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', q.now)]))
        .orderBy('wake_at');
    // The count starts at the oldest due run, found first by walking runs_due in order (LIMIT 1: a
    // plain index scan). On PostgreSQL runs_due keeps an entry for every run finished since the last
    // vacuum, and the runs still in their first turn (leased at intake, wake time in the past) sort
    // among the due ones. PostgreSQL planned the bare count, on a table growing under load, as a
    // bitmap scan: it read the heap page of every such run at every count (a few a second per
    // replica), and a bitmap scan never marks the entries of dead rows for the next scans to skip, as
    // this walk does. With no run due, the bound is NULL and the count reads nothing more.
    const due = dueRuns().where('wake_at', '>=', dueRuns().limit(1)).limit(q.cap).as('due');
    // Parked runs (TurnOutcome.parked) are due again only when their park ends, but they wait as much
    // as a run due behind a full worker: they count, from when they first became due (parked_since).
    // Those due now are in the count above already; the partial index runs_parked holds these rows only.
    // Only runs parked now (PARK_STILL_WITHIN_MS): waiting, due again within a park's longest; a marker
    // a previous version's turn left on a run that now waits days for an approval counts for nothing.
    const [row, parked] = await Promise.all([
      this.db
        .selectFrom(due)
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('due.wake_at').as('oldest')])
        .executeTakeFirst(),
      this.db
        .selectFrom('runs')
        .select((eb) => [
          eb.fn.countAll<number>().as('n'),
          eb.fn.sum<number>(eb.case().when('wake_at', '>', q.now).then(1).else(0).end()).as('later'),
          eb.fn.min('parked_since').as('since'),
        ])
        .where('parked_on', 'is not', null)
        .where('finished_at', 'is', null)
        .where('status', '=', 'waiting')
        .where('wake_at', 'is not', null)
        .where('wake_at', '<=', q.now + PARK_STILL_WITHIN_MS)
        .executeTakeFirst(),
    ]);
    const times = [row?.oldest, parked?.since].filter((t) => t !== null && t !== undefined).map(Number);
    return {
      count: Math.min(q.cap, Number(row?.n ?? 0) + Number(parked?.later ?? 0)),
      oldestWakeAt: times.length === 0 ? null : Math.min(...times),
      parked: Math.min(q.cap, Number(parked?.n ?? 0)),
    };
  }

  async listUpcoming(q: { limit: number; after?: { wakeAt: number; runId: RunId } }): Promise<UpcomingWake[]> {
    let query = this.db
      .selectFrom('runs')
      .select(['runs.id', 'runs.recipe', 'runs.status', 'runs.wake_at'])
      .select((eb) =>
        eb
          .selectFrom('journal')
          .select('journal.step_key')
          .whereRef('journal.run_id', '=', 'runs.id')
          .where('journal.status', '=', 'waiting')
          .orderBy('journal.seq', 'desc')
          .limit(1)
          .as('step_key'),
      )
      .where('runs.finished_at', 'is', null)
      .where('runs.wake_at', 'is not', null)
      .orderBy('runs.wake_at')
      .orderBy('runs.id')
      .limit(q.limit);
    // Keyset on (wake time, id): runs that wake together are neither skipped nor listed twice.
    const after = q.after;
    if (after) query = query.where((eb) => eb.or([eb('runs.wake_at', '>', after.wakeAt), eb.and([eb('runs.wake_at', '=', after.wakeAt), eb('runs.id', '>', after.runId)])]));
    const rows = await query.execute();
    return rows.map((r) => ({
      runId: asRunId(r.id),
      recipe: r.recipe,
      status: r.status as RunStatus,
      wakeAt: r.wake_at!,
      stepKey: r.step_key ? asStepKey(r.step_key) : null,
    }));
  }

  // ── Journal ─────────────────────────────────────────────────────────────────────────────
  getJournal(runId: RunId): Promise<JournalEntry[]> {
    return this.read(() => getJournalWork(this.q, runId));
  }

  async writeJournal(entries: readonly JournalEntry[], owner: string, also: { outboxSent?: readonly OutboxSentRecord[] } = {}): Promise<boolean> {
    if (entries.length === 0) return true;
    return this.write(() => writeJournalWork(this.q, entries, owner, also.outboxSent));
  }

  async completeWaitingStep(input: { runId: RunId; stepKey: StepKey; output: unknown; now: number }): Promise<boolean> {
    return this.transaction((trx) => completeWaiting(trx, input.runId, input.stepKey, input.output, input.now));
  }

  findWaitingForEvent(event: string, key: string): Promise<Array<{ runId: RunId; stepKey: StepKey }>> {
    return this.read(() => findWaitingForEventWork(this.q, event, key));
  }

  // ── Approvals ───────────────────────────────────────────────────────────────────────────
  async getApproval(tokenHash: string): Promise<Approval | undefined> {
    const row = await this.db.selectFrom('approvals').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && toApproval(row);
  }

  decideApproval(input: DecideApprovalInput): Promise<DecideOutcome> {
    // An approver is told whether the click was recorded: a commit whose answer was lost may have been.
    return this.transactionTellingLostCommit((trx) => decideApprovalWork(trx, input, this.kind === 'postgres'));
  }

  // ── Outbox ──────────────────────────────────────────────────────────────────────────────
  enqueueOutbox(message: NewOutboxMessage, approval?: NewApproval, wanted?: OutboxTake): Promise<OutboxMessage & { taken?: boolean }> {
    // A unit of work of the group commit: the step's `running` entry asked for in the same moment goes in
    // the same commit (ActionDefinition.startsWithItsWrite); an approval goes with its message.
    return this.write(() => enqueueOutboxWork(this.q, message, wanted, approval));
  }

  async getOutbox(key: string): Promise<OutboxMessage | undefined> {
    const row = await this.db.selectFrom('outbox').selectAll().where('key', '=', key).executeTakeFirst();
    return row && toOutbox(row);
  }

  async takeOutboxForSending(key: string, seen: { status: OutboxStatus; attempts: number }, now: number, owner: string | null = null): Promise<boolean> {
    const result = await this.db
      .updateTable('outbox')
      .set({ status: 'sending', attempts: seen.attempts + 1, sending_since: now, sending_owner: owner })
      .where('key', '=', key)
      .where('status', '=', seen.status)
      .where('attempts', '=', seen.attempts)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async releaseOutboxTake(key: string, owner: string): Promise<boolean> {
    const result = await this.db
      .updateTable('outbox')
      .set({ status: 'pending', sending_since: null, sending_owner: null })
      .where('key', '=', key)
      .where('status', '=', 'sending')
      .where('sending_owner', '=', owner)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async leaseState(owner: string, now: number): Promise<'held' | 'lapsed' | 'gone'> {
    const row = await this.db.selectFrom('runs').select('lease_until').where('lease_owner', '=', owner).executeTakeFirst();
    if (!row) return 'gone';
    return row.lease_until !== null && row.lease_until > now ? 'held' : 'lapsed';
  }

  async updateOutbox(key: string, patch: OutboxPatch, expected?: { status: OutboxStatus; attempts: number }): Promise<boolean> {
    const set: Partial<Selectable<Database['outbox']>> = {};
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.message !== undefined) set.message = json(patch.message);
    if (patch.attempts !== undefined) set.attempts = patch.attempts;
    if (patch.providerMessageId !== undefined) set.provider_message_id = patch.providerMessageId;
    if (patch.lastError !== undefined) set.last_error = patch.lastError;
    if (patch.sentAt !== undefined) set.sent_at = patch.sentAt;
    if (Object.keys(set).length === 0) return false;
    let update = this.db.updateTable('outbox').set(set).where('key', '=', key);
    if (expected) update = update.where('status', '=', expected.status).where('attempts', '=', expected.attempts);
    return (await update.executeTakeFirst()).numUpdatedRows > 0n;
  }

  // ── Tell on change ──────────────────────────────────────────────────────────────────────
  tellOnChange(input: TellOnChangeInput): Promise<TellOnChangeOutcome> {
    return this.transaction((trx) => tellOnChangeWork(trx, input));
  }

  runsAwaitingRetry(): Promise<RunsAwaitingRetry[]> {
    return runsAwaitingRetryQuery(this.db);
  }

  awaitingOperator(): Promise<AwaitingOperator> {
    return awaitingOperatorQuery(this.db);
  }

  // ── Budget reservations (D13) ───────────────────────────────────────────────────────────
  reserveBudget(input: ReserveBudgetInput): Promise<BudgetReservation> {
    return this.transaction((trx) => reserveBudgetWork(trx, input));
  }

  releaseBudget(input: ReleaseBudgetInput): Promise<BudgetRelease> {
    return this.transaction((trx) => releaseBudgetWork(trx, input));
  }

  // ── Poll cursors (poll-cursors.ts) ──────────────────────────────────────────────────────
  takePoll(input: TakePollInput): Promise<{ watermark: string | null } | null> {
    return this.transaction((trx) => takePollWork(trx, input));
  }

  savePollPage(input: SavePollPageInput): Promise<{ created: number } | null> {
    return this.transaction((trx) => savePollPageWork(trx, this.q, input));
  }

  finishPoll(input: FinishPollInput): Promise<boolean> {
    return this.transaction((trx) => finishPollWork(trx, input));
  }

  listPollCursors(): Promise<PollCursor[]> {
    return listPollCursorsWork(this.db);
  }

  // ── Sync bases (D1; sync-bases.ts) ──────────────────────────────────────────────────────
  syncBases(ref: SyncRecordRef): Promise<SyncBases> {
    return syncBasesQuery(this.db, ref);
  }

  saveSyncBases(input: SaveSyncBasesInput): Promise<void> {
    return this.transaction((trx) => saveSyncBasesWork(trx, input));
  }

  // ── Claim title keys (D15; claim-title-keys.ts) ────────────────────────────────────────
  claimTitleKeysProgress(version: number): Promise<ClaimTitleKeysProgress> {
    return claimTitleKeysProgressQuery(this.db, version);
  }

  claimIdsWithTitleKey(titleKey: string): Promise<number[]> {
    return claimIdsWithTitleKeyQuery(this.db, titleKey);
  }

  saveClaimTitleKeys(input: SaveClaimTitleKeysInput): Promise<void> {
    if (input.keys.length === 0) return Promise.resolve();
    return this.transaction((trx) => saveClaimTitleKeysWork(trx, input));
  }

  dropClaimTitleKeysOfOtherVersions(input: DropClaimTitleKeysInput): Promise<number> {
    return this.transaction((trx) => dropClaimTitleKeysOfOtherVersionsWork(trx, input));
  }

  // ── Rate budgets (rate-budgets.ts) ─────────────────────────────────────────────────────
  #rateBudgetQueries: RateBudgetQueries | undefined;

  /** Units of work on the hot path (group commit; synchronous on SQLite): one per remote call, and one to free it. */
  takeRateBudget(input: TakeRateBudgetInput): Promise<RateBudgetTake> {
    const q = (this.#rateBudgetQueries ??= rateBudgetQueries(this.db, this.kind));
    return this.write(() => takeRateBudgetWork(q, input));
  }

  releaseRateBudget(call: RateBudgetCall & { now: number }): Promise<boolean> {
    const q = (this.#rateBudgetQueries ??= rateBudgetQueries(this.db, this.kind));
    return this.write(() => releaseRateBudgetWork(q, call));
  }

  renewRateBudget(input: RateBudgetSlot & { leaseUntil: number }): Promise<boolean> {
    const q = (this.#rateBudgetQueries ??= rateBudgetQueries(this.db, this.kind));
    return this.write(() => renewRateBudgetWork(q, input));
  }

  // ── Business timers (business-timers-store.ts) ──────────────────────────────────────────
  recomputeBusinessTimers(input: timers.RecomputeTimersInput): Promise<timers.RecomputeTimersOutcome> {
    return this.transaction((trx) => timers.recomputeTimersWork(trx, input));
  }

  cancelBusinessTimers(input: timers.CancelTimersInput): Promise<timers.CancelTimersOutcome> {
    return this.transaction((trx) => timers.cancelTimersWork(trx, input));
  }

  listBusinessTimerStops(input: ListTimerStopsInput): Promise<TimerStop[]> {
    return listTimerStopsQuery(this.db, input);
  }

  liftBusinessTimerStop(input: LiftTimerStopInput): Promise<LiftTimerStopOutcome> {
    return this.transaction((trx) => liftTimerStopWork(trx, input));
  }

  takeBusinessTimerStopperStamp(input: StopperStampInput): Promise<boolean> {
    // One upsert: atomic without a transaction around it.
    return takeStopperStampWork(this.db, input);
  }

  #timerQueries: timers.TimerQueries | undefined;

  /** A unit of work on the hot path (group commit; synchronous on SQLite): 100,000 timers due at once fire fast. */
  fireDueBusinessTimers(input: { now: number; limit: number; runFor: timers.RunForTimer }): Promise<timers.FiredTimer[]> {
    const t = (this.#timerQueries ??= timers.timerQueries(this.db));
    return this.write(() => timers.fireDueTimersWork(this.q, t, input));
  }

  nextBusinessTimerAt(): Promise<number | null> {
    return timers.nextTimerAtQuery(this.db);
  }

  listBusinessTimers(query: { limit: number; after?: { fireAt: number; id: number } }): Promise<timers.BusinessTimer[]> {
    return timers.listTimersQuery(this.db, query);
  }

  syncBusinessTimerOffsets(input: SyncTimerOffsetsInput): Promise<SyncTimerOffsetsOutcome> {
    return syncTimerOffsets(this.db, (fn) => this.transaction(fn), input);
  }

  recordBusinessTimers(query: { recipe: string; key: string }): Promise<timers.BusinessTimer[]> {
    return timers.recordTimersQuery(this.db, query);
  }

  // ── Ops console (console-queries.ts) ────────────────────────────────────────────────────
  waitingSteps(runIds: readonly RunId[]): Promise<JournalEntry[]> {
    return consoleQueries.waitingStepsQuery(this.db, runIds);
  }

  retryingSteps(runIds: readonly RunId[]): Promise<JournalEntry[]> {
    return consoleQueries.retryingStepsQuery(this.db, runIds);
  }

  openApprovals(runIds: readonly RunId[]): Promise<Approval[]> {
    return consoleQueries.openApprovalsQuery(this.db, runIds);
  }

  runCountsSince(since: number): Promise<consoleQueries.RecipeStatusCount[]> {
    return consoleQueries.runCountsSinceQuery(this.db, since);
  }

  createConsoleSession(session: consoleQueries.ConsoleSession): Promise<void> {
    return consoleQueries.createConsoleSessionQuery(this.db, session);
  }

  consoleSession(idHash: string, now: number): Promise<consoleQueries.ConsoleSession | undefined> {
    return consoleQueries.consoleSessionQuery(this.db, idHash, now);
  }

  deleteConsoleSession(idHash: string): Promise<void> {
    return consoleQueries.deleteConsoleSessionQuery(this.db, idHash);
  }
}

function rejectAll(batch: readonly PendingWrite[], error: unknown): void {
  for (const item of batch) item.reject(error);
}

/** A nullable aggregate as a number (PostgreSQL answers bigint as text). */
function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
