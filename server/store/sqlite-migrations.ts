import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * The embedded store's schema, as ordered migrations. Times are epoch milliseconds (INTEGER); JSON
 * values are TEXT. A migration, once released, is never edited: add the next one.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('recipe_versions')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('deliveries')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('delivery_id', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('received_at', 'integer', (c) => c.notNull())
        .addColumn('run_ids', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('deliveries_pk', ['source', 'delivery_id'])
        .execute();

      await db.schema
        .createTable('runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('recipe', 'text', (c) => c.notNull())
        .addColumn('recipe_version', 'integer', (c) => c.notNull())
        .addColumn('recipe_hash', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('dedup_key', 'text', (c) => c.notNull())
        .addColumn('correlation_key', 'text')
        .addColumn('cancel_on_event', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('wake_at', 'integer')
        // Set when a signal or event answered the run while a worker held it: its turn must not park it.
        .addColumn('poked', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'integer')
        .addColumn('error', 'text')
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .addColumn('finished_at', 'integer')
        .addUniqueConstraint('runs_recipe_dedup', ['recipe', 'dedup_key'])
        .execute();
      await db.schema.createIndex('runs_due').on('runs').columns(['wake_at']).where(sql.ref('finished_at'), 'is', null).execute();
      await db.schema.createIndex('runs_cancel_on').on('runs').columns(['cancel_on_event', 'correlation_key']).execute();
      await db.schema.createIndex('runs_recipe').on('runs').columns(['recipe', 'id']).execute();

      await db.schema
        .createTable('journal')
        .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('step_key', 'text', (c) => c.notNull())
        .addColumn('step_id', 'text', (c) => c.notNull())
        .addColumn('step_type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('input', 'text')
        .addColumn('output', 'text')
        .addColumn('error', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'integer', (c) => c.notNull())
        .addColumn('finished_at', 'integer')
        .addColumn('next_attempt_at', 'integer')
        .addColumn('wait', 'text')
        // Extracted from `wait` so that signals and events find their step by index.
        .addColumn('wait_signal', 'text')
        .addColumn('wait_event', 'text')
        .addColumn('wait_key', 'text')
        .addColumn('notes', 'text', (c) => c.notNull())
        .addUniqueConstraint('journal_run_step', ['run_id', 'step_key'])
        .execute();
      await db.schema.createIndex('journal_wait_event').on('journal').columns(['wait_event', 'wait_key']).where(sql.ref('status'), '=', 'waiting').execute();

      await db.schema
        .createTable('pending_signals')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('signal', 'text', (c) => c.notNull())
        .addColumn('output', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('pending_signals_pk', ['run_id', 'signal'])
        .execute();

      await db.schema
        .createTable('approvals')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('signal', 'text', (c) => c.notNull())
        .addColumn('approver_email', 'text', (c) => c.notNull())
        .addColumn('approver_name', 'text')
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('used_at', 'integer')
        .addColumn('decision', 'text')
        .execute();
      await db.schema.createIndex('approvals_run_signal').on('approvals').columns(['run_id', 'signal']).execute();

      await db.schema
        .createTable('outbox')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('run_id', 'text')
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('provider_message_id', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('sent_at', 'integer')
        .execute();
    },
  },
  '0002_outbox_sending_since': {
    // When an attempt took the message: a `sending` message younger than a send can take is being sent
    // right now, and an older one was interrupted.
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('outbox').addColumn('sending_since', 'integer').execute();
    },
  },
  '0003_told_changes': {
    // Tell-on-change (told-changes.ts): each change told per subject, so a redelivered or echoed
    // change is not told again and a new one is.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('told_changes')
        .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('outbox_key', 'text', (c) => c.notNull().unique())
        .addColumn('told_at', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('told_changes_subject').on('told_changes').columns(['subject', 'seq']).execute();
    },
  },
  '0004_derived_approval_links': {
    // Approval tokens are derived from a server secret and the approval's id, never stored: the
    // approval keeps its id. `expires_at` becomes optional: a link lives as long as the wait it answers
    // (D10), a fixed expiry is only an optional cap. SQLite cannot drop NOT NULL, so the table is
    // rebuilt. The outbox records which lease took a message for sending: once that lease is gone, the
    // send is over and a restarted process need not wait out the sending window.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('approvals_v3')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('approval_id', 'text', (c) => c.unique())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('signal', 'text', (c) => c.notNull())
        .addColumn('approver_email', 'text', (c) => c.notNull())
        .addColumn('approver_name', 'text')
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'integer')
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('used_at', 'integer')
        .addColumn('decision', 'text')
        .execute();
      await sql`INSERT INTO approvals_v3 (token_hash, approval_id, run_id, signal, approver_email, approver_name, subject, expires_at, created_at, used_at, decision)
        SELECT token_hash, NULL, run_id, signal, approver_email, approver_name, subject, expires_at, created_at, used_at, decision FROM approvals`.execute(db);
      await db.schema.dropTable('approvals').execute();
      await db.schema.alterTable('approvals_v3').renameTo('approvals').execute();
      await db.schema.createIndex('approvals_run_signal').on('approvals').columns(['run_id', 'signal']).execute();
      await db.schema.alterTable('outbox').addColumn('sending_owner', 'text').execute();
    },
  },
  '0005_told_changes_as_of': {
    // Tell-on-change ordered by the source's stamp (told-changes.ts): each change told keeps the stamp
    // of the state it was read from, and each subject the newest stamp seen, so a run that read an
    // older state cannot tell after one that read a newer state (D11, D12).
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('told_changes').addColumn('as_of', 'integer').execute();
      await db.schema
        .createTable('told_subjects')
        .addColumn('subject', 'text', (c) => c.primaryKey())
        .addColumn('as_of', 'integer', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('seen_at', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  '0006_business_timers': {
    // Business timers (the `timer` trigger, D14): one row per recipe, record and offset. Pending ones
    // are read only through the partial index, so "what is due" and "what is next" are index scans
    // whatever number of fired and canceled rows the table keeps.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('business_timers')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('recipe', 'text', (c) => c.notNull())
        .addColumn('record_key', 'text', (c) => c.notNull())
        .addColumn('offset', 'text', (c) => c.notNull())
        .addColumn('offset_index', 'integer', (c) => c.notNull())
        .addColumn('record_date', 'text', (c) => c.notNull())
        .addColumn('record_data', 'text', (c) => c.notNull())
        .addColumn('as_of', 'integer')
        .addColumn('fire_at', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .addUniqueConstraint('business_timers_record_offset', ['recipe', 'record_key', 'offset'])
        .execute();
      await db.schema.createIndex('business_timers_due').on('business_timers').columns(['fire_at', 'id']).where(sql.ref('status'), '=', 'pending').execute();
    },
  },
  '0007_poll_cursors': {
    // The `poll` trigger (engine/polls.ts): per poll recipe, the watermark of the items it has turned
    // into runs, when it polls next, and the lease of the process polling it now. The lease is taken by
    // compare-and-set, so two replicas never poll one recipe at once; runs and watermark are written in
    // one transaction (store/poll-cursors.ts).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('poll_cursors')
        .addColumn('recipe', 'text', (c) => c.primaryKey())
        .addColumn('watermark', 'text')
        .addColumn('next_poll_at', 'integer', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'integer')
        .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('last_polled_at', 'integer')
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  '0008_budget_reservations': {
    // D13: budgets reserved atomically (budget-reservations.ts): one row per pool holding its reserved
    // total, which every reservation changes with a conditional UPDATE (a row lock on PostgreSQL), and
    // one row per holder and pool keeping the answer it was given, so a retried step gets it again.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('budget_pools')
        .addColumn('pool', 'text', (c) => c.primaryKey())
        .addColumn('reserved_cents', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('budget_reservations')
        .addColumn('pool', 'text', (c) => c.notNull())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('amount_cents', 'integer', (c) => c.notNull())
        .addColumn('cap_cents', 'integer', (c) => c.notNull())
        .addColumn('reserved_before_cents', 'integer', (c) => c.notNull())
        .addColumn('granted', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('budget_reservations_pk', ['pool', 'holder'])
        .execute();
      await db.schema.createIndex('budget_reservations_holder').on('budget_reservations').columns(['holder']).execute();
    },
  },
  '0009_sync_bases': {
    // D1, two-way sync: per record and field, the value the PRM and Salesforce last agreed on (the sync
    // base, store/sync-bases.ts), so the sync rule can tell which side changed a field.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sync_bases')
        .addColumn('object', 'text', (c) => c.notNull())
        .addColumn('record_key', 'text', (c) => c.notNull())
        .addColumn('field', 'text', (c) => c.notNull())
        .addColumn('prm_value', 'text', (c) => c.notNull())
        .addColumn('salesforce_value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('sync_bases_pk', ['object', 'record_key', 'field'])
        .execute();
    },
  },
  '0010_rate_budgets': {
    // Rate budgets shared by every replica (store/rate-budgets.ts): per budget (a connection's limits,
    // e.g. `marketo:<host>`), one row per call that may start within a window, holding when the call it
    // last admitted started, and one row per call that may be in flight, holding who has it and until
    // when (a lease, so a replica that died frees its slots). Both are taken by a conditional UPDATE.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('rate_budget_starts')
        .addColumn('budget', 'text', (c) => c.notNull())
        .addColumn('slot', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('rate_budget_starts_pk', ['budget', 'slot'])
        .execute();
      // A take looks for the oldest start: found by the index, not a scan of the budget's rows.
      await db.schema.createIndex('rate_budget_starts_oldest').on('rate_budget_starts').columns(['budget', 'started_at']).execute();
      await db.schema
        .createTable('rate_budget_slots')
        .addColumn('budget', 'text', (c) => c.notNull())
        .addColumn('slot', 'integer', (c) => c.notNull())
        .addColumn('holder', 'text')
        .addColumn('lease_until', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('rate_budget_slots_pk', ['budget', 'slot'])
        .execute();
    },
  },
  '0011_console': {
    // The ops console (server/console): its login sessions live in the store, so they hold across
    // replicas and a logout ends them everywhere; only the hash of a session id is kept, so the file
    // never holds a working cookie. And the runs page's filters page by keyset on indexes: status and
    // business key, each with the id (newest first); the recipe filter has runs_recipe (0001).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('console_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('console_sessions_expiry').on('console_sessions').columns(['expires_at']).execute();
      await db.schema.createIndex('runs_status').on('runs').columns(['status', 'id']).execute();
      await db.schema.createIndex('runs_correlation').on('runs').columns(['correlation_key', 'id']).execute();
    },
  },
  // The PostgreSQL twin adds the triggers that wake other replicas (LISTEN/NOTIFY). One process serves a
  // SQLite file and wakes its worker in memory: nothing to add, the name keeps both histories alike.
  '0012_wake_notifications': {
    async up() {},
  },
  // Each telling about a subject first upserts its row here (told-changes.ts). On PostgreSQL that row
  // lock serializes the tellings of one subject across replicas; SQLite runs one writer at a time
  // anyway, and keeps the table so that both histories stay alike.
  '0013_told_subject_locks': {
    async up(db: Kysely<unknown>) {
      await db.schema.createTable('told_subject_locks').addColumn('subject', 'text', (c) => c.primaryKey()).execute();
    },
  },
  // The PostgreSQL twin makes the wake-up triggers of 0012 row triggers that fire only for runs made
  // due. Nothing to change on SQLite; the name keeps both histories alike.
  '0014_announce_due_runs': {
    async up() {},
  },
  // The PostgreSQL twin keeps the events some run cancels on or waits for, so a delivery's read of its
  // live runs costs a lookup when its event is none of them. SQLite runs that read in-process: nothing
  // to add, the name keeps both histories alike.
  '0015_awaited_events': {
    async up() {},
  },
  // The PostgreSQL twin makes runs_cancel_on a partial index of the unfinished runs that cancel on an
  // event. SQLite keeps the full one (its writes are in-process); the name keeps both histories alike.
  '0016_runs_cancel_on_live': {
    async up() {},
  },
  // The PostgreSQL twin makes runs_status leave out completed runs and runs_correlation the runs
  // without a business key (fewer index entries a turn's end writes). SQLite keeps both whole: its
  // writes are in-process, and its planner would use the partial runs_status only for a status
  // written as a literal in the query, not for the bound parameter the store sends. The name keeps
  // both histories alike.
  '0017_runs_partial_indexes': {
    async up() {},
  },
  // The hash of the event each delivery carried (delivery-event-hash.ts), so that its id used again
  // for another event is refused (409) rather than answered as a duplicate that drops the event.
  // Nullable: a delivery stored before (or by an older replica during a rolling deploy) has none,
  // and its id used again stays a duplicate, as it was.
  '0018_delivery_event_hash': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('deliveries').addColumn('event_hash', 'text').execute();
    },
  },
  // D15: each PRM claim's title key (claim-title-keys.ts), so the duplicate-title check asks the store
  // for the claims with a key and reads only those, plus the claims the PRM changed since the newest
  // stamp kept, instead of every claim in the PRM.
  '0019_claim_title_keys': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('claim_title_keys')
        .addColumn('claim_id', 'integer', (c) => c.primaryKey())
        .addColumn('title_key', 'text', (c) => c.notNull())
        .addColumn('prm_updated_ms', 'integer', (c) => c.notNull())
        .addColumn('seen_at', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('claim_title_keys_key').on('claim_title_keys').columns(['title_key', 'claim_id']).execute();
      await db.schema.createIndex('claim_title_keys_updated').on('claim_title_keys').columns(['prm_updated_ms']).execute();
    },
  },
  // D14: each claim event reads the stops its claim holds on other requests (business-timer-stops.ts), by
  // recipe and offset. The unique index leads with recipe then record key, so that read went through
  // every timer of the recipe. Stopped rows only: pending and fired timers are never read this way.
  '0020_business_timer_stops_index': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('business_timers_stopped_by_offset').on('business_timers').columns(['recipe', 'offset']).where(sql.ref('status'), '=', 'stopped').execute();
    },
  },
  // D15: which version of claimTitleKey made each title key (CLAIM_TITLE_KEY_VERSION), so that a change
  // to it re-keys every claim rather than compare new keys with stale ones. The keys kept before, and
  // those an older replica keeps during a rolling deploy, were made by version 1 (the claimTitleKey of
  // 0019): the default. The watermark is the newest stamp of one version, hence the index.
  '0021_claim_title_key_version': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('claim_title_keys').addColumn('title_key_version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
      await db.schema.dropIndex('claim_title_keys_updated').execute();
      await db.schema.createIndex('claim_title_keys_version_updated').on('claim_title_keys').columns(['title_key_version', 'prm_updated_ms']).execute();
    },
  },
  // A trigger's concurrency_key (recipe.ts): one unfinished run of a recipe per key, kept by a unique
  // index of the unfinished runs that have one, so that an insert of a second does nothing, as a
  // second run with the same dedup key does. The runs without a key (nearly all) hold no entry.
  '0022_runs_concurrency_key': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('runs').addColumn('concurrency_key', 'text').execute();
      // The approval runs in flight were keyed by the MDF number alone (mdf-request-approval before v24,
      // whose concurrency_key is that number): they hold it, so a new submission of their request joins
      // them instead of asking the approver a second time. One unfinished run per number, as before.
      await sql`update runs set concurrency_key = dedup_key where recipe = 'mdf-request-approval' and finished_at is null`.execute(db);
      await db.schema
        .createIndex('runs_recipe_concurrency_live')
        .unique()
        .on('runs')
        .columns(['recipe', 'concurrency_key'])
        .where(sql<boolean>`concurrency_key is not null and finished_at is null`)
        .execute();
    },
  },
  // A run of a concurrency key stored while another run of it has not finished is held back
  // (store-operations.ts, insertRunWork): stored, not due, out of the unique index, until the run that
  // holds the key finishes and the oldest held run takes the key over. Before, such an event joined
  // the unfinished run and was lost when that run was already past reading it (a resubmission while
  // the last decision's email was still being retried was never decided).
  '0023_runs_held_back': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('runs').addColumn('held_back', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.dropIndex('runs_recipe_concurrency_live').execute();
      await db.schema
        .createIndex('runs_recipe_concurrency_live')
        .unique()
        .on('runs')
        .columns(['recipe', 'concurrency_key'])
        .where(sql<boolean>`concurrency_key is not null and finished_at is null and held_back = 0`)
        .execute();
      await db.schema
        .createIndex('runs_held_back')
        .on('runs')
        .columns(['recipe', 'concurrency_key', 'created_at'])
        .where(sql<boolean>`held_back = 1 and finished_at is null`)
        .execute();
    },
  },
  // D14: the newest stamp of each stopper's events applied to a timer recipe's stops (stop_on `as_of`;
  // business-timer-stoppers.ts). Before, a claim's late event older than its denial (which had lifted
  // its stop) stopped the claim reminders again, for good. No row for the stoppers seen before: their
  // next event is applied, as it was.
  '0024_business_timer_stoppers': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('business_timer_stoppers')
        .addColumn('recipe', 'text', (c) => c.notNull())
        .addColumn('stopper', 'text', (c) => c.notNull())
        .addColumn('as_of', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('business_timer_stoppers_pk', ['recipe', 'stopper'])
        .execute();
    },
  },
  // Which process holds each PARTNERFLOW_WORKER_ID (worker-instances.ts, engine/worker-id-claim.ts): its
  // heartbeat. Before, a start freed its worker id's leases unconditionally, so a second process started
  // with a live replica's id took that replica's runs in flight and ran their calls again.
  '0025_worker_instances': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('worker_instances')
        .addColumn('worker_id', 'text', (c) => c.notNull().primaryKey())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('beat_at', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  // `/metrics` counts the emails waiting for an operator's decision (outbox `failed`: a send through
  // SMTP cut off) at every scrape: through this partial index, which holds those few rows only, not by
  // reading every email ever sent (awaiting-operator.ts).
  '0027_outbox_awaiting_decision': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('outbox_awaiting_decision').on('outbox').columns(['key']).where(sql.ref('status'), '=', 'failed').execute();
    },
  },
  // A run whose next call goes to a system that already has half the worker's turns waiting on it is
  // parked (worker-slots.ts, SystemParks): its turn ends without the call, and it is due again a little
  // later, or at once when that system answers. It still counts in the due backlog, as late as when it
  // first became due (parked_since), so that intake is pushed back against a system that does not
  // answer. The partial index holds the parked runs only: the backlog's count and the wake when the
  // system answers read those few rows.
  '0028_runs_parked': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('runs').addColumn('parked_on', 'text').execute();
      await db.schema.alterTable('runs').addColumn('parked_since', 'integer').execute();
      await db.schema
        .createIndex('runs_parked')
        .on('runs')
        .columns(['parked_on', 'wake_at'])
        .where(sql<boolean>`parked_on is not null and finished_at is null`)
        .execute();
    },
  },
};

export const sqliteMigrations: MigrationProvider = {
  getMigrations: async () => migrations,
};
