import { sql, type Kysely } from 'kysely';
import type { Database } from './database.ts';
import { PreparedQuery } from './prepared-query.ts';
import type { JournalRow, RunRow } from './store-rows.ts';

type RunValues = Omit<RunRow, 'poked' | 'parked_on' | 'parked_since'>;
type JournalValues = Omit<JournalRow, 'seq'>;

/**
 * The statements of the store's hot path (ingest, claim, turn, journal), compiled once per database.
 * Each is a Kysely query, so the same definitions serve SQLite and PostgreSQL; where the dialects
 * differ (the claim's row locks), `kind` says which.
 */
export function storeQueries(db: Kysely<Database>, kind: 'sqlite' | 'postgres' = 'sqlite') {
  return {
    insertDelivery: new PreparedQuery<{ source: string; deliveryId: string; event: string; receivedAt: number; runIds: string; eventHash: string }>((p) =>
      db
        .insertInto('deliveries')
        .values({ source: p('source'), delivery_id: p('deliveryId'), event: p('event'), received_at: p('receivedAt'), run_ids: p('runIds'), event_hash: p('eventHash') })
        .onConflict((oc) => oc.columns(['source', 'delivery_id']).doNothing()),
    ),
    storedDelivery: new PreparedQuery<{ source: string; deliveryId: string }, { run_ids: string; event_hash: string | null }>((p) =>
      db.selectFrom('deliveries').select(['run_ids', 'event_hash']).where('source', '=', p('source')).where('delivery_id', '=', p('deliveryId')),
    ),
    setDeliveryRunIds: new PreparedQuery<{ source: string; deliveryId: string; runIds: string }>((p) =>
      db.updateTable('deliveries').set({ run_ids: p('runIds') }).where('source', '=', p('source')).where('delivery_id', '=', p('deliveryId')),
    ),

    insertRun: new PreparedQuery<RunValues>((p) =>
      db
        .insertInto('runs')
        .values({
          id: p('id'),
          recipe: p('recipe'),
          recipe_version: p('recipe_version'),
          recipe_hash: p('recipe_hash'),
          trigger: p('trigger'),
          dedup_key: p('dedup_key'),
          correlation_key: p('correlation_key'),
          cancel_on_event: p('cancel_on_event'),
          concurrency_key: p('concurrency_key'),
          held_back: p('held_back'),
          status: p('status'),
          wake_at: p('wake_at'),
          lease_owner: p('lease_owner'),
          lease_until: p('lease_until'),
          error: p('error'),
          created_at: p('created_at'),
          updated_at: p('updated_at'),
          finished_at: p('finished_at'),
        })
        // No target: a second run with the dedup key (runs_recipe_dedup) or a second unfinished one with
        // the concurrency key (runs_recipe_concurrency_live) is not stored, and the one there is answered.
        .onConflict((oc) => oc.doNothing()),
    ),
    runIdByDedupKey: new PreparedQuery<{ recipe: string; dedupKey: string }, { id: string }>((p) =>
      db.selectFrom('runs').select('id').where('recipe', '=', p('recipe')).where('dedup_key', '=', p('dedupKey')),
    ),
    // The run holding a concurrency key (keyHolderWork): a new run of the key is held back behind it, and
    // a failed run of the key is not retried beside it. Written as the partial index
    // runs_recipe_concurrency_live. Locked on PostgreSQL: a run held back behind it is stored before that
    // run can finish, so its finish (which lets a held run go) sees it.
    liveRunIdByConcurrencyKey: new PreparedQuery<{ recipe: string; concurrencyKey: string }, { id: string }>((p) => {
      const live = db
        .selectFrom('runs')
        .select('id')
        .where('recipe', '=', p('recipe'))
        .where('concurrency_key', '=', p('concurrencyKey'))
        .where('finished_at', 'is', null)
        .where('held_back', '=', 0);
      return kind === 'postgres' ? live.forUpdate() : live;
    }),
    // The runs held back behind a concurrency key's holder, oldest first; locked on PostgreSQL, so that
    // one canceled meanwhile is not read as still held (a cancel_on event ends held runs too).
    heldRunIds: new PreparedQuery<{ recipe: string; concurrencyKey: string }, { id: string }>((p) => {
      const held = db
        .selectFrom('runs')
        .select('id')
        .where('recipe', '=', p('recipe'))
        .where('concurrency_key', '=', p('concurrencyKey'))
        .where('held_back', '=', 1)
        .where('finished_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id');
      return kind === 'postgres' ? held.forUpdate() : held;
    }),
    // The run that held the key finished in this transaction: the held run takes the key over, due now.
    releaseHeldRun: new PreparedQuery<{ id: string; now: number }>((p) =>
      db.updateTable('runs').set({ held_back: 0, wake_at: p('now'), updated_at: p('now') }).where('id', '=', p('id')).where('held_back', '=', 1).where('finished_at', 'is', null),
    ),
    runById: new PreparedQuery<{ id: string }, RunRow>((p) => db.selectFrom('runs').selectAll().where('id', '=', p('id'))),

    // `finished_at is null` is written as in the partial index runs_due, so the planner uses it.
    // On PostgreSQL the due rows are locked as they are read, and rows another replica's claim holds
    // are skipped (FOR UPDATE SKIP LOCKED): concurrent claims take different runs instead of queueing
    // on the same rows and then finding them claimed. SQLite has one writer at a time: no row locks.
    dueRunIds: new PreparedQuery<{ now: number; limit: number }, { id: string; lease_owner: string | null }>((p) => {
      const due = db
        .selectFrom('runs')
        .select(['id', 'lease_owner'])
        .where('finished_at', 'is', null)
        .where('wake_at', '<=', p('now'))
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', p('now'))]))
        .orderBy('wake_at')
        .limit(p('limit'));
      return kind === 'postgres' ? due.forUpdate().skipLocked() : due;
    }),
    // `seenOwner` ('' for none) is the lease owner the due query read: the claim is also a compare-and-set
    // on it, so the previous owner it reports (a takeover) is the one it replaced, also on PostgreSQL.
    claimRun: new PreparedQuery<{ id: string; owner: string; leaseUntil: number; now: number; seenOwner: string }, RunRow>((p) =>
      db
        .updateTable('runs')
        .set({ status: 'running', lease_owner: p('owner'), lease_until: p('leaseUntil'), poked: 0, updated_at: p('now') })
        .where('id', '=', p('id'))
        .where('finished_at', 'is', null)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', p('now'))]))
        .where((eb) => eb(eb.fn.coalesce('lease_owner', sql.lit('')), '=', p('seenOwner')))
        .returningAll(),
    ),
    // Locked on PostgreSQL: the journal written next may start a wait, and an approval decided at the
    // same moment must see it or leave its decision where this transaction reads it (decide-approval.ts).
    heldRun: new PreparedQuery<{ id: string; owner: string }, { id: string }>((p) => {
      const held = db.selectFrom('runs').select('id').where('id', '=', p('id')).where('lease_owner', '=', p('owner')).where('status', '=', 'running');
      return kind === 'postgres' ? held.forUpdate() : held;
    }),
    finishTurn: new PreparedQuery<{ id: string; owner: string; status: string; done: number; wakeAt: number | null; error: string | null; now: number; finishedAt: number | null }>((p) =>
      db
        .updateTable('runs')
        .set((eb) => ({
          status: p('status'),
          // A signal that arrived during the turn (poked) makes the run due now instead of parked.
          wake_at: eb
            .case()
            // Cast: PostgreSQL types a CASE of bare parameters as text, which a bigint column refuses.
            .when(eb(eb.val(p('done')), '=', 1))
            .then(null)
            .when('poked', '=', 1)
            .then(eb.cast<number>(eb.val(p('now')), 'bigint'))
            .else(eb.cast<number | null>(eb.val(p('wakeAt')), 'bigint'))
            .end(),
          error: p('error'),
          lease_owner: null,
          lease_until: null,
          updated_at: p('now'),
          finished_at: p('finishedAt'),
        }))
        .where('id', '=', p('id'))
        .where('lease_owner', '=', p('owner'))
        .where('status', '=', 'running'),
    ),
    markPoked: new PreparedQuery<{ id: string }>((p) => db.updateTable('runs').set({ poked: 1 }).where('id', '=', p('id'))),
    // A turn that parked its run (TurnOutcome.parked), run after finishTurn in its unit of work: only
    // turns of parked runs write these, so a turn's end stays one statement otherwise.
    parkRun: new PreparedQuery<{ id: string; system: string; since: number }>((p) =>
      db
        .updateTable('runs')
        .set((eb) => ({ parked_on: p('system'), parked_since: eb.fn.coalesce('parked_since', eb.cast<number>(eb.val(p('since')), 'bigint')) }))
        .where('id', '=', p('id')),
    ),
    unparkRun: new PreparedQuery<{ id: string }>((p) => db.updateTable('runs').set({ parked_on: null, parked_since: null }).where('id', '=', p('id'))),
    // The system answers again: at most `limit` of its parked runs are due now, parked longest first.
    // Only runs parked now (isParked below: a stale marker left by a previous version is no park);
    // `finished_at is null` and `parked_on` as in the partial index runs_parked.
    wakeParkedRuns: new PreparedQuery<{ system: string; now: number; within: number; limit: number }>((p) =>
      db
        .updateTable('runs')
        .set({ wake_at: p('now'), updated_at: p('now') })
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('runs')
            .select('id')
            .where('parked_on', '=', p('system'))
            .where('finished_at', 'is', null)
            .where('status', '=', 'waiting')
            .where('wake_at', '>', p('now'))
            .where('wake_at', '<=', p('within'))
            .orderBy('parked_since')
            .orderBy('id')
            .limit(p('limit')),
        ),
    ),

    journalOf: new PreparedQuery<{ runId: string }, JournalRow>((p) => db.selectFrom('journal').selectAll().where('run_id', '=', p('runId')).orderBy('seq')),
    upsertJournal: new PreparedQuery<JournalValues>((p) => {
      const values = journalValues(p);
      const { run_id: _r, step_key: _s, ...update } = values;
      return db
        .insertInto('journal')
        .values(values)
        .onConflict((oc) => oc.columns(['run_id', 'step_key']).doUpdateSet(update));
    }),
    // The same, keeping the stored input (JournalEntry.inputAsStored).
    upsertJournalKeepInput: new PreparedQuery<JournalValues>((p) => {
      const values = journalValues(p);
      const { run_id: _r, step_key: _s, input: _i, ...update } = values;
      return db
        .insertInto('journal')
        .values(values)
        .onConflict((oc) => oc.columns(['run_id', 'step_key']).doUpdateSet(update));
    }),
    insertOutbox: new PreparedQuery<Database['outbox']>((p) =>
      db
        .insertInto('outbox')
        .values({
          key: p('key'),
          run_id: p('run_id'),
          message: p('message'),
          status: p('status'),
          attempts: p('attempts'),
          provider_message_id: p('provider_message_id'),
          last_error: p('last_error'),
          created_at: p('created_at'),
          sent_at: p('sent_at'),
          sending_since: p('sending_since'),
          sending_owner: p('sending_owner'),
        })
        .onConflict((oc) => oc.column('key').doNothing()),
    ),
    insertApproval: new PreparedQuery<Database['approvals']>((p) =>
      db.insertInto('approvals').values({
        token_hash: p('token_hash'),
        approval_id: p('approval_id'),
        run_id: p('run_id'),
        signal: p('signal'),
        approver_email: p('approver_email'),
        approver_name: p('approver_name'),
        subject: p('subject'),
        expires_at: p('expires_at'),
        created_at: p('created_at'),
        used_at: p('used_at'),
        decision: p('decision'),
      }),
    ),
    outboxByKey: new PreparedQuery<{ key: string }, Database['outbox']>((p) => db.selectFrom('outbox').selectAll().where('key', '=', p('key'))),
    markOutboxSent: new PreparedQuery<{ key: string; providerMessageId: string; sentAt: number; message: string }>((p) =>
      db
        .updateTable('outbox')
        .set({ status: 'sent', provider_message_id: p('providerMessageId'), sent_at: p('sentAt'), last_error: null, message: p('message') })
        .where('key', '=', p('key')),
    ),
    takeEarlySignal: new PreparedQuery<{ runId: string; signal: string }, { output: string }>((p) =>
      db.deleteFrom('pending_signals').where('run_id', '=', p('runId')).where('signal', '=', p('signal')).returning('output'),
    ),

    runsToCancel: new PreparedQuery<{ event: string; correlationKey: string }, { id: string }>((p) =>
      db
        .selectFrom('runs')
        .select('id')
        .where('cancel_on_event', '=', p('event'))
        .where('correlation_key', '=', p('correlationKey'))
        .where((eb) => eb.or([eb('finished_at', 'is', null), eb('status', '=', sql.lit('failed'))])),
    ),
    // `status = 'waiting'` is a literal, as in the partial index journal_wait_event: with a bound
    // parameter the planner cannot use that index and scans the whole journal.
    waitingForEvent: new PreparedQuery<{ event: string; key: string }, { run_id: string; step_key: string }>((p) =>
      db
        .selectFrom('journal')
        .innerJoin('runs', 'runs.id', 'journal.run_id')
        .select(['journal.run_id', 'journal.step_key'])
        .where('journal.status', '=', sql.lit('waiting'))
        .where('journal.wait_event', '=', p('event'))
        .where('journal.wait_key', '=', p('key'))
        .where('runs.finished_at', 'is', null),
    ),
  };
}

export type StoreQueries = ReturnType<typeof storeQueries>;

/** A journal row's columns, each a parameter of a prepared statement. */
function journalValues(p: <K extends keyof JournalValues>(name: K) => JournalValues[K]): JournalValues {
  return {
    run_id: p('run_id'),
    step_key: p('step_key'),
    step_id: p('step_id'),
    step_type: p('step_type'),
    status: p('status'),
    input: p('input'),
    output: p('output'),
    error: p('error'),
    attempts: p('attempts'),
    started_at: p('started_at'),
    finished_at: p('finished_at'),
    next_attempt_at: p('next_attempt_at'),
    wait: p('wait'),
    wait_signal: p('wait_signal'),
    wait_event: p('wait_event'),
    wait_key: p('wait_key'),
    notes: p('notes'),
  };
}
