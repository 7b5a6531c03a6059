import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * The PostgreSQL store's schema: the twin of each SQLite migration (sqlite-migrations.ts), under the
 * SAME name, so a database's migration table reads alike on both and a test (postgres-migrations.test.ts)
 * fails when a SQLite migration has no twin here. A migration, once released, is never edited.
 *
 * The shapes follow database.ts, as the SQLite ones do, so one set of queries serves both:
 * - times are epoch milliseconds in `bigint` (the pool parses int8 to a JS number; < 2^53);
 * - JSON is `text`, not jsonb: the store writes JSON.stringify and reads JSON.parse, and jsonb would
 *   come back as an object with its keys reordered;
 * - text is `collate "C"`, byte order as in SQLite: ids and keys compare and sort the same on both
 *   (`listRuns` pages by `id <`), whatever locale the database was created with;
 * - autoincrement columns are identity columns.
 *
 * To add a twin: a new entry with the SQLite migration's name, the same change in PostgreSQL DDL.
 */

/** Text compared byte by byte, as SQLite's default BINARY collation does. */
const text = sql`text collate "C"`;
/** Epoch milliseconds (and other values beyond 2^31: cents of a budget). */
const bigint = 'bigint';

const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('recipe_versions')
        .addColumn('hash', text, (c) => c.primaryKey())
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('definition', text, (c) => c.notNull())
        .addColumn('created_at', bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('deliveries')
        .addColumn('source', text, (c) => c.notNull())
        .addColumn('delivery_id', text, (c) => c.notNull())
        .addColumn('event', text, (c) => c.notNull())
        .addColumn('received_at', bigint, (c) => c.notNull())
        .addColumn('run_ids', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('deliveries_pk', ['source', 'delivery_id'])
        .execute();

      await db.schema
        .createTable('runs')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('recipe', text, (c) => c.notNull())
        .addColumn('recipe_version', 'integer', (c) => c.notNull())
        .addColumn('recipe_hash', text, (c) => c.notNull())
        .addColumn('trigger', text, (c) => c.notNull())
        .addColumn('dedup_key', text, (c) => c.notNull())
        .addColumn('correlation_key', text)
        .addColumn('cancel_on_event', text)
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('wake_at', bigint)
        .addColumn('poked', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_owner', text)
        .addColumn('lease_until', bigint)
        .addColumn('error', text)
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('updated_at', bigint, (c) => c.notNull())
        .addColumn('finished_at', bigint)
        .addUniqueConstraint('runs_recipe_dedup', ['recipe', 'dedup_key'])
        .execute();
      await db.schema.createIndex('runs_due').on('runs').columns(['wake_at']).where(sql.ref('finished_at'), 'is', null).execute();
      await db.schema.createIndex('runs_cancel_on').on('runs').columns(['cancel_on_event', 'correlation_key']).execute();
      await db.schema.createIndex('runs_recipe').on('runs').columns(['recipe', 'id']).execute();

      await db.schema
        .createTable('journal')
        .addColumn('seq', bigint, (c) => c.primaryKey().generatedByDefaultAsIdentity())
        .addColumn('run_id', text, (c) => c.notNull())
        .addColumn('step_key', text, (c) => c.notNull())
        .addColumn('step_id', text, (c) => c.notNull())
        .addColumn('step_type', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('input', text)
        .addColumn('output', text)
        .addColumn('error', text)
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('started_at', bigint, (c) => c.notNull())
        .addColumn('finished_at', bigint)
        .addColumn('next_attempt_at', bigint)
        .addColumn('wait', text)
        .addColumn('wait_signal', text)
        .addColumn('wait_event', text)
        .addColumn('wait_key', text)
        .addColumn('notes', text, (c) => c.notNull())
        .addUniqueConstraint('journal_run_step', ['run_id', 'step_key'])
        .execute();
      await db.schema.createIndex('journal_wait_event').on('journal').columns(['wait_event', 'wait_key']).where(sql.ref('status'), '=', 'waiting').execute();

      await db.schema
        .createTable('pending_signals')
        .addColumn('run_id', text, (c) => c.notNull())
        .addColumn('signal', text, (c) => c.notNull())
        .addColumn('output', text, (c) => c.notNull())
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('pending_signals_pk', ['run_id', 'signal'])
        .execute();

      await db.schema
        .createTable('approvals')
        .addColumn('token_hash', text, (c) => c.primaryKey())
        .addColumn('run_id', text, (c) => c.notNull())
        .addColumn('signal', text, (c) => c.notNull())
        .addColumn('approver_email', text, (c) => c.notNull())
        .addColumn('approver_name', text)
        .addColumn('subject', text, (c) => c.notNull())
        .addColumn('expires_at', bigint, (c) => c.notNull())
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('used_at', bigint)
        .addColumn('decision', text)
        .execute();
      await db.schema.createIndex('approvals_run_signal').on('approvals').columns(['run_id', 'signal']).execute();

      await db.schema
        .createTable('outbox')
        .addColumn('key', text, (c) => c.primaryKey())
        .addColumn('run_id', text)
        .addColumn('message', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('provider_message_id', text)
        .addColumn('last_error', text)
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('sent_at', bigint)
        .execute();
    },
  },
  '0002_outbox_sending_since': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('outbox').addColumn('sending_since', bigint).execute();
    },
  },
  '0003_told_changes': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('told_changes')
        .addColumn('seq', bigint, (c) => c.primaryKey().generatedByDefaultAsIdentity())
        .addColumn('subject', text, (c) => c.notNull())
        .addColumn('value', text, (c) => c.notNull())
        .addColumn('outbox_key', text, (c) => c.notNull().unique())
        .addColumn('told_at', bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('told_changes_subject').on('told_changes').columns(['subject', 'seq']).execute();
    },
  },
  '0004_derived_approval_links': {
    // PostgreSQL can drop NOT NULL in place: no rebuild as on SQLite.
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('approvals').addColumn('approval_id', text, (c) => c.unique()).execute();
      await db.schema.alterTable('approvals').alterColumn('expires_at', (c) => c.dropNotNull()).execute();
      await db.schema.alterTable('outbox').addColumn('sending_owner', text).execute();
    },
  },
  '0005_told_changes_as_of': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('told_changes').addColumn('as_of', bigint).execute();
      await db.schema
        .createTable('told_subjects')
        .addColumn('subject', text, (c) => c.primaryKey())
        .addColumn('as_of', bigint, (c) => c.notNull())
        .addColumn('value', text, (c) => c.notNull())
        .addColumn('seen_at', bigint, (c) => c.notNull())
        .execute();
    },
  },
  '0006_business_timers': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('business_timers')
        .addColumn('id', bigint, (c) => c.primaryKey().generatedByDefaultAsIdentity())
        .addColumn('recipe', text, (c) => c.notNull())
        .addColumn('record_key', text, (c) => c.notNull())
        .addColumn('offset', text, (c) => c.notNull())
        .addColumn('offset_index', 'integer', (c) => c.notNull())
        .addColumn('record_date', text, (c) => c.notNull())
        .addColumn('record_data', text, (c) => c.notNull())
        .addColumn('as_of', bigint)
        .addColumn('fire_at', bigint, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('reason', text)
        .addColumn('updated_at', bigint, (c) => c.notNull())
        .addUniqueConstraint('business_timers_record_offset', ['recipe', 'record_key', 'offset'])
        .execute();
      await db.schema.createIndex('business_timers_due').on('business_timers').columns(['fire_at', 'id']).where(sql.ref('status'), '=', 'pending').execute();
    },
  },
  '0007_poll_cursors': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('poll_cursors')
        .addColumn('recipe', text, (c) => c.primaryKey())
        .addColumn('watermark', text)
        .addColumn('next_poll_at', bigint, (c) => c.notNull())
        .addColumn('lease_owner', text)
        .addColumn('lease_until', bigint)
        .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', text)
        .addColumn('last_polled_at', bigint)
        .addColumn('updated_at', bigint, (c) => c.notNull())
        .execute();
    },
  },
  '0008_budget_reservations': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('budget_pools')
        .addColumn('pool', text, (c) => c.primaryKey())
        .addColumn('reserved_cents', bigint, (c) => c.notNull())
        .addColumn('updated_at', bigint, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('budget_reservations')
        .addColumn('pool', text, (c) => c.notNull())
        .addColumn('holder', text, (c) => c.notNull())
        .addColumn('amount_cents', bigint, (c) => c.notNull())
        .addColumn('cap_cents', bigint, (c) => c.notNull())
        .addColumn('reserved_before_cents', bigint, (c) => c.notNull())
        .addColumn('granted', 'integer', (c) => c.notNull())
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('budget_reservations_pk', ['pool', 'holder'])
        .execute();
      await db.schema.createIndex('budget_reservations_holder').on('budget_reservations').columns(['holder']).execute();
    },
  },
  '0009_sync_bases': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sync_bases')
        .addColumn('object', text, (c) => c.notNull())
        .addColumn('record_key', text, (c) => c.notNull())
        .addColumn('field', text, (c) => c.notNull())
        .addColumn('prm_value', text, (c) => c.notNull())
        .addColumn('salesforce_value', text, (c) => c.notNull())
        .addColumn('updated_at', bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('sync_bases_pk', ['object', 'record_key', 'field'])
        .execute();
    },
  },
  '0010_rate_budgets': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('rate_budget_starts')
        .addColumn('budget', text, (c) => c.notNull())
        .addColumn('slot', 'integer', (c) => c.notNull())
        .addColumn('started_at', bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('rate_budget_starts_pk', ['budget', 'slot'])
        .execute();
      await db.schema.createIndex('rate_budget_starts_oldest').on('rate_budget_starts').columns(['budget', 'started_at']).execute();
      await db.schema
        .createTable('rate_budget_slots')
        .addColumn('budget', text, (c) => c.notNull())
        .addColumn('slot', 'integer', (c) => c.notNull())
        .addColumn('holder', text)
        .addColumn('lease_until', bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('rate_budget_slots_pk', ['budget', 'slot'])
        .execute();
    },
  },
  '0011_console': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('console_sessions')
        .addColumn('id_hash', text, (c) => c.primaryKey())
        .addColumn('csrf_token', text, (c) => c.notNull())
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('expires_at', bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('console_sessions_expiry').on('console_sessions').columns(['expires_at']).execute();
      await db.schema.createIndex('runs_status').on('runs').columns(['status', 'id']).execute();
      await db.schema.createIndex('runs_correlation').on('runs').columns(['correlation_key', 'id']).execute();
    },
  },
  // Wakeups without polling (wake-notifications.ts): a statement that makes runs due, or business
  // timers pending, announces the earliest such time on the schema's channel. A trigger, so every
  // write path (ingest, a decision, a turn that waits, a retry, a released lease, a recompute) is
  // covered, and the NOTIFY is part of the writing transaction: PostgreSQL delivers it at COMMIT only
  // (never for an uncommitted run), and identical ones in one transaction collapse. One per statement
  // (transition tables), not per row. Held runs (a lease) are not announced: a claim or a lease
  // renewal is no news; a lapsed lease is found by the safety poll.
  '0012_wake_notifications': {
    async up(db: Kysely<unknown>) {
      await sql`
        create function partnerflow_announce_runs() returns trigger language plpgsql as $$
        declare next bigint;
        begin
          select min(wake_at) into next from changed_runs where finished_at is null and lease_until is null and wake_at is not null;
          if next is not null then
            perform pg_notify(left('partnerflow_wake.' || tg_table_schema, 63), next::text);
          end if;
          return null;
        end $$`.execute(db);
      await sql`create trigger runs_announce_inserted after insert on runs referencing new table as changed_runs for each statement execute function partnerflow_announce_runs()`.execute(db);
      await sql`create trigger runs_announce_updated after update on runs referencing new table as changed_runs for each statement execute function partnerflow_announce_runs()`.execute(db);
      await sql`
        create function partnerflow_announce_timers() returns trigger language plpgsql as $$
        declare next bigint;
        begin
          select min(fire_at) into next from changed_timers where status = 'pending';
          if next is not null then
            perform pg_notify(left('partnerflow_wake.' || tg_table_schema, 63), next::text);
          end if;
          return null;
        end $$`.execute(db);
      await sql`create trigger business_timers_announce_inserted after insert on business_timers referencing new table as changed_timers for each statement execute function partnerflow_announce_timers()`.execute(db);
      await sql`create trigger business_timers_announce_updated after update on business_timers referencing new table as changed_timers for each statement execute function partnerflow_announce_timers()`.execute(db);
    },
  },
  // Tell on change is a read then a write: two transactions telling the same change at once (two runs
  // hearing one PRM update, on two replicas) each read "not told yet" under READ COMMITTED and each
  // told it, and the partner got the email twice. Each telling first upserts its subject's row here,
  // which locks it until commit: the tellings of one subject run one after another (told-changes.ts).
  '0013_told_subject_locks': {
    async up(db: Kysely<unknown>) {
      await db.schema.createTable('told_subject_locks').addColumn('subject', text, (c) => c.primaryKey()).execute();
    },
  },
  // The runs triggers of 0012 ran for every statement on runs, kept every changed row in a transition
  // table and ran a query over it, though most statements make nothing due: a webhook's run is leased
  // at intake, a turn's end finishes its run or leases none. With each replica's group commits, that
  // was a fifth of the statements PostgreSQL executed. A row trigger whose WHEN is the same condition
  // (due, unleased, unfinished) costs nothing for the others; for a run made due it notifies its own
  // wake time (identical ones in one transaction still collapse, and a listener wakes at once for a
  // time past), so what a replica hears is unchanged: every time a write made a run due, at COMMIT.
  '0014_announce_due_runs': {
    async up(db: Kysely<unknown>) {
      await sql`
        create function partnerflow_announce_run() returns trigger language plpgsql as $$
        begin
          perform pg_notify(left('partnerflow_wake.' || tg_table_schema, 63), new.wake_at::text);
          return null;
        end $$`.execute(db);
      await sql`drop trigger runs_announce_inserted on runs`.execute(db);
      await sql`drop trigger runs_announce_updated on runs`.execute(db);
      await sql`drop function partnerflow_announce_runs()`.execute(db);
      await sql`create trigger runs_announce_due after insert or update on runs for each row when (new.finished_at is null and new.lease_until is null and new.wake_at is not null) execute function partnerflow_announce_run()`.execute(db);
    },
  },
  // Every delivery with a correlation key asks which live runs its event cancels and which waits it
  // answers (postgres-read-batches.ts). That statement cost PostgreSQL more to plan than to run, at
  // every batch of deliveries, though most events are awaited by nothing. This table names every
  // event a run was ever stored to cancel on, or a step ever waited for; triggers add to it in the
  // transaction that writes the run or the wait, and nothing removes from it. An event not in it has,
  // as of the statement that reads it, no run to cancel and no wait to answer, so the read of a batch
  // whose events are none of these is a primary-key lookup on a table of a few rows.
  '0015_awaited_events': {
    async up(db: Kysely<unknown>) {
      await db.schema.createTable('awaited_events').addColumn('event', text, (c) => c.primaryKey()).execute();
      for (const [fn, column] of [
        ['partnerflow_cancel_on_event', 'cancel_on_event'],
        ['partnerflow_wait_for_event', 'wait_event'],
      ] as const) {
        await sql`
          create function ${sql.raw(fn)}() returns trigger language plpgsql as $$
          begin
            insert into awaited_events (event) values (new.${sql.raw(column)}) on conflict do nothing;
            return null;
          end $$`.execute(db);
      }
      // Triggers first: they lock the tables against writes until this migration commits, so the rows
      // copied below include every run and wait committed before, and the triggers catch the rest.
      await sql`create trigger runs_awaited_event after insert or update of cancel_on_event on runs for each row when (new.cancel_on_event is not null) execute function partnerflow_cancel_on_event()`.execute(db);
      await sql`create trigger journal_awaited_event after insert or update on journal for each row when (new.status = 'waiting' and new.wait_event is not null) execute function partnerflow_wait_for_event()`.execute(db);
      await sql`
        insert into awaited_events (event)
        select cancel_on_event from runs where cancel_on_event is not null
        union select wait_event from journal where status = 'waiting' and wait_event is not null
        on conflict do nothing`.execute(db);
    },
  },
  // runs_cancel_on held every run, though only the unfinished runs stored to cancel on an event are
  // ever looked up in it (runsToCancel, the cancel/wait read: `cancel_on_event = ...` and `finished_at
  // is null`): each run stored, and each turn's end (which changes indexed columns, so PostgreSQL
  // writes every index again), added an entry. Partial, it holds those runs alone.
  '0016_runs_cancel_on_live': {
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex('runs_cancel_on').execute();
      await db.schema
        .createIndex('runs_cancel_on')
        .on('runs')
        .columns(['cancel_on_event', 'correlation_key'])
        .where(sql<boolean>`cancel_on_event is not null and finished_at is null`)
        .execute();
    },
  },
  // A turn's end changes indexed columns (status, wake_at, finished_at), so PostgreSQL cannot update
  // the run in place (HOT) and writes a new entry in every index whose condition the new row meets.
  // runs_status held every completed run, though no read finds completed runs through it: a list of
  // them walks the primary key backwards (nearly every run is completed), and the live statuses are
  // few among the rest. runs_correlation held every run, also the ones without a business key, which
  // no read looks up (`correlation_key = ...`). Partial, they hold what is read through them: a run
  // that completes writes no runs_status entry at its end, and one without a key never writes a
  // runs_correlation entry (postgres-run-indexes.test.ts: each read still uses an index).
  '0017_runs_partial_indexes': {
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex('runs_status').execute();
      await db.schema
        .createIndex('runs_status')
        .on('runs')
        .columns(['status', 'id'])
        .where(sql<boolean>`status <> 'completed'`)
        .execute();
      await db.schema.dropIndex('runs_correlation').execute();
      await db.schema
        .createIndex('runs_correlation')
        .on('runs')
        .columns(['correlation_key', 'id'])
        .where(sql<boolean>`correlation_key is not null`)
        .execute();
    },
  },
  // The twin of SQLite's: the hash of the event each delivery carried, none for the deliveries stored
  // before (or by an older replica). A nullable column without a default: a change of the catalog
  // only, no rewrite of the table, so a rolling deploy does not wait on it.
  '0018_delivery_event_hash': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('deliveries').addColumn('event_hash', text).execute();
    },
  },
  // The twin of SQLite's: each PRM claim's title key (D15, claim-title-keys.ts).
  '0019_claim_title_keys': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('claim_title_keys')
        .addColumn('claim_id', bigint, (c) => c.primaryKey())
        .addColumn('title_key', text, (c) => c.notNull())
        .addColumn('prm_updated_ms', bigint, (c) => c.notNull())
        .addColumn('seen_at', bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('claim_title_keys_key').on('claim_title_keys').columns(['title_key', 'claim_id']).execute();
      await db.schema.createIndex('claim_title_keys_updated').on('claim_title_keys').columns(['prm_updated_ms']).execute();
    },
  },
  // As 0020 of SQLite. D14: each claim event reads the stops its claim holds on other requests (business-timer-stops.ts), by
  // recipe and offset. The unique index leads with recipe then record key, so that read went through
  // every timer of the recipe. Stopped rows only: pending and fired timers are never read this way.
  '0020_business_timer_stops_index': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('business_timers_stopped_by_offset').on('business_timers').columns(['recipe', 'offset']).where(sql.ref('status'), '=', 'stopped').execute();
    },
  },
  // As 0021 of SQLite: which version of claimTitleKey made each title key (D15), 1 for the keys kept
  // before and for an older replica's. A constant default: a change of the catalog only, no rewrite.
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
      await db.schema.alterTable('runs').addColumn('concurrency_key', text).execute();
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
  // As 0024 of SQLite: the newest stamp of each stopper's events applied to a timer recipe's stops
  // (D14, stop_on `as_of`; business-timer-stoppers.ts).
  '0024_business_timer_stoppers': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('business_timer_stoppers')
        .addColumn('recipe', text, (c) => c.notNull())
        .addColumn('stopper', text, (c) => c.notNull())
        .addColumn('as_of', bigint, (c) => c.notNull())
        .addColumn('updated_at', bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('business_timer_stoppers_pk', ['recipe', 'stopper'])
        .execute();
    },
  },
  // As 0025 of SQLite: which process holds each PARTNERFLOW_WORKER_ID, with its heartbeat
  // (worker-instances.ts, engine/worker-id-claim.ts).
  '0025_worker_instances': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('worker_instances')
        .addColumn('worker_id', text, (c) => c.notNull().primaryKey())
        .addColumn('instance_id', text, (c) => c.notNull())
        .addColumn('beat_at', bigint, (c) => c.notNull())
        .addColumn('started_at', bigint, (c) => c.notNull())
        .execute();
    },
  },
  // As 0027 of SQLite: the emails waiting for an operator's decision (outbox `failed`), counted by
  // `/metrics` at every scrape, through a partial index of those few rows rather than a scan of the
  // outbox (every email ever sent keeps its envelope there).
  '0027_outbox_awaiting_decision': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('outbox_awaiting_decision').on('outbox').columns(['key']).where(sql.ref('status'), '=', 'failed').execute();
    },
  },
  // As 0028 of SQLite: runs parked on a system that has half the worker's turns waiting on it, with
  // the time they first became due (their age in the due backlog), and a partial index of those rows.
  '0028_runs_parked': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('runs').addColumn('parked_on', text).execute();
      await db.schema.alterTable('runs').addColumn('parked_since', bigint).execute();
      await db.schema
        .createIndex('runs_parked')
        .on('runs')
        .columns(['parked_on', 'wake_at'])
        .where(sql<boolean>`parked_on is not null and finished_at is null`)
        .execute();
    },
  },
};

/** The PostgreSQL migrations, by the same names as `sqliteMigrations`. */
export const postgresMigrations: MigrationProvider = {
  getMigrations: async () => migrations,
};
