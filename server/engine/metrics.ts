import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AwaitingOperator, ClaimedRun, RunsAwaitingRetry } from '../store/store.ts';
import type { Recipe } from '../../schemas/recipe.ts';
import type { DueBacklogView } from './due-backlog.ts';
import { failingTriggerFields, systemsCalled } from './recipe-metric-labels.ts';

/**
 * How long a scrape waits for the figures it reads from the store (runs awaiting retry, the due
 * backlog, failed runs and emails waiting for an operator). A saturated pool or a lock would otherwise hold the scrape until it frees up, exactly when
 * ops need the figures; past this, the scrape answers with the replica's own figures and
 * `partnerflow_metrics_store_stale` 1. Below Prometheus's default scrape timeout (10 s).
 */
export const SCRAPE_STORE_TIMEOUT_MS = 2000;

/** Why a webhook delivery was refused (`partnerflow_webhooks_refused_total{reason}`): a closed list. */
export const WEBHOOK_REFUSAL_REASONS = ['backlog', 'age', 'store_unavailable', 'invalid', 'signature', 'unknown_source', 'too_large', 'content_type', 'delivery_id_reused'] as const;
export type WebhookRefusalReason = (typeof WEBHOOK_REFUSAL_REASONS)[number];

const FINAL_STATUSES = ['completed', 'failed', 'canceled'] as const;

/** A store figure the scrape could not read in time, or at all. */
const UNREAD = Symbol('unread');

/** What one scrape read from the store; `UNREAD` where it could not. */
interface StoreFigures {
  retries: RunsAwaitingRetry[] | typeof UNREAD | null;
  backlog: DueBacklogView | typeof UNREAD | null;
  operator: AwaitingOperator | typeof UNREAD | null;
}

/**
 * The engine's Prometheus metrics, in a registry of its own so that several engines in one process
 * (tests, the harness) do not collide. `GET /metrics` serves `registry.metrics()`.
 *
 * Every series carries `worker`, the replica's `PARTNERFLOW_WORKER_ID` (a default label of the
 * registry, so a metric added later, or the polls', carries it too). The figures read from the store
 * (the due backlog, runs awaiting retry, failed runs, emails waiting for a decision) are the shared
 * store's: the same on every replica, each reporting them under its own worker id (aggregate them with
 * max, not sum). The others are the replica's own.
 *
 * The gauges read from the store share one bounded read per scrape (SCRAPE_STORE_TIMEOUT_MS): a scrape
 * never waits longer for the store, and says so in `partnerflow_metrics_store_stale`.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly #worker: { worker: string };

  constructor(workerId = 'worker') {
    this.#worker = { worker: workerId };
    this.registry.setDefaultLabels(this.#worker);
    // Shown from the start: a replica that never claimed says 0, not nothing.
    this.runsClaimed.inc(this.#worker, 0);
    this.leaseTakeovers.inc(this.#worker, 0);
    this.claimQueries.inc({ ...this.#worker, result: 'runs' }, 0);
    this.claimQueries.inc({ ...this.#worker, result: 'empty' }, 0);
    // A counter born at 1 gives Prometheus's increase() no sample before it: the first refusal after a
    // start (a lost event) would never fire an alert (review 9, finding 2). Every reason is known.
    for (const reason of WEBHOOK_REFUSAL_REASONS) this.webhooksRefused.inc({ reason }, 0);
    this.uncleanStart.set(this.#worker, 0);
  }

  /**
   * Says that this process took its worker id from a process that had not given it up. Its restart
   * frees and resumes that process's leases, which no other replica counts as a takeover (review 9,
   * finding 3: a replica killed and restarted by its supervisor left no trace in the metrics).
   */
  startedUnclean(at: number): void {
    this.uncleanStart.set(this.#worker, at / 1000);
  }

  /**
   * Shows at 0 from the start (see webhooksRefused above) every final status of each served recipe,
   * each trigger or cancel_on field of it that can fail, and each system its steps call (turns parked).
   */
  serves(recipes: readonly Recipe[]): void {
    for (const recipe of recipes) {
      for (const status of FINAL_STATUSES) this.runsFinished.inc({ recipe: recipe.name, status }, 0);
      for (const field of failingTriggerFields(recipe)) this.recipeTriggerErrors.inc({ recipe: recipe.name, field }, 0);
      for (const system of systemsCalled(recipe)) this.turnsParked.inc({ system }, 0);
    }
  }

  // ── Replicas ───────────────────────────────────────────────────────────────────────────────
  readonly runsClaimed = new Counter({
    name: 'partnerflow_runs_claimed_total',
    help: 'Runs this replica claimed to run a turn of (each turn claims its run once)',
    labelNames: ['worker'] as const,
    registers: [this.registry],
  });
  readonly leaseTakeovers = new Counter({
    name: 'partnerflow_lease_takeovers_total',
    help: "Runs this replica claimed whose previous lease had lapsed while another worker held it (that worker stalled or died)",
    labelNames: ['worker'] as const,
    registers: [this.registry],
  });

  readonly uncleanStart = new Gauge({
    name: 'partnerflow_unclean_start_time_seconds',
    help: 'When this process started (Unix time) if the previous process under its PARTNERFLOW_WORKER_ID had not stopped cleanly (killed, crashed, or stopped while the store was down): it resumed that process\'s runs. 0 after a clean stop',
    labelNames: ['worker'] as const,
    registers: [this.registry],
  });

  readonly claimQueries = new Counter({
    name: 'partnerflow_claim_queries_total',
    help: 'Claims this replica asked the store for (result runs: it got at least one run; empty: another replica had taken them, or nothing was due)',
    labelNames: ['worker', 'result'] as const,
    registers: [this.registry],
  });

  /** Counts a claim, its runs, and those of them it took over. */
  claimed(runs: readonly ClaimedRun[]): void {
    this.claimQueries.inc({ ...this.#worker, result: runs.length === 0 ? 'empty' : 'runs' });
    if (runs.length === 0) return;
    this.runsClaimed.inc(this.#worker, runs.length);
    const takenOver = runs.filter((r) => r.takenOverFrom !== null).length;
    if (takenOver > 0) this.leaseTakeovers.inc(this.#worker, takenOver);
  }

  /** Counts runs this replica leased as it stored them, to run at once (no claim query). */
  takenAtIntake(runs: number): void {
    if (runs > 0) this.runsClaimed.inc(this.#worker, runs);
  }

  readonly deliveries = new Counter({ name: 'partnerflow_deliveries_total', help: 'Webhook deliveries this replica accepted (duplicates excluded)', registers: [this.registry] });
  readonly runsFinished = new Counter({
    name: 'partnerflow_runs_finished_total',
    help: 'Runs this replica took to a final status (completed, failed, canceled), per recipe',
    labelNames: ['recipe', 'status'] as const,
    registers: [this.registry],
  });

  /** Counts a run that reached a final status here (a turn's end, a cancel). */
  finished(recipe: string, status: (typeof FINAL_STATUSES)[number]): void {
    this.runsFinished.inc({ recipe, status });
  }
  readonly recipeTriggerErrors = new Counter({
    name: 'partnerflow_recipe_trigger_errors_total',
    help: "Times a recipe's trigger or cancel_on could not be computed (field: trigger.filter, trigger.dedup_key, trigger.cron, cancel_on.filter…); only that recipe is affected",
    labelNames: ['recipe', 'field'] as const,
    registers: [this.registry],
  });
  readonly turnSeconds = new Histogram({
    name: 'partnerflow_turn_seconds',
    help: 'Duration of one turn of a run (steps executed until it waits or ends)',
    buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60],
    registers: [this.registry],
  });

  /** Where the retry gauges read from (the engine's store); unset, they show nothing. */
  #awaitingRetry: (() => Promise<RunsAwaitingRetry[]>) | null = null;

  /**
   * Ops see a recipe falling behind (D1: the Salesforce sync while Salesforce is down): its unfinished
   * runs waiting on a retry, and the age of the oldest of them.
   */
  readonly runsAwaitingRetry = this.#retryGauge('partnerflow_runs_awaiting_retry', 'Unfinished runs waiting to retry a failed step, per recipe', (r) => r.runs);
  readonly retryingSinceSeconds = this.#retryGauge(
    'partnerflow_runs_awaiting_retry_oldest_seconds',
    'Age of the oldest unfinished run waiting to retry a failed step, per recipe (how far behind it is)',
    (r, now) => Math.max(0, (now - r.since) / 1000),
  );

  /**
   * Makes the retry gauges read the store at each scrape; `now` is the engine's clock. Both gauges are
   * collected in the same scrape, so they share one in-flight query rather than running it twice.
   */
  watchRetries(source: () => Promise<RunsAwaitingRetry[]>, now: () => number): void {
    let pending: Promise<RunsAwaitingRetry[]> | null = null;
    this.#awaitingRetry = () =>
      (pending ??= source().finally(() => {
        pending = null;
      }));
    this.#now = now;
  }

  #now: () => number = Date.now;

  #retryGauge(name: string, help: string, value: (r: RunsAwaitingRetry, now: number) => number): Gauge<'recipe'> {
    // prom-client calls collect with the gauge as `this`.
    const metrics = this;
    return new Gauge({
      name,
      help,
      labelNames: ['recipe'] as const,
      registers: [this.registry],
      async collect() {
        const rows = (await metrics.#storeFigures()).retries;
        // Not read in time: the last figures stand, and the stale marker says so.
        if (rows === null || rows === UNREAD) return;
        this.reset();
        for (const r of rows) this.set({ recipe: r.recipe }, value(r, metrics.#now()));
      },
    });
  }

  // ── Backpressure (backpressure.ts) ──────────────────────────────────────────────────────────
  /** Where the backlog gauges read from; a scrape counts the backlog afresh. */
  #backlog: (() => Promise<DueBacklogView>) | null = null;
  readonly dueBacklogRuns = new Gauge({
    name: 'partnerflow_due_backlog_runs',
    help: 'Runs due and not started (counted up to 50000 by default), in the store: the same on every replica',
    registers: [this.registry],
    collect: async () => {
      const backlog = (await this.#storeFigures()).backlog;
      if (backlog !== null && backlog !== UNREAD) this.dueBacklogRuns.set(backlog.count);
    },
  });
  readonly dueBacklogParkedRuns = new Gauge({
    name: 'partnerflow_due_backlog_parked_runs',
    help: 'Of partnerflow_due_backlog_runs, the runs parked on a system that had half of a replica\'s turns waiting on it (partnerflow_turns_parked_total); they count from when they first became due',
    registers: [this.registry],
    collect: async () => {
      const backlog = (await this.#storeFigures()).backlog;
      if (backlog !== null && backlog !== UNREAD) this.dueBacklogParkedRuns.set(backlog.parked);
    },
  });
  readonly dueBacklogOldestAgeSeconds = new Gauge({
    name: 'partnerflow_due_backlog_oldest_age_seconds',
    help: 'How late the oldest due run is (0 when none is due), as this replica counts it in the store',
    labelNames: ['worker'] as const,
    registers: [this.registry],
    collect: async () => {
      const backlog = (await this.#storeFigures()).backlog;
      if (backlog !== null && backlog !== UNREAD) this.dueBacklogOldestAgeSeconds.set(this.#worker, backlog.oldestAgeMs / 1000);
    },
  });
  /** How many of this replica's turns wait on a remote system that does not answer (worker-slots.ts). */
  #waitingOnSystems: (() => number) | null = null;
  readonly turnsWaitingOnSystems = new Gauge({
    name: 'partnerflow_turns_waiting_on_systems',
    help: "Turns of this replica whose call to a remote system has gone unanswered for a second or more (a timeout, a retry delay, a rate budget); they hold no worker slot, so the runs due behind them start, up to WORKER_MAX_CONCURRENCY turns at once",
    labelNames: ['worker'] as const,
    registers: [this.registry],
    collect: () => {
      if (this.#waitingOnSystems) this.turnsWaitingOnSystems.set(this.#worker, this.#waitingOnSystems());
    },
  });
  readonly turnsParked = new Counter({
    name: 'partnerflow_turns_parked_total',
    help: "Turns of this replica that did not call a system because it already had half of WORKER_MAX_CONCURRENCY turns waiting on it (one of its calls unanswered for a second): the run was parked, nothing sent and no attempt spent, and is due again a little later or when the system answers; per system (the connector)",
    labelNames: ['system', 'worker'] as const,
    registers: [this.registry],
  });
  readonly webhooksRefused = new Counter({
    name: 'partnerflow_webhooks_refused_total',
    help: 'Webhook deliveries refused: with 503 because the due backlog passed MAX_DUE_BACKLOG (reason backlog) or MAX_DUE_AGE_MS (reason age), nothing stored, which the sender retries; with 503 because the store could not serve (reason store_unavailable), which may have stored the delivery (a commit whose answer was lost), so the sender must retry it under the same delivery id, never a new one; nothing stored for the others, refused for good with 400 as no valid event (reason invalid: not JSON, beyond a limit, not a delivery, an unknown event, data its schema refuses, a key too long; the event is lost), 401 (signature), 404 (unknown_source), 413 (too_large), 415 (content_type), or 409 because their delivery id was already used for a different event (reason delivery_id_reused: a sender reusing ids)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  // ── What waits for an operator (store figures) ───────────────────────────────────────────────
  /** Where the operator gauges read from; unset, they show nothing. */
  #operator: (() => Promise<AwaitingOperator>) | null = null;
  readonly runsFailed = new Gauge({
    name: 'partnerflow_runs_failed',
    help: 'Runs that are failed now, per recipe (each until an operator retries it, or cancels it to close out a failure that will not be retried), in the store: the same on every replica',
    labelNames: ['recipe'] as const,
    registers: [this.registry],
    collect: async () => {
      const figures = (await this.#storeFigures()).operator;
      if (figures === null || figures === UNREAD) return;
      this.runsFailed.reset();
      for (const r of figures.failedRuns) this.runsFailed.set({ recipe: r.recipe }, r.runs);
    },
  });
  readonly outboxAwaitingDecision = new Gauge({
    name: 'partnerflow_outbox_awaiting_decision',
    help: "Emails whose send through SMTP was cut off and that are not sent again by themselves: each waits for an operator's POST /outbox/:key/resend or mark-sent; in the store: the same on every replica",
    registers: [this.registry],
    collect: async () => {
      const figures = (await this.#storeFigures()).operator;
      if (figures !== null && figures !== UNREAD) this.outboxAwaitingDecision.set(figures.emailsAwaitingDecision);
    },
  });

  /** Makes the operator gauges read `source` at each scrape. */
  readOperatorFiguresFrom(source: () => Promise<AwaitingOperator>): void {
    let pending: Promise<AwaitingOperator> | null = null;
    // Both gauges share one read of a scrape; a read left behind by the time limit is shared by the next.
    this.#operator = () =>
      (pending ??= source().finally(() => {
        pending = null;
      }));
  }

  // ── Store figures of a scrape ──────────────────────────────────────────────────────────────
  readonly storeStale = new Gauge({
    name: 'partnerflow_metrics_store_stale',
    help: `1 when this scrape could not read the store's figures within ${SCRAPE_STORE_TIMEOUT_MS} ms (a saturated pool, a lock, the database down): partnerflow_runs_awaiting_retry*, partnerflow_due_backlog_*, partnerflow_runs_failed and partnerflow_outbox_awaiting_decision then show the last figures read; 0 when they are fresh`,
    labelNames: ['worker'] as const,
    registers: [this.registry],
    collect: async () => {
      const { retries, backlog, operator } = await this.#storeFigures();
      this.storeStale.set(this.#worker, retries === UNREAD || backlog === UNREAD || operator === UNREAD ? 1 : 0);
    },
  });

  /** The read of the scrape under way: its gauges are collected together and share it. */
  #scrapeRead: Promise<StoreFigures> | null = null;

  #storeFigures(): Promise<StoreFigures> {
    const read = (this.#scrapeRead ??= (async (): Promise<StoreFigures> => {
      const [retries, backlog, operator] = await Promise.all([readWithin(this.#awaitingRetry), readWithin(this.#backlog), readWithin(this.#operator)]);
      return { retries, backlog, operator };
    })().finally(() => {
      this.#scrapeRead = null;
    }));
    return read;
  }

  // ── Store pool (PostgreSQL) ────────────────────────────────────────────────────────────────
  /** Where the pool gauges read from; unset (SQLite), they show nothing. */
  #poolUse: (() => { inUse: number; waiting: number } | undefined) | null = null;
  /** A busy pool, not an unreachable database: GET /healthz stays 200 and says so too (pool_waiting). */
  readonly storePoolInUse = new Gauge({
    name: 'partnerflow_store_pool_in_use',
    help: 'Connections of this replica\'s PostgreSQL pool running a statement (PARTNERFLOW_DATABASE_POOL_SIZE at most)',
    labelNames: ['worker'] as const,
    registers: [this.registry],
    collect: () => {
      const use = this.#poolUse?.();
      if (use) this.storePoolInUse.set(this.#worker, use.inUse);
    },
  });
  readonly storePoolWaiting = new Gauge({
    name: 'partnerflow_store_pool_waiting',
    help: 'Store statements of this replica waiting for a free PostgreSQL connection (the pool is saturated while above 0)',
    labelNames: ['worker'] as const,
    registers: [this.registry],
    collect: () => {
      const use = this.#poolUse?.();
      if (use) this.storePoolWaiting.set(this.#worker, use.waiting);
    },
  });

  /** Makes the pool gauges read `poolUse` at each scrape. */
  readPoolFrom(poolUse: () => { inUse: number; waiting: number } | undefined): void {
    this.#poolUse = poolUse;
  }

  /** Makes `partnerflow_turns_waiting_on_systems` read `waiting` at each scrape. */
  readWaitingOnSystemsFrom(waiting: () => number): void {
    this.#waitingOnSystems = waiting;
  }

  /** Makes the backlog gauges read `backlog` at each scrape. */
  readBacklogFrom(backlog: () => Promise<DueBacklogView>): void {
    this.#backlog = backlog;
  }
}

/**
 * A store read that answers within SCRAPE_STORE_TIMEOUT_MS, or UNREAD (also when it fails: a scrape
 * reports a store in trouble, it does not fail with it); null when nothing is wired to read. A read
 * left behind goes on, and the next scrape shares it (the sources keep one in flight).
 */
async function readWithin<T>(source: (() => Promise<T>) | null): Promise<T | typeof UNREAD | null> {
  if (!source) return null;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve()
        .then(source)
        .catch((): typeof UNREAD => UNREAD),
      new Promise<typeof UNREAD>((resolve) => {
        timer = setTimeout(() => resolve(UNREAD), SCRAPE_STORE_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
