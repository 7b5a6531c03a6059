import type { Generated } from 'kysely';

/**
 * The store's tables as Kysely sees them. Both dialects use these shapes: JSON as TEXT, times as
 * epoch-millisecond integers, so one set of queries serves SQLite and PostgreSQL.
 */
export interface Database {
  recipe_versions: {
    hash: string;
    name: string;
    version: number;
    definition: string;
    created_at: number;
  };
  deliveries: {
    source: string;
    delivery_id: string;
    event: string;
    received_at: number;
    run_ids: string;
    /** The hash of the event the delivery carried (delivery-event-hash.ts); null for those stored before migration 0018. */
    event_hash: string | null;
  };
  runs: {
    id: string;
    recipe: string;
    recipe_version: number;
    recipe_hash: string;
    trigger: string;
    dedup_key: string;
    correlation_key: string | null;
    cancel_on_event: string | null;
    /** A trigger's concurrency_key: at most one unfinished run of the recipe has it (migration 0022). */
    concurrency_key: string | null;
    status: string;
    wake_at: number | null;
    poked: Generated<number>;
    /** 1 while the run waits for the unfinished run holding its concurrency_key to finish (migration 0023). */
    held_back: Generated<number>;
    lease_owner: string | null;
    lease_until: number | null;
    error: string | null;
    created_at: number;
    updated_at: number;
    finished_at: number | null;
    /** The system whose call the run's last turn did not make: it had half the worker's turns waiting on it (migration 0028). */
    parked_on: string | null;
    /** When the parked run first became due: its age in the due backlog (migration 0028). */
    parked_since: number | null;
  };
  journal: {
    seq: Generated<number>;
    run_id: string;
    step_key: string;
    step_id: string;
    step_type: string;
    status: string;
    input: string | null;
    output: string | null;
    error: string | null;
    attempts: number;
    started_at: number;
    finished_at: number | null;
    next_attempt_at: number | null;
    wait: string | null;
    wait_signal: string | null;
    wait_event: string | null;
    wait_key: string | null;
    notes: string;
  };
  pending_signals: {
    run_id: string;
    signal: string;
    output: string;
    created_at: number;
  };
  approvals: {
    token_hash: string;
    approval_id: string | null;
    run_id: string;
    signal: string;
    approver_email: string;
    approver_name: string | null;
    subject: string;
    expires_at: number | null;
    created_at: number;
    used_at: number | null;
    decision: string | null;
  };
  outbox: {
    key: string;
    run_id: string | null;
    message: string;
    status: string;
    attempts: number;
    provider_message_id: string | null;
    last_error: string | null;
    created_at: number;
    sent_at: number | null;
    sending_since: number | null;
    sending_owner: string | null;
  };
  /** Tell-on-change: the changes told per subject, newest last (told-changes.ts). */
  told_changes: {
    seq: Generated<number>;
    subject: string;
    value: string;
    outbox_key: string;
    told_at: number;
    /** The source stamp (epoch ms) of the state the value was read from; null before migration 0005 or without as_of. */
    as_of: number | null;
  };
  /**
   * Tell-on-change: one row per subject ever told about, which each telling locks first (an upsert) so
   * that the tellings of one subject run one after another, across replicas too (told-changes.ts).
   */
  told_subject_locks: {
    subject: string;
  };
  /** Tell-on-change: per subject, the newest source stamp seen and the value read with it (told-changes.ts). */
  told_subjects: {
    subject: string;
    as_of: number;
    value: string;
    seen_at: number;
  };
  /** D13: per budget pool (e.g. `flexi:EMEA:2026-Q2`), the cents reserved in it (budget-reservations.ts). */
  budget_pools: {
    pool: string;
    reserved_cents: number;
    updated_at: number;
  };
  /** D13: each holder's answer in a pool, granted or refused, with the numbers it was given (budget-reservations.ts). */
  budget_reservations: {
    pool: string;
    holder: string;
    amount_cents: number;
    cap_cents: number;
    /** What the pool held before this reservation was answered. */
    reserved_before_cents: number;
    granted: number;
    created_at: number;
  };
  /** The `poll` trigger's cursor per recipe (store/poll-cursors.ts, migration 0007). */
  poll_cursors: {
    recipe: string;
    watermark: string | null;
    next_poll_at: number;
    lease_owner: string | null;
    lease_until: number | null;
    failures: Generated<number>;
    last_error: string | null;
    last_polled_at: number | null;
    updated_at: number;
  };
  /** Business timers: one row per (recipe, record key, offset), recomputed from the record's events (business-timers-store.ts). */
  business_timers: {
    id: Generated<number>;
    recipe: string;
    record_key: string;
    /** The offset as the trigger gives it (`14` days, `P1M`, `3BD`); empty for a record's stop marker, `@as_of` for its state row. */
    offset: string;
    offset_index: number;
    record_date: string;
    record_data: string;
    /** The source's stamp of the record data (epoch ms), when the trigger has `as_of`. */
    as_of: number | null;
    fire_at: number;
    /** pending, fired, canceled, skipped; `stopped` marks a record a stop_on event ended for good; `state` a record's newest `as_of` (offset `@as_of`). */
    status: string;
    reason: string | null;
    updated_at: number;
  };
  /**
   * D14: per timer recipe and stopper (stop_on `by`: a claim), the newest source stamp of the stopper's
   * events applied (its stop_on `as_of`), so a late event older than that stops or lifts nothing
   * (business-timer-stoppers.ts, migration 0024).
   */
  business_timer_stoppers: {
    recipe: string;
    stopper: string;
    /** The source's stamp (epoch ms) of the newest stopper event applied. */
    as_of: number;
    updated_at: number;
  };
  /**
   * Which process holds each worker id now (PARTNERFLOW_WORKER_ID; store/worker-instances.ts, migration
   * 0025): a start takes an id over only from no one or from a process whose heartbeat stopped.
   */
  worker_instances: {
    worker_id: string;
    /** Random, new at each start of a process. */
    instance_id: string;
    /** Its last heartbeat (wall-clock epoch ms). */
    beat_at: number;
    started_at: number;
  };
  /** D1: per record and field, the value both sides last agreed on (store/sync-bases.ts, migration 0009). */
  sync_bases: {
    object: string;
    record_key: string;
    field: string;
    /** JSON of the PRM's value. */
    prm_value: string;
    /** JSON of Salesforce's value. */
    salesforce_value: string;
    updated_at: number;
  };
  /** D15: each PRM claim's title key, as last read from the PRM (store/claim-title-keys.ts, migration 0019). */
  claim_title_keys: {
    /** The claim's PRM record id. */
    claim_id: number;
    /** claimTitleKey of its title ('' for a claim without one). */
    title_key: string;
    /** The PRM's `updated` stamp of the state the key was read from (epoch ms; 0 when the PRM gave none). */
    prm_updated_ms: number;
    seen_at: number;
    /** The claimTitleKey version that made the key (CLAIM_TITLE_KEY_VERSION; migration 0021, 1 for keys kept before). */
    title_key_version: number;
  };
  /** Ops console sessions (server/console/console-sessions.ts, migration 0011): only the session id's hash is kept. */
  console_sessions: {
    /** sha256 (hex) of the session id the cookie carries. */
    id_hash: string;
    /** The CSRF token every console form must carry with this session. */
    csrf_token: string;
    created_at: number;
    expires_at: number;
  };
  /** A shared rate budget's window: per budget, one row per call allowed in it, with when the call it admitted last started (store/rate-budgets.ts, migration 0010). */
  rate_budget_starts: {
    budget: string;
    slot: number;
    /** Epoch ms; 0 for a row never used. */
    started_at: number;
  };
  /** A shared rate budget's calls in flight: one row per call allowed at once, leased to the call holding it (store/rate-budgets.ts). */
  rate_budget_slots: {
    budget: string;
    slot: number;
    /** The call holding the slot; null when free. */
    holder: string | null;
    /** Until when the holder has it (epoch ms); 0 when free. A slot past it is free, whoever held it. */
    lease_until: number;
  };
}
