import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { asRunId, asStepKey, type RunId, type StepKey } from '../engine/ids.ts';
import type { Database } from './database.ts';
import {
  FINISHED_STATUSES,
  type Approval,
  type ApprovalDecision,
  type DecideOutcome,
  type IngestResult,
  type JournalEntry,
  type NewApproval,
  type NewDelivery,
  type NewOutboxMessage,
  type NewRun,
  type OutboxMessage,
  type OutboxPatch,
  type RecipeVersion,
  type Run,
  type RunQuery,
  type RunStatus,
  type Store,
  type TurnOutcome,
  type UpcomingWake,
} from './store.ts';

type Db = Kysely<Database> | Transaction<Database>;
type RunRow = Selectable<Database['runs']>;
type JournalRow = Selectable<Database['journal']>;

const finished = FINISHED_STATUSES as RunStatus[];
const json = (value: unknown): string => JSON.stringify(value ?? null);
const parse = <T>(text: string | null): T => (text === null ? (null as T) : (JSON.parse(text) as T));

interface PendingIngest {
  delivery: NewDelivery;
  runs: NewRun[];
  resolve(result: IngestResult): void;
  reject(error: unknown): void;
}

/**
 * The Store over Kysely: one set of queries for SQLite and PostgreSQL. Each method is one
 * transaction; lease checks are conditions in the UPDATE itself, so they hold across processes.
 */
/** Deliveries written in one commit at most, and the longest a delivery waits for others to join it. */
const GROUP_COMMIT_MAX = 128;
const GROUP_COMMIT_WINDOW_MS = 2;

export class KyselyStore implements Store {
  #pendingIngests: PendingIngest[] = [];
  #flushing = false;
  #flushTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly kind: 'sqlite' | 'postgres',
    readonly db: Kysely<Database>,
    readonly onClose: () => Promise<void> = async () => {},
  ) {}

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
  /**
   * Group commit: concurrent deliveries are written together in one transaction. Each caller still
   * resolves only after its own rows are durable; one fsync covers many.
   */
  ingest(delivery: NewDelivery, runs: NewRun[]): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.#pendingIngests.push({ delivery, runs, resolve, reject });
      this.#scheduleFlush();
    });
  }

  /**
   * SQLite writes are synchronous, so deliveries only pile up while the event loop is free: a short
   * window (like PostgreSQL's commit_delay) lets the deliveries of concurrent senders share one commit.
   * A full batch, or deliveries that arrived during a commit, are written at once.
   */
  #scheduleFlush(): void {
    if (this.#flushing) return;
    const full = this.#pendingIngests.length >= GROUP_COMMIT_MAX;
    if (this.#flushTimer && !full) return;
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushAfter(full ? 0 : GROUP_COMMIT_WINDOW_MS);
  }

  #flushAfter(ms: number): void {
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null;
      void this.#flushIngests();
    }, ms);
  }

  async #flushIngests(): Promise<void> {
    const batch = this.#pendingIngests;
    this.#pendingIngests = [];
    this.#flushing = true;
    try {
      const results = await this.db.transaction().execute(async (trx) => {
        const out: IngestResult[] = [];
        for (const item of batch) out.push(await ingestOne(trx, item.delivery, item.runs));
        return out;
      });
      batch.forEach((item, i) => item.resolve(results[i]!));
    } catch {
      // One bad item must not fail its neighbours: write each alone, so only the bad one rejects.
      for (const item of batch) {
        try {
          item.resolve(await this.db.transaction().execute((trx) => ingestOne(trx, item.delivery, item.runs)));
        } catch (error) {
          item.reject(error);
        }
      }
    } finally {
      this.#flushing = false;
      if (this.#pendingIngests.length > 0) this.#flushAfter(0);
    }
  }

  async createRun(run: NewRun): Promise<{ id: RunId; created: boolean }> {
    return this.db.transaction().execute(async (trx) => insertRun(trx, run));
  }

  // ── Runs ────────────────────────────────────────────────────────────────────────────────
  async getRun(id: RunId): Promise<Run | undefined> {
    const row = await this.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRun(row);
  }

  async listRuns(q: RunQuery): Promise<Run[]> {
    let query = this.db.selectFrom('runs').selectAll().orderBy('id', 'desc').limit(q.limit);
    if (q.status) query = query.where('status', '=', q.status);
    if (q.recipe) query = query.where('recipe', '=', q.recipe);
    if (q.correlationKey) query = query.where('correlation_key', '=', q.correlationKey);
    if (q.before) query = query.where('id', '<', q.before);
    return (await query.execute()).map(toRun);
  }

  async claimDueRuns(q: { now: number; owner: string; leaseMs: number; limit: number }): Promise<Run[]> {
    return this.db.transaction().execute(async (trx) => {
      const due = await trx
        .selectFrom('runs')
        .select('id')
        .where('finished_at', 'is', null)
        .where('wake_at', '<=', q.now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', q.now)]))
        .orderBy('wake_at')
        .limit(q.limit)
        .execute();
      const claimed: Run[] = [];
      for (const { id } of due) {
        const row = await trx
          .updateTable('runs')
          .set({ status: 'running', lease_owner: q.owner, lease_until: q.now + q.leaseMs, poked: 0, updated_at: q.now })
          .where('id', '=', id)
          .where('finished_at', 'is', null)
          .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', q.now)]))
          .returningAll()
          .executeTakeFirst();
        if (row) claimed.push(toRun(row));
      }
      return claimed;
    });
  }

  async releaseLeases(owner: string, now: number): Promise<number> {
    const r = await this.db
      .updateTable('runs')
      .set({ lease_owner: null, lease_until: null, updated_at: now })
      .where('lease_owner', '=', owner)
      .where('finished_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
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

  async finishTurn(id: RunId, owner: string, turn: TurnOutcome): Promise<boolean> {
    const done = finished.includes(turn.status);
    const journal = turn.journal ?? [];
    const finish = async (db: Db) => {
      const r = await db
        .updateTable('runs')
        .set((eb) => ({
          status: turn.status,
          // A signal that arrived during the turn (poked) makes the run due now instead of parked.
          wake_at: done ? null : eb.case().when('poked', '=', 1).then(turn.now).else(turn.wakeAt).end(),
          error: turn.error ? json(turn.error) : null,
          lease_owner: null,
          lease_until: null,
          updated_at: turn.now,
          finished_at: done ? turn.now : null,
        }))
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (r.numUpdatedRows === 0n) return false;
      for (const entry of journal) await upsertJournalEntry(db, entry);
      return true;
    };
    // Without entries a single statement is atomic on its own; with them, one transaction (one commit).
    return journal.length === 0 ? finish(this.db) : this.db.transaction().execute(finish);
  }

  async cancelRun(id: RunId, now: number, reason: string): Promise<boolean> {
    const r = await this.db
      .updateTable('runs')
      .set({ status: 'canceled', wake_at: null, lease_owner: null, lease_until: null, error: json({ name: 'Canceled', message: reason }), updated_at: now, finished_at: now })
      .where('id', '=', id)
      .where('finished_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async retryRun(id: RunId, now: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('runs')
        .set({ status: 'queued', wake_at: now, error: null, lease_owner: null, lease_until: null, updated_at: now, finished_at: null })
        .where('id', '=', id)
        .where('status', '=', 'failed')
        .executeTakeFirst();
      if (r.numUpdatedRows === 0n) return false;
      await trx.deleteFrom('journal').where('run_id', '=', id).where('status', '=', 'failed').execute();
      return true;
    });
  }

  async findRunsToCancel(event: string, correlationKey: string): Promise<RunId[]> {
    const rows = await this.db
      .selectFrom('runs')
      .select('id')
      .where('cancel_on_event', '=', event)
      .where('correlation_key', '=', correlationKey)
      .where('finished_at', 'is', null)
      .execute();
    return rows.map((r) => asRunId(r.id));
  }

  async nextWakeAt(): Promise<number | null> {
    const row = await this.db
      .selectFrom('runs')
      .select((eb) => eb.fn.min('wake_at').as('next'))
      .where('finished_at', 'is', null)
      .executeTakeFirst();
    return row?.next === null || row?.next === undefined ? null : Number(row.next);
  }

  async listUpcoming(q: { limit: number; after?: number }): Promise<UpcomingWake[]> {
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
      .limit(q.limit);
    if (q.after !== undefined) query = query.where('runs.wake_at', '>', q.after);
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
  async getJournal(runId: RunId): Promise<JournalEntry[]> {
    const rows = await this.db.selectFrom('journal').selectAll().where('run_id', '=', runId).orderBy('seq').execute();
    return rows.map(toJournalEntry);
  }

  async writeJournal(entries: JournalEntry | readonly JournalEntry[], owner: string): Promise<boolean> {
    const list = Array.isArray(entries) ? (entries as readonly JournalEntry[]) : [entries as JournalEntry];
    if (list.length === 0) return true;
    return this.db.transaction().execute(async (trx) => {
      const held = await trx
        .selectFrom('runs')
        .select('id')
        .where('id', '=', list[0]!.runId)
        .where('lease_owner', '=', owner)
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (!held) return false;
      for (const entry of list) await upsertJournalEntry(trx, entry);
      return true;
    });
  }

  async completeWaitingStep(input: { runId: RunId; stepKey: StepKey; output: unknown; now: number }): Promise<boolean> {
    return this.db.transaction().execute((trx) => completeWaiting(trx, input.runId, input.stepKey, input.output, input.now));
  }

  async findWaitingForEvent(event: string, key: string): Promise<Array<{ runId: RunId; stepKey: StepKey }>> {
    const rows = await this.db
      .selectFrom('journal')
      .innerJoin('runs', 'runs.id', 'journal.run_id')
      .select(['journal.run_id', 'journal.step_key'])
      .where('journal.status', '=', 'waiting')
      .where('journal.wait_event', '=', event)
      .where('journal.wait_key', '=', key)
      .where('runs.finished_at', 'is', null)
      .execute();
    return rows.map((r) => ({ runId: asRunId(r.run_id), stepKey: asStepKey(r.step_key) }));
  }

  // ── Approvals ───────────────────────────────────────────────────────────────────────────
  async getApproval(tokenHash: string): Promise<Approval | undefined> {
    const row = await this.db.selectFrom('approvals').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && toApproval(row);
  }

  async decideApproval(input: { tokenHash: string; decision: ApprovalDecision; comment?: string; now: number }): Promise<DecideOutcome> {
    return this.db.transaction().execute(async (trx) => {
      const approval = await trx.selectFrom('approvals').selectAll().where('token_hash', '=', input.tokenHash).executeTakeFirst();
      if (!approval) return 'unknown';
      if (approval.used_at !== null) return 'used';
      const sibling = await trx
        .selectFrom('approvals')
        .select('token_hash')
        .where('run_id', '=', approval.run_id)
        .where('signal', '=', approval.signal)
        .where('used_at', 'is not', null)
        .executeTakeFirst();
      if (sibling) return 'used';
      if (approval.expires_at <= input.now) return 'expired';
      const run = await trx.selectFrom('runs').select('finished_at').where('id', '=', approval.run_id).executeTakeFirst();
      if (!run || run.finished_at !== null) return 'closed';

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
    });
  }

  // ── Outbox ──────────────────────────────────────────────────────────────────────────────
  async enqueueOutbox(message: NewOutboxMessage, approval?: NewApproval): Promise<OutboxMessage> {
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('outbox')
        .values({
          key: message.key,
          run_id: message.runId,
          message: json(message.message),
          status: 'pending',
          attempts: 0,
          provider_message_id: null,
          last_error: null,
          created_at: message.createdAt,
          sent_at: null,
        })
        .onConflict((oc) => oc.column('key').doNothing())
        .executeTakeFirst();
      if (approval && Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) {
        await trx
          .insertInto('approvals')
          .values({
            token_hash: approval.tokenHash,
            run_id: approval.runId,
            signal: approval.signal,
            approver_email: approval.approverEmail,
            approver_name: approval.approverName,
            subject: approval.subject,
            expires_at: approval.expiresAt,
            created_at: approval.createdAt,
            used_at: null,
            decision: null,
          })
          .execute();
      }
      const row = await trx.selectFrom('outbox').selectAll().where('key', '=', message.key).executeTakeFirstOrThrow();
      return toOutbox(row);
    });
  }

  async getOutbox(key: string): Promise<OutboxMessage | undefined> {
    const row = await this.db.selectFrom('outbox').selectAll().where('key', '=', key).executeTakeFirst();
    return row && toOutbox(row);
  }

  async updateOutbox(key: string, patch: OutboxPatch): Promise<void> {
    const set: Partial<Selectable<Database['outbox']>> = {};
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.attempts !== undefined) set.attempts = patch.attempts;
    if (patch.providerMessageId !== undefined) set.provider_message_id = patch.providerMessageId;
    if (patch.lastError !== undefined) set.last_error = patch.lastError;
    if (patch.sentAt !== undefined) set.sent_at = patch.sentAt;
    if (Object.keys(set).length === 0) return;
    await this.db.updateTable('outbox').set(set).where('key', '=', key).execute();
  }
}

/** Inserts or replaces a journal entry; a signal that arrived before its step was written answers it now. */
async function upsertJournalEntry(db: Db, entry: JournalEntry): Promise<void> {
  let row = journalRow(entry);
  if (entry.status === 'waiting' && entry.wait?.kind === 'signal') {
    // The answer may have come before the step was written (a very quick click): take it now.
    const early = await db
      .deleteFrom('pending_signals')
      .where('run_id', '=', entry.runId)
      .where('signal', '=', entry.wait.signal)
      .returning('output')
      .executeTakeFirst();
    if (early) {
      row = { ...row, status: 'completed', output: early.output, finished_at: entry.startedAt };
      await db.updateTable('runs').set({ poked: 1 }).where('id', '=', entry.runId).execute();
    }
  }
  const { run_id: _r, step_key: _s, ...update } = row;
  await db
    .insertInto('journal')
    .values(row)
    .onConflict((oc) => oc.columns(['run_id', 'step_key']).doUpdateSet(update))
    .execute();
}

async function ingestOne(trx: Transaction<Database>, delivery: NewDelivery, runs: NewRun[]): Promise<IngestResult> {
  const inserted = await trx
    .insertInto('deliveries')
    .values({ source: delivery.source, delivery_id: delivery.deliveryId, event: delivery.event, received_at: delivery.receivedAt, run_ids: '[]' })
    .onConflict((oc) => oc.columns(['source', 'delivery_id']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
    const first = await trx
      .selectFrom('deliveries')
      .select('run_ids')
      .where('source', '=', delivery.source)
      .where('delivery_id', '=', delivery.deliveryId)
      .executeTakeFirstOrThrow();
    return { duplicate: true, runIds: parse<string[]>(first.run_ids).map(asRunId) };
  }
  const runIds: RunId[] = [];
  for (const run of runs) runIds.push((await insertRun(trx, run)).id);
  await trx
    .updateTable('deliveries')
    .set({ run_ids: json(runIds) })
    .where('source', '=', delivery.source)
    .where('delivery_id', '=', delivery.deliveryId)
    .execute();
  return { duplicate: false, runIds };
}

async function insertRun(trx: Db, run: NewRun): Promise<{ id: RunId; created: boolean }> {
  const r = await trx
    .insertInto('runs')
    .values({
      id: run.id,
      recipe: run.recipe,
      recipe_version: run.recipeVersion,
      recipe_hash: run.recipeHash,
      trigger: json(run.trigger),
      dedup_key: run.dedupKey,
      correlation_key: run.correlationKey,
      cancel_on_event: run.cancelOnEvent,
      status: 'queued',
      wake_at: run.wakeAt,
      lease_owner: null,
      lease_until: null,
      error: null,
      created_at: run.createdAt,
      updated_at: run.createdAt,
      finished_at: null,
    })
    .onConflict((oc) => oc.columns(['recipe', 'dedup_key']).doNothing())
    .executeTakeFirst();
  if (Number(r.numInsertedOrUpdatedRows ?? 0n) > 0) return { id: run.id, created: true };
  const existing = await trx
    .selectFrom('runs')
    .select('id')
    .where('recipe', '=', run.recipe)
    .where('dedup_key', '=', run.dedupKey)
    .executeTakeFirstOrThrow();
  return { id: asRunId(existing.id), created: false };
}

async function completeWaiting(trx: Transaction<Database>, runId: RunId, stepKey: StepKey, output: unknown, now: number): Promise<boolean> {
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

function toRun(row: RunRow): Run {
  return {
    id: asRunId(row.id),
    recipe: row.recipe,
    recipeVersion: row.recipe_version,
    recipeHash: row.recipe_hash,
    trigger: parse(row.trigger),
    dedupKey: row.dedup_key,
    correlationKey: row.correlation_key,
    cancelOnEvent: row.cancel_on_event,
    status: row.status as RunStatus,
    wakeAt: row.wake_at,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    error: parse(row.error),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

function journalRow(e: JournalEntry): Omit<JournalRow, 'seq'> {
  return {
    run_id: e.runId,
    step_key: e.stepKey,
    step_id: e.stepId,
    step_type: e.stepType,
    status: e.status,
    input: json(e.input),
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

function toJournalEntry(row: JournalRow): JournalEntry {
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

function toApproval(row: Selectable<Database['approvals']>): Approval {
  return {
    tokenHash: row.token_hash,
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

function toOutbox(row: Selectable<Database['outbox']>): OutboxMessage {
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
  };
}
