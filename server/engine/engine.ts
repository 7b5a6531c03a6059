import { randomBytes, randomUUID } from 'node:crypto';
import { walkSteps } from '../recipes/walk-steps.ts';
import { issuesOf, summarizeIssues, type Issue } from '../../schemas/format-issues.ts';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { STOPPED_BY_RECIPE, type DecideOutcome, type ApprovalDecision, type IngestResult, type JournalEntry, type NewRun, type Run, type Store } from '../store/store.ts';
import { CommitOutcomeUnknownError, isStoreUnreachable, StoreUnavailableError } from '../store/store-unavailable.ts';
import { retryRefusalOf, type RetryRefusal } from '../store/retry-refusal.ts';
import { cancelRefusalOf, type CancelOutcome } from './cancel-refusals.ts';
import type { Clock } from './clock.ts';
import { CALENDAR_TABLE, calendarEndingWarning } from './business-calendar-coverage.ts';
import type { ConnectedConnectors } from './connector-registry.ts';
import { LeaseLostError } from './errors.ts';
import { evaluateExpression, runScopeOf, type ExpressionEnv, type ExpressionScope } from './expression.ts';
import { asRunId, type RunId } from './ids.ts';
import { runTurn } from './interpreter.ts';
import type { LoadedRecipe, RecipeSet } from './recipe-set.ts';
import { signalWaitsOf } from './awaited-signal.ts';
import type { Tables } from './tables.ts';
import { EngineMetrics } from './metrics.ts';
import { Schedules } from './schedules.ts';
import { Polls } from './polls.ts';
import { evaluateWebhookTrigger, type TriggerOutcome } from './webhook-trigger.ts';
import { BusinessTimers, type TimersTouched } from './business-timers.ts';
import { businessKeyOf, refOf, reportIngest, turnEnded, type LifecycleListener, type StartedByRunTrigger } from './lifecycle-events.ts';
import { SlotTimedConnectors, WorkerSlots, systemOf } from './worker-slots.ts';
import { CLAIM_LOOP_OUTAGE } from './claim-failures.ts';
import { Outage } from './outage.ts';
import { previousScheduledSlot } from './previous-scheduled-slot.ts';
import { WakeTimer } from './wake-timer.ts';
import { MAX_DEDUP_KEY_LENGTH } from './stored-key-limits.ts';
import { hasNul, NUL_REFUSAL, nulSourcesOf } from './nul-keys.ts';
import { leaseAtIntake, storedLeasedRuns } from './intake-leases.ts';
import { DueBacklog } from './due-backlog.ts';
import { DeliveryIdReusedError, deliveryEventHash } from './delivery-event-hash.ts';
import { ExecutionRate } from './execution-rate.ts';
import type { CurrentVersionRefusal, OperatorRetryOutcome } from './retry-refusals.ts';
import { backpressure, type BacklogLimits, type Refusal } from './backpressure.ts';
import { WorkerIdHold } from './worker-id-claim.ts';
import { unknownEventMessage } from './unknown-event.ts';

/**
 * The poll of a worker whose store notifies it of due runs (PostgreSQL LISTEN/NOTIFY, wake-timer.ts):
 * only a safety net, for anything neither a notification nor the wake timer covered (the timer also
 * covers the end of another replica's lease, should that replica die mid-turn).
 */
export const SAFETY_POLL_MS = 30_000;

/** How soon a worker tries again after a claim failed (the store was briefly away), whatever its poll. */
const CLAIM_RETRY_MS = 500;

/** How soon a replica asks again whether the store is back, to resume a turn it cut off: at first and at most (doubling). */
const RESUME_RETRY_MS = { first: 250, max: 2000 };

export interface EngineOptions {
  store: Store;
  clock: Clock;
  recipes: RecipeSet;
  connectors: ConnectedConnectors;
  tables: Tables;
  log: Logger;
  /** Names this process in leases. @default a random id */
  workerId?: string;
  /** How long a claimed run stays this worker's before another may take it over. @default 60000 */
  leaseMs?: number;
  /** Runs executed at once by this worker when intake is quiet. @default 8 */
  concurrency?: number;
  /** Runs executed at once at most while intake keeps storing runs (worker-slots.ts). @default the larger of 64 and `concurrency` */
  maxConcurrency?: number;
  /**
   * How often an idle worker looks for due runs (real milliseconds). @default 500 on SQLite; on a store
   * that notifies (PostgreSQL) a safety net only, SAFETY_POLL_MS: wakeups come by notification there.
   */
  pollMs?: number;
  /** How many turns run at once (tests count the worker loop's rounds with it). @default from `concurrency` and `maxConcurrency` */
  slots?: WorkerSlots;
  random?: () => number;
  /** Told what happens to runs (accepted, started, waiting, timer fired, completed, failed, canceled); the runtime logs it. */
  onLifecycle?: LifecycleListener;
}

/** An event the runtime does not know, or whose data fails the event's schema. Nothing was stored. */
export class EventRejectedError extends Error {
  override name = 'EventRejectedError';
  constructor(
    message: string,
    readonly status: 400 | 404,
    readonly issues: Issue[] = [],
  ) {
    super(message);
  }
}


export interface Delivery {
  source: string;
  deliveryId: string;
  /** The event name without the source prefix, e.g. `mdf_request.submitted`. */
  event: string;
  data: unknown;
}

/**
 * The engine: turns deliveries into persisted runs, and runs due runs turn by turn under a lease.
 * It knows nothing of HTTP; the Hono app, the CLI and the harness are thin layers over it.
 */
export class Engine {
  readonly store: Store;
  readonly clock: Clock;
  readonly recipes: RecipeSet;
  /**
   * The tables the runs' lookups read, as given at construction: `serve` reads its folder once, at start,
   * and nothing reads it again; only a scenario's `change_table` edits the tables it gave (harness/scenario-tables.ts).
   */
  readonly tables: Tables;
  readonly metrics: EngineMetrics;
  readonly workerId: string;
  readonly #opts: Required<Pick<EngineOptions, 'leaseMs' | 'concurrency' | 'pollMs'>> & EngineOptions;
  #loop: Promise<void> | null = null;
  #stopping = false;
  #wakeUp: (() => void) | null = null;
  /** A wake that came while the loop was busy: its next idle returns at once. */
  #woken = false;
  /**
   * Something may be due that no claim has looked at since: a write here, a notification, the wake
   * timer, the safety poll. A store that notifies claims only then, or when its last claim was full
   * (more may be due): a freed slot alone is no reason to ask, since every run made due is announced.
   */
  #news = true;
  /** The last claim took as many runs as it asked for: more may be due. */
  #moreDue = false;
  /** When the worker last claimed (real ms): it claims at least every poll interval, however often turns end. */
  #claimedAt = -Infinity;
  #busySlots = 0;
  /** Failed claims are logged once per outage, not every CLAIM_RETRY_MS (claim-failures.ts). */
  readonly #claimFailures: Outage;
  readonly #slots: WorkerSlots;
  /** The connectors as turns call them: a call that goes unanswered stops holding its slot (worker-slots.ts). */
  readonly #turnConnectors: ConnectedConnectors;
  /** How many runs are due and not started, and how late the oldest is (backpressure, `/metrics`). */
  readonly dueBacklog: DueBacklog;
  /** How fast the worker started runs recently (a refused webhook's `Retry-After`). */
  readonly executionRate = new ExecutionRate();
  #inFlight = new Set<Promise<void>>();
  /** The runs whose turn is under way in this process. */
  readonly #runsInTurn = new Set<string>();
  readonly #schedules: Schedules;
  readonly #polls: Polls;
  /** `timer` triggers: recomputed on record events, fired by the claim loop (business-timers.ts). */
  readonly businessTimers: BusinessTimers;
  /** Wakeups told by the store (PostgreSQL): runs made due by any replica, and the next later due time. */
  readonly #wakeTimer: WakeTimer;

  constructor(options: EngineOptions) {
    this.#opts = { leaseMs: 60_000, concurrency: 8, pollMs: WakeTimer.available(options.store) ? SAFETY_POLL_MS : 500, ...options };
    this.store = options.store;
    this.clock = options.clock;
    this.recipes = options.recipes;
    this.tables = options.tables;
    this.workerId = options.workerId ?? `worker-${randomBytes(4).toString('hex')}`;
    this.metrics = new EngineMetrics(this.workerId);
    this.metrics.serves(options.recipes.list().map((r) => r.definition));
    this.#claimFailures = new Outage(options.log, CLAIM_LOOP_OUTAGE);
    this.metrics.readPoolFrom(() => options.store.poolUse?.());
    this.#schedules = new Schedules(options.recipes, options.store, (recipe, field, error) => {
      this.metrics.recipeTriggerErrors.inc({ recipe, field });
      options.log.error({ recipe, field, error: error.message }, 'schedule skipped: its fire times cannot be computed; no run of it starts until the recipe is fixed');
    });
    const { store, recipes, connectors, clock, log } = options;
    this.#polls = new Polls({ store, recipes, connectors, clock, log, env: () => this.#env(), tables: () => this.#opts.tables, workerId: this.workerId, leaseMs: this.#opts.leaseMs, registry: this.metrics.registry, newRunId, onRunsCreated: () => this.wake() });
    this.businessTimers = new BusinessTimers({ ...options, env: () => this.#env(), newRunId });
    this.#wakeTimer = new WakeTimer({
      clock: options.clock,
      log: options.log,
      wake: () => this.wake(),
      onNotified: () => this.businessTimers.recheck(),
      // Half a lease: another replica's lease is known (and the timer armed for its end) before it lapses.
      rereadMs: Math.min(this.#opts.pollMs, this.#opts.leaseMs / 2),
    });
    this.metrics.watchRetries(() => this.store.runsAwaitingRetry(), () => this.clock.now());
    this.metrics.readOperatorFiguresFrom(() => this.store.awaitingOperator());
    const concurrency = this.#opts.concurrency;
    this.#slots = options.slots ?? new WorkerSlots(concurrency, options.maxConcurrency ?? Math.max(64, concurrency));
    this.#slots.watch({ now: () => options.clock.now(), wake: () => this.#wakeLoop(), systemFree: (system, room) => this.#wakeParkedRuns(system, room) });
    this.#turnConnectors = new SlotTimedConnectors(options.connectors, this.#slots);
    this.metrics.readWaitingOnSystemsFrom(() => this.#slots.waitingOnSystems());
    this.dueBacklog = new DueBacklog({ query: (q) => options.store.dueBacklog(q), clock: options.clock });
    this.metrics.readBacklogFrom(async () => {
      await this.dueBacklog.refresh();
      return this.dueBacklog.current();
    });
  }

  // ── Ingest ────────────────────────────────────────────────────────────────────────────────
  /**
   * The sources webhooks can come from: the connectors that declare events (`leads`, `prm`), sorted,
   * whether their secret is set or not. Only theirs is read from `WEBHOOK_SECRET_<SOURCE>`.
   */
  webhookSources(): string[] {
    return this.#opts.connectors.catalog
      .definitions()
      .filter((connector) => connector.events && Object.keys(connector.events).length > 0)
      .map((connector) => connector.name)
      .sort();
  }

  /**
   * Accepts a delivery: validates it, persists it with the runs it starts (deduplicated), then cancels
   * the runs it cancels and answers the waits it answers. When this resolves, everything is durable; a
   * sender that never saw the answer delivers again and gets the same run ids. A delivery id stored
   * with another event throws DeliveryIdReusedError, having done nothing.
   */
  async deliver(delivery: Delivery): Promise<IngestResult> {
    const eventName = `${delivery.source}.${delivery.event}`;
    const connector = this.#opts.connectors.catalog.connector(delivery.source);
    if (!connector) throw new EventRejectedError(`unknown source "${delivery.source}"`, 404);
    const definition = this.#opts.connectors.catalog.eventDefinition(eventName);
    if (!definition) {
      // Named as the field it is, as every other refused field (`issues` was an empty list).
      const message = unknownEventMessage(delivery.source, delivery.event, Object.keys(connector.events ?? {}));
      throw new EventRejectedError(message, 400, [{ path: 'event', message }]);
    }
    const parsed = definition.data.safeParse(delivery.data);
    if (!parsed.success) {
      const issues = issuesOf(parsed.error, ['data'], delivery.data);
      throw new EventRejectedError(`${eventName}: ${summarizeIssues(issues)}`, 400, issues);
    }
    const data = parsed.data;
    const now = this.clock.now();
    if (hasNul(delivery.deliveryId)) {
      throw new EventRejectedError(`${eventName}: id: ${NUL_REFUSAL}, which no delivery id may hold; nothing was stored`, 400, [{ path: 'id', message: NUL_REFUSAL }]);
    }
    const correlationKey = definition.correlate?.(data as never) ?? null;
    if (correlationKey !== null) refuseNulKey(eventName, RECORD_KEY, correlationKey, data);
    const runs: NewRun[] = [];
    // For the log: recipes on this event whose trigger filter let it pass by (why nothing started).
    const filteredOut: Array<{ recipe: string; filter: string }> = [];
    for (const recipe of this.recipes.forWebhook(eventName)) {
      const trigger = recipe.definition.trigger as Extract<LoadedRecipe['definition']['trigger'], { type: 'webhook' }>;
      const scope = eventScope(eventName, data, delivery.deliveryId);
      const outcome = await evaluateWebhookTrigger(recipe.definition.name, trigger, scope, this.#env());
      if (outcome.kind === 'filtered-out') {
        filteredOut.push({ recipe: recipe.definition.name, filter: trigger.filter! });
        continue;
      }
      let dedupKey = `${delivery.source}:${delivery.deliveryId}`;
      let concurrencyKey: string | null = null;
      let expressionError: string | undefined;
      if (outcome.kind === 'failed') {
        // That recipe's failure, not the delivery's: the other recipes on the event start, and this one
        // gets a run of its own (one per delivery) that fails at its first turn, for an operator to see.
        expressionError = outcome.message;
        this.metrics.recipeTriggerErrors.inc({ recipe: recipe.definition.name, field: outcome.field });
        this.#opts.log.error(
          { recipe: recipe.definition.name, field: outcome.field, expression: outcome.expression, event: eventName, deliveryId: delivery.deliveryId, error: outcome.message },
          "a recipe's trigger failed for this event: its run is stored failed, the other recipes' runs start",
        );
      } else {
        if (outcome.dedupKey !== null) dedupKey = outcome.dedupKey;
        concurrencyKey = outcome.concurrencyKey;
        refuseUnstorableKey(eventName, { recipe: recipe.definition.name, field: 'dedup_key' }, dedupKey, data);
        if (concurrencyKey !== null) refuseUnstorableKey(eventName, { recipe: recipe.definition.name, field: 'concurrency_key' }, concurrencyKey, data);
      }
      runs.push({
        id: newRunId(now),
        recipe: recipe.definition.name,
        recipeVersion: recipe.definition.version,
        recipeHash: recipe.hash,
        trigger: { type: 'webhook', event: eventName, source: delivery.source, deliveryId: delivery.deliveryId, receivedAt: now, data, ...(expressionError === undefined ? {} : { expressionError }) },
        dedupKey,
        correlationKey,
        cancelOnEvent: recipe.definition.cancel_on?.event ?? null,
        concurrencyKey,
        wakeAt: now,
        createdAt: now,
      });
    }
    // The record's key is stored and indexed with its runs: bounded as the runs' own keys are (no string limit bounds it);
    // after them, so a recipe's key too long is named as such.
    if (correlationKey !== null) refuseLongKey(eventName, RECORD_KEY, correlationKey);
    const eventHash = deliveryEventHash(eventName, delivery.data);
    const taken = this.#leaseAtIntake(runs, now);
    let result: IngestResult;
    try {
      result = await this.store.ingest({ source: delivery.source, deliveryId: delivery.deliveryId, event: eventName, receivedAt: now, eventHash }, runs);
    } catch (error) {
      this.#freeIntakeSlots(taken);
      // A commit whose answer was lost may have stored the runs leased to this replica: nobody else
      // would take them up before their lease ran out. Those the store shows still leased so are run here.
      if (error instanceof CommitOutcomeUnknownError && !this.#stopping) {
        for (const run of storedLeasedRuns(runs.slice(0, taken), { duplicate: false, runIds: runs.map((r) => r.id) })) this.#resumeLater(run, run.leaseOwner!);
      }
      throw error;
    }
    // Another event under a used id: it is no retry, so it cancels, answers and recomputes nothing either.
    if (result.differentEvent) {
      this.#freeIntakeSlots(taken);
      throw new DeliveryIdReusedError(delivery.source, delivery.deliveryId);
    }
    if (!result.duplicate) {
      this.metrics.deliveries.inc();
      this.#slots.stored(runs.length);
    }
    let timers: TimersTouched[] = [];
    let started = 0;
    let answered = false;
    try {
      if (correlationKey !== null) answered = await this.#applyToLiveRuns(eventName, correlationKey, data, delivery.deliveryId);
      // Also for a repeated delivery: the sender repeats when it saw no answer, maybe before the recompute.
      timers = await this.businessTimers.onEvent(eventName, data, correlationKey, delivery.deliveryId, now);
    } finally {
      // After the timers, so the delivery's line says what it did to them.
      if (this.#opts.onLifecycle) reportIngest(this.#opts.onLifecycle, eventName, delivery.deliveryId, runs, result, filteredOut, timers);
      // After the event's cancels and answers, as a claim after this delivery would have been.
      started = this.#startLeasedAtIntake(runs.slice(0, taken), result);
    }
    // Runs started at intake need no claim; what else the event made due is announced too, but the
    // in-process wake is quicker than the notification's round trip.
    if (started < runs.length || answered || !this.#wakeTimer.listening) this.wake();
    return result;
  }

  /**
   * On a store that notifies, leases a webhook's runs to this replica as they are stored, while it has
   * free slots (intake-leases.ts): no replica is notified of them and none queries for them. Only with
   * the worker loop running (not the harness's ticks) and not while stopping. The slots are reserved
   * now, so that deliveries stored together do not promise one slot twice.
   */
  #leaseAtIntake(runs: NewRun[], now: number): number {
    if (!this.#loop || this.#stopping || !this.#wakeTimer.listening) return 0;
    const owner = `${this.workerId}~${leaseNonce()}`;
    // Each run intake stores earns a slot (worker-slots.ts), but only once stored: the fifty webhooks of
    // a burst would each find the slots the others' runs will earn still missing, and most of their
    // runs would wait for a claim (an UPDATE of each run, a notification, a journal read). With no run
    // due and waiting (the backlog as last counted) a webhook's runs jump ahead of nobody: they take
    // any slot up to the maximum. With one, only free slots, so older due runs are claimed in turn.
    const slots = this.dueBacklog.current().count === 0 ? Math.max(0, this.#slots.max - this.#busySlots) : this.#slots.free(this.#busySlots);
    const taken = leaseAtIntake(runs, slots, { owner, until: now + this.#opts.leaseMs });
    this.#busySlots += taken;
    return taken;
  }

  #freeIntakeSlots(slots: number): void {
    if (slots === 0) return;
    this.#busySlots -= slots;
    this.#wakeLoop();
  }

  /** Starts the turns of the runs stored leased at intake; the slot of one that was not stored (deduplicated) is freed. */
  #startLeasedAtIntake(leased: readonly NewRun[], result: IngestResult): number {
    const runs = storedLeasedRuns(leased, result);
    for (const run of runs) this.#startTurn(run, true, true);
    this.#freeIntakeSlots(leased.length - runs.length);
    this.#slots.claimed(runs.length);
    this.executionRate.started(runs.length);
    this.metrics.takenAtIntake(runs.length);
    return runs.length;
  }

  /** Cancels the runs this event cancels and completes the waits it answers (both idempotent); true when it answered a wait. */
  async #applyToLiveRuns(eventName: string, key: string, data: unknown, deliveryId: string): Promise<boolean> {
    const now = this.clock.now();
    // Both reads at once: one round trip instead of two on PostgreSQL. A cancel may end a run that
    // waits for this event, so after one the waits are read again.
    const waitsRead = this.store.findWaitingForEvent(eventName, key);
    waitsRead.catch(() => {});
    const toCancel = await this.store.findRunsToCancel(eventName, key);
    // Runs held back behind another run of their concurrency key first: canceling their holder first
    // would make the oldest of them due in that commit, for a worker to start it before the event
    // cancels it too (a request canceled while its resubmission waits behind its approval).
    const candidates = (await Promise.all(toCancel.map((id) => this.store.getRun(id)))).filter((r): r is Run => r !== undefined);
    candidates.sort((a, b) => Number(b.heldBack) - Number(a.heldBack));
    for (const run of candidates) {
      // Failed as its recipe said: cancelRun leaves it as it is, so the event has nothing to do with it.
      if (run.status === 'failed' && run.error?.name === STOPPED_BY_RECIPE) continue;
      const runId = run.id;
      const cancelOn = (await this.recipes.byHash(run.recipeHash)).cancel_on;
      const scope = eventScope(eventName, data, deliveryId);
      // An expression of one recipe's cancel_on that throws concerns that recipe only: the delivery is
      // stored already, and throwing would skip the other runs' cancels, the waits and the timers, and
      // answer 500 to every redelivery of the event.
      const failed = (field: 'cancel_on.filter' | 'cancel_on.reason', expression: string, error: unknown, outcome: string) => {
        this.metrics.recipeTriggerErrors.inc({ recipe: run.recipe, field });
        this.#opts.log.error({ recipe: run.recipe, runId, field, expression, event: eventName, deliveryId, error: (error as Error).message }, `a recipe's cancel_on failed for this event: ${outcome}`);
      };
      if (cancelOn?.filter) {
        // The filter may ask whether the run rests in a wait_for (`$run.waiting_for`): a run that set a
        // status itself and is past its waits must not be stopped by the echo of its own write. It may
        // also compare the event with the one the run started on (`$run.trigger`): an event about a
        // state older than the run's own (a late delivery) must not stop it.
        scope.run = { ...runScopeOf(run), waiting_for: waitingFor(await this.store.getJournal(runId)), trigger: { event: run.trigger.event, data: run.trigger.data } };
        let cancels: unknown;
        try {
          cancels = await evaluateExpression(cancelOn.filter, scope, this.#env(), scope.trigger);
        } catch (error) {
          // Not canceled: a cancel cannot be taken back, a run left going can be canceled by an operator.
          failed('cancel_on.filter', cancelOn.filter, error, 'the run is not canceled (cancel it in the console if it should be)');
          continue;
        }
        if (!cancels) continue;
      }
      let reason = `canceled by ${eventName} for ${key}`;
      if (cancelOn?.reason) {
        try {
          reason = String(await evaluateExpression(cancelOn.reason, scope, this.#env(), scope.trigger));
        } catch (error) {
          failed('cancel_on.reason', cancelOn.reason, error, 'the run is canceled with the default reason');
        }
      }
      // Also a failed run (D12): canceled now, a retry later cannot do what the event called off.
      if (await this.store.cancelRun(runId, now, reason, { failed: true })) {
        this.metrics.finished(run.recipe, 'canceled');
        this.#opts.onLifecycle?.({ type: 'run.canceled', ...refOf(run), reason });
      }
    }
    let answered = false;
    const waits = toCancel.length === 0 ? await waitsRead : await this.store.findWaitingForEvent(eventName, key);
    for (const wait of waits) {
      if (await this.store.completeWaitingStep({ ...wait, output: { timed_out: false, event: eventName, data }, now })) answered = true;
    }
    return answered;
  }

  /**
   * What a webhook recipe's trigger says of this event's data, as a delivery of it would: filtered out,
   * failed, or a run with its keys and the record's key (`partnerflow run` starts a run by hand so, so
   * that its recipe's `cancel_on`, `dedup_key` and `concurrency_key` hold for it as for a delivered one).
   * `ignoreFilter`: the keys even when the filter is false.
   */
  async webhookTriggerFor(recipeName: string, data: unknown, options: { ignoreFilter?: boolean } = {}): Promise<TriggerOutcome & { correlationKey: string | null }> {
    const trigger = this.recipes.get(recipeName)?.definition.trigger;
    if (trigger?.type !== 'webhook') throw new Error(`recipe ${recipeName} has no webhook trigger`);
    const correlationKey = this.#opts.connectors.catalog.eventDefinition(trigger.event)?.correlate?.(data as never) ?? null;
    const scope = eventScope(trigger.event, data, 'run');
    const asTriggered = options.ignoreFilter ? { ...trigger, filter: undefined } : trigger;
    return { ...(await evaluateWebhookTrigger(recipeName, asTriggered, scope, this.#env())), correlationKey };
  }

  /** Starts a run of a recipe by hand (CLI `run`, schedules), deduplicated on `dedupKey`. */
  async startRun(
    recipeName: string,
    data: unknown,
    options: { dedupKey?: string; type?: string; event?: string; startedBy?: string; concurrencyKey?: string | null; correlationKey?: string | null } = {},
  ): Promise<{ id: RunId; created: boolean; behind?: RunId }> {
    const recipe = this.recipes.get(recipeName);
    if (!recipe) throw new EventRejectedError(`unknown recipe "${recipeName}"`, 404);
    if (options.dedupKey !== undefined && hasNul(options.dedupKey)) {
      // Not retryable: the same key would be refused again (a runs.start step fails for good).
      throw Object.assign(new EventRejectedError(`recipe ${recipeName}: the run's key ${NUL_REFUSAL}; no run was started`, 400), { retryable: false });
    }
    const now = this.clock.now();
    const id = newRunId(now);
    // A run started by a run carries the starter's business key (e.g. the MDF number) for the log.
    const starter = options.startedBy ? await this.store.getRun(options.startedBy as RunId) : undefined;
    const trigger: StartedByRunTrigger = {
      type: options.type ?? 'manual',
      event: options.event,
      receivedAt: now,
      data,
      ...(starter ? { startedBy: starter.id, businessKey: businessKeyOf(starter) } : {}),
    };
    const newRun = {
      id,
      recipe: recipeName,
      recipeVersion: recipe.definition.version,
      recipeHash: recipe.hash,
      trigger,
      dedupKey: options.dedupKey ?? id,
      // The starter's business key (an MDF number) when it has one, so that `GET /runs?key=` and the
      // console find the runs of a record together, as the log names them; a run started by hand has none.
      correlationKey: options.correlationKey ?? starter?.correlationKey ?? null,
      cancelOnEvent: recipe.definition.cancel_on?.event ?? null,
      concurrencyKey: options.concurrencyKey ?? null,
      wakeAt: now,
      createdAt: now,
    };
    const result = await this.store.createRun(newRun);
    if (options.startedBy !== undefined && this.#driven?.has(options.startedBy)) this.#driven.add(result.id);
    if (result.created) this.#opts.onLifecycle?.({ type: 'run.started', ...refOf(newRun), trigger: trigger.type });
    this.wake();
    return result;
  }

  /**
   * Whether a webhook must be refused now because the due backlog passed `limits` (backpressure.ts).
   * Cheap and synchronous: the backlog is counted at most every 200 ms, in the background (due-backlog.ts).
   */
  refusal(limits: BacklogLimits): Refusal | null {
    return backpressure(this.dueBacklog.current(), limits, this.executionRate.perSecond());
  }

  // ── Control ───────────────────────────────────────────────────────────────────────────────
  /**
   * An operator's cancel of a run that has not finished, or that failed at a step and will not be
   * retried: done, or refused with the reason (CancelRefusal), read from the run once the store
   * canceled nothing.
   */
  async cancel(runId: RunId, reason = 'canceled by an operator'): Promise<CancelOutcome> {
    // With `failed`, the store cancels a run that failed at a step too (ops close out a failure they
    // will not retry), so what it leaves is final: completed, canceled, or stopped as failed by its
    // recipe, none of which a retry puts back in the queue. A retry by another operator at this moment
    // comes before the cancel (which then cancels the queued run) or after it (and is refused).
    const canceled = await this.store.cancelRun(runId, this.clock.now(), reason, { failed: true });
    const run = await this.store.getRun(runId);
    if (!run) return { canceled: false, refusal: { refused: 'no-run' } };
    if (canceled) {
      this.metrics.finished(run.recipe, 'canceled');
      if (this.#opts.onLifecycle) this.#opts.onLifecycle({ type: 'run.canceled', ...refOf(run), reason });
      return { canceled: true, run };
    }
    return { canceled: false, refusal: cancelRefusalOf(run) ?? { refused: 'finished', status: run.status === 'completed' ? 'completed' : 'failed' }, run };
  }

  /** An operator's retry of a failed run, as the version it started on: the store does it or says why not. */
  async retry(runId: RunId): Promise<OperatorRetryOutcome> {
    const outcome = await this.store.retryRun(runId, this.clock.now());
    if (outcome.retried) this.wake();
    return outcome;
  }

  /**
   * Retries a failed run as the version of its recipe served now, when an operator fixed the recipe
   * that failed it: a plain retry runs the version the run started on, and fails the same way again.
   * Refused, with the reason, as a plain retry would be, and when the current version lacks a step the
   * run went through (the steps after it read those steps' outputs by id); the run is then left as it is.
   */
  async retryOnCurrentVersion(runId: RunId): Promise<OperatorRetryOutcome> {
    const run = await this.store.getRun(runId);
    if (!run) return { retried: false, refusal: { refused: 'no-run' } };
    const current = await this.#currentVersionFor(run);
    if ('refusal' in current) return { retried: false, refusal: current.refusal };
    const outcome = await this.store.retryRun(runId, this.clock.now(), current.onVersion);
    if (outcome.retried) this.wake();
    return outcome;
  }

  /**
   * What an operator's retry of the run (`currentVersion`: on the version served now) would answer now,
   * without retrying it: the refusal, or undefined when it would go ahead. The console says it on its
   * confirmation page, before the button, from the run it read for the page; the retry decides again,
   * so a run that takes the run's concurrency key in between still has it refused.
   */
  async retryRefusal(run: Run, options: { currentVersion?: boolean } = {}): Promise<RetryRefusal | CurrentVersionRefusal | undefined> {
    if (options.currentVersion) {
      const current = await this.#currentVersionFor(run);
      if ('refusal' in current) return current.refusal;
    }
    return this.store.retryRefusal(run.id);
  }

  /**
   * The version of its recipe served now that a retry would run the failed run on (undefined when it is
   * the one it started on), or the refusal: the run's own (retryRefusalOf), its recipe no longer served,
   * or a step the run went through that the current version lacks. A `set` step the current version
   * lacks is no reason: it only computed values, which the current version's own steps compute afresh
   * (lead-share-digest v6 renamed its window step so that a v5 run retried on it works its window out
   * anew); a missing action, wait or lookup would be redone under its new id, or read by id.
   */
  async #currentVersionFor(run: Run): Promise<{ onVersion: { recipeHash: string; recipeVersion: number } | undefined } | { refusal: RetryRefusal | CurrentVersionRefusal }> {
    const refusal = retryRefusalOf(run);
    if (refusal) return { refusal };
    const current = this.recipes.get(run.recipe);
    if (!current) return { refusal: { refused: 'recipe-not-served', recipe: run.recipe } };
    if (current.hash === run.recipeHash) return { onVersion: undefined };
    const stepIds = new Set((await this.store.getJournal(run.id)).map((e) => e.stepId));
    const currentIds = new Set(Array.from(walkSteps(current.definition), ({ step }) => step.id));
    // The run's own version says which of its steps only computed values (unknown: none is taken as such).
    const started = await this.recipes.byHash(run.recipeHash).catch(() => undefined);
    const computedOnly = new Set(started ? Array.from(walkSteps(started), ({ step }) => step).filter((step) => step.type === 'set').map((step) => step.id) : []);
    const missing = [...stepIds].filter((id) => !currentIds.has(id) && !computedOnly.has(id));
    if (missing.length > 0) return { refusal: { refused: 'steps-missing', recipe: run.recipe, version: current.definition.version, runVersion: run.recipeVersion, steps: missing } };
    return { onVersion: { recipeHash: current.hash, recipeVersion: current.definition.version } };
  }

  async decide(tokenHash: string, decision: ApprovalDecision, comment?: string): Promise<DecideOutcome> {
    // D10: which waits of the run's recipe end the link for good when they time out.
    const approval = await this.store.getApproval(tokenHash);
    const run = approval && (await this.store.getRun(approval.runId));
    // A run whose recipe version has no wait for the signal would never read the decision: closed.
    const waits = approval && run ? await signalWaitsOf(this.recipes, run.recipeHash, approval.signal) : undefined;
    const outcome = await this.store.decideApproval({ tokenHash, decision, comment, now: this.clock.now(), timeoutIsFinal: waits?.timeoutIsFinal, signalAwaited: waits?.awaited });
    if (outcome === 'decided') this.wake();
    return outcome;
  }

  // ── Execution ─────────────────────────────────────────────────────────────────────────────
  /** Claims the runs due now and gives each one turn. Resolves with how many ran. */
  async tick(): Promise<number> {
    const runs = await this.#claimDue(this.#opts.concurrency, true);
    await Promise.all(runs.map((run) => this.#turn(run)));
    return runs.length;
  }

  /**
   * Starts the schedule runs that are due, then claims up to `limit` due runs. Each claim has a lease
   * owner of its own (`<worker id>~<nonce>`): should a run be taken over while a turn of it is still
   * under way (a stalled loop, a second process started with the same worker id), the stale turn can
   * no longer write. A run with a turn under way here is never claimed again by this worker.
   */
  async #claimDue(limit: number, waitForPolls = false): Promise<Run[]> {
    await this.#startScheduledRuns();
    await this.businessTimers.fireDue(this.clock.now());
    // Polls call remote systems: the worker loop does not wait for them (a poll wakes it when it stored runs).
    const polling = this.#polls.pollDue(this.clock.now());
    // A store that notifies leaves the worker idle up to its safety poll: the wake timer keeps polls on time.
    if (this.#wakeTimer.listening) void polling.then(() => this.#wakeTimer.at(this.#polls.nextAt()));
    if (waitForPolls) await polling;
    const owner = `${this.workerId}~${leaseNonce()}`;
    const runs = await this.store.claimDueRuns({ now: this.clock.now(), owner, leaseMs: this.#opts.leaseMs, limit, skip: this.#runsInTurn });
    this.executionRate.started(runs.length);
    this.metrics.claimed(runs);
    for (const run of runs) {
      if (run.takenOverFrom !== null) this.#opts.log.info({ runId: run.id, from: run.takenOverFrom, worker: this.workerId }, 'took over a run whose lease had lapsed');
    }
    return runs;
  }

  /** One run per due fire time of each `schedule` trigger (deduplicated on the fire time). */
  async #startScheduledRuns(): Promise<void> {
    for (const { recipe: name, at } of await this.#schedules.due(this.clock.now())) {
      const recipe = this.recipes.get(name)!;
      const scheduledAt = new Date(at).toISOString();
      // The slot this schedule fired before this one (null: never fired), so a daily window can start
      // where the previous one ended whatever the cron, its zone or an edit of its hour (D23).
      const previous = await previousScheduledSlot(this.store, name, at);
      const previousScheduledAt = previous === null ? null : new Date(previous).toISOString();
      const created = await this.store.createRun({
        id: newRunId(at),
        recipe: name,
        recipeVersion: recipe.definition.version,
        recipeHash: recipe.hash,
        trigger: { type: 'schedule', receivedAt: at, data: { scheduled_at: scheduledAt, previous_scheduled_at: previousScheduledAt } },
        dedupKey: `schedule:${scheduledAt}`,
        correlationKey: null,
        cancelOnEvent: recipe.definition.cancel_on?.event ?? null,
        wakeAt: at,
        createdAt: this.clock.now(),
      });
      if (created.created) this.#opts.onLifecycle?.({ type: 'run.started', runId: created.id, recipe: name, key: `schedule:${scheduledAt}`, trigger: 'schedule' });
      this.#schedules.fired(name, at);
    }
  }

  /**
   * When anything is next due: a run's timer, a schedule's fire time or a business timer (virtual
   * clocks jump there).
   * Not a poll: a virtual clock that stopped every poll interval would turn a 30-day scenario into
   * 8,640 polls of systems that only scenario steps change. A due poll runs at the clock's next stop
   * (the next timer, or the end of the jump) instead, once however many intervals passed.
   */
  async nextWakeAt(): Promise<number | null> {
    const now = this.clock.now();
    const times = await Promise.all([this.store.nextWakeAt(), this.#schedules.nextAt(now), this.businessTimers.nextAt()]);
    const known = times.filter((t): t is number => t !== null);
    return known.length === 0 ? null : Math.min(...known);
  }

  /** When anything is next due after `now` (the wake timer of a store that notifies). */
  async #nextWakeAfter(now: number): Promise<number | null> {
    const times = [...(await Promise.all([this.store.nextWakeAt(now), this.#schedules.nextAt(now), this.businessTimers.nextAt()])), this.#polls.nextAt()];
    const later = times.filter((t): t is number => t !== null && t > now);
    return later.length === 0 ? null : Math.min(...later);
  }

  /** The runs runOnly drives: a run one of them starts (startRun's `startedBy`) joins them. */
  #driven: Set<string> | null = null;

  /**
   * Runs turns of `runId`, and of the runs it starts itself (`runs.start`), until none of them is due
   * now (`partnerflow run`). Nothing else: no other due run, schedule, business timer or poll, which on
   * a shared database are the replicas' work; runUntilIdle would do all of it.
   */
  async runOnly(runId: RunId, maxTurns = 100_000): Promise<void> {
    const driven = new Set<string>([runId]);
    this.#driven = driven;
    try {
      for (let turns = 0; turns < maxTurns; ) {
        let ran = 0;
        for (const id of [...driven]) {
          const run = await this.store.claimRun({ id: id as RunId, now: this.clock.now(), owner: `${this.workerId}~${leaseNonce()}`, leaseMs: this.#opts.leaseMs });
          if (!run) continue;
          await this.#turn(run);
          ran++;
        }
        if (ran === 0) return;
        turns += ran;
      }
      throw new Error(`still busy after ${maxTurns} turns: a recipe may be looping`);
    } finally {
      this.#driven = null;
    }
  }

  /** Runs turns until nothing is due at the current time (the harness and tests use it). */
  async runUntilIdle(maxTurns = 100_000): Promise<void> {
    for (let turns = 0; turns < maxTurns; ) {
      const ran = await this.tick();
      if (ran === 0) return;
      turns += ran;
    }
    throw new Error(`still busy after ${maxTurns} turns: a recipe may be looping`);
  }

  /**
   * One turn of a run. `outcomeHandedOver` is called once the outcome is with the store (its commit
   * still to come), or when the turn ends without one: the worker loop refills the slot then.
   */
  async #turn(run: Run, outcomeHandedOver: () => void = () => {}, newRun = false): Promise<void> {
    const started = performance.now();
    const owner = run.leaseOwner ?? this.workerId;
    this.#runsInTurn.add(run.id);
    // A long turn (a slow API, a rate budget wait) keeps its lease; a stalled process stops renewing and
    // another worker takes the run over once the lease runs out. A turn whose lease is gone (taken
    // over, or the run canceled) aborts the call it is making: its outcome is no longer its to record.
    const lease = new AbortController();
    // A third of the lease: one renewal may be lost and the next still lands in time. No floor: a floor above
    // a third let a short lease run out between renewals under a live turn.
    const renewEveryMs = this.#opts.leaseMs / 3;
    const renew = setInterval(() => {
      this.store.renewLease(run.id, owner, this.clock.now() + this.#opts.leaseMs).then(
        (held) => {
          if (held || lease.signal.aborted) return;
          this.#opts.log.warn({ runId: run.id, worker: this.workerId }, 'run taken over or canceled during its turn; aborting the turn (is the worker id shared by two processes?)');
          lease.abort(new LeaseLostError(`the lease on run ${run.id} was lost`));
        },
        () => {},
      );
    }, renewEveryMs);
    renew.unref?.();
    try {
      const recipe = await this.recipes.byHash(run.recipeHash);
      const result = await runTurn(run, recipe, owner, {
        store: this.store,
        clock: this.clock,
        connectors: this.#turnConnectors,
        tables: this.#opts.tables,
        log: this.#opts.log,
        random: this.#opts.random,
        // Read only when a step calls an action: most turns never make the signal (~1% of a replica's CPU, issue 14).
        get signal() {
          return lease.signal;
        },
        onLifecycle: this.#opts.onLifecycle,
        draining: () => this.#stopping,
        newRun,
        // Parked only when that lets other work run: every turn is taken, or due runs wait for one.
        // With free turns and nothing else due, the call is made as before (a slow system that answers
        // is not parked, its runs' age pushing intake back for nothing).
        // The busy test first: it is a count in memory, false unless half the turns have calls under way,
        // so an ordinary action call never reads the due backlog (which may start a count in the store).
        busySystem: (action) => {
          const busy = this.#slots.busySystem(systemOf(action));
          return busy && this.#othersWaitForATurn() ? busy : undefined;
        },
      });
      // A run parked before and not now is parked no more; one never parked has nothing to clear.
      const parked = result.parked ?? (run.parkedOn !== null ? null : undefined);
      if (result.parked) {
        this.#slots.parked(result.parked.system);
        this.metrics.turnsParked.inc({ system: result.parked.system });
      }
      // A run holding a concurrency key lets the oldest run held back behind it go when it finishes.
      const holds = run.concurrencyKey ? { concurrencyKey: { recipe: run.recipe, key: run.concurrencyKey } } : {};
      const finishing = this.store.finishTurn(run.id, owner, { ...result, now: this.clock.now(), ...holds, ...(parked === undefined ? {} : { parked }) });
      outcomeHandedOver();
      const finished = await finishing;
      if (!finished) this.#opts.log.info({ runId: run.id }, 'lease lost or run canceled during its turn; its outcome was not recorded');
      if (finished && result.status !== 'waiting') this.metrics.finished(run.recipe, result.status);
      if (finished && this.#opts.onLifecycle) {
        const ended = turnEnded(run, result);
        if (ended) this.#opts.onLifecycle(ended);
      } else if (finished && result.status === 'failed') this.#opts.log.warn({ runId: run.id, recipe: run.recipe, error: result.error?.message }, 'run failed');
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.#opts.log.info({ runId: run.id }, 'lease lost or run canceled during its turn; leaving it');
        return;
      }
      // The store is away (PostgreSQL restarting, a network cut): the run keeps its lease, so this
      // replica takes it up again as soon as the store answers, not a lease later. A refusal that
      // passes (a deadlock, a statement timeout) may well come again at once: that run waits for its
      // lease to run out, so the same refusal is not met in a loop.
      if (isStoreUnreachable(error) && !this.#stopping) {
        this.#opts.log.warn({ runId: run.id, error: (error as Error).message }, 'turn cut off: the store is unavailable; resuming it once the store answers');
        this.#resumeLater(run, owner);
        return;
      }
      if (error instanceof StoreUnavailableError) {
        this.#opts.log.warn({ runId: run.id, error: error.message }, 'turn cut off: the store refused for now; the run is taken up again when its lease runs out');
        return;
      }
      // Not a step failure (those are journaled): the store or the engine itself failed. The lease runs
      // out and another turn retries the run; nothing journaled is repeated.
      this.#opts.log.error({ runId: run.id, error: (error as Error).message }, 'turn aborted');
    } finally {
      clearInterval(renew);
      this.#runsInTurn.delete(run.id);
      outcomeHandedOver();
      this.metrics.turnSeconds.observe((performance.now() - started) / 1000);
    }
  }

  /**
   * A system this worker parked runs on is busy no more (one of its calls ended): the runs parked on
   * it, by any replica, are due now rather than at the end of their park.
   */
  #wakeParkedRuns(system: string, room: number): Promise<number> {
    return this.store.wakeParkedRuns(system, this.clock.now(), room).then(
      (woken) => {
        if (woken > 0) this.wake();
        return woken;
      },
      (error) => {
        this.#opts.log.warn({ system, error: (error as Error).message }, 'could not wake the runs parked on a system that answers again; they are due at the end of their park');
        return room;
      },
    );
  }

  /**
   * Whether a turn parking its run would let other work run: all WORKER_MAX_CONCURRENCY turns are
   * taken (this one included), or the last claim took as many runs as it could (more are due), or the
   * due backlog as last counted holds due runs that are not parked.
   */
  #othersWaitForATurn(): boolean {
    if (this.#busySlots >= this.#slots.max || this.#moreDue) return true;
    const backlog = this.dueBacklog.current();
    return backlog.count - backlog.parked > this.#busySlots;
  }

  #resumeLater(run: Run, owner: string): void {
    const resuming = this.#resumeWhenStoreAnswers(run, owner);
    this.#inFlight.add(resuming);
    void resuming.finally(() => this.#inFlight.delete(resuming));
  }

  /**
   * A new turn of a run whose turn the store's absence cut off, once the store answers and the lease is
   * still this turn's (renewed, so it does not lapse meanwhile): it goes on from what the journal holds,
   * as a takeover would, without waiting for the lease to run out. Tried for as long as a lease lasts;
   * after that, or once stopping, the lease runs out and any replica takes the run up.
   */
  async #resumeWhenStoreAnswers(run: Run, owner: string): Promise<void> {
    const giveUpAt = performance.now() + this.#opts.leaseMs;
    for (let wait = RESUME_RETRY_MS.first; performance.now() + wait <= giveUpAt; wait = Math.min(wait * 2, RESUME_RETRY_MS.max)) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (this.#stopping) return;
      let held: boolean;
      try {
        held = await this.store.renewLease(run.id, owner, this.clock.now() + this.#opts.leaseMs);
      } catch {
        continue;
      }
      if (held && !this.#stopping) this.#startTurn(run);
      return;
    }
  }

  #started: Promise<void> = Promise.resolve();
  /** One per start, aborted by stop(): a start still waiting to take its worker id (a holder's heartbeat, a store outage) stops waiting. */
  #startStopped: AbortController | null = null;
  /** This process's hold of its worker id while it runs (worker-id-claim.ts); given up by stop(). */
  #workerIdHold: WorkerIdHold | null = null;

  /**
   * Starts the worker loop. Up to `concurrency` turns (more while intake keeps storing runs, see
   * below) run at once, each in a slot of its own: a slow
   * turn (a remote call, a rate budget wait) holds one slot, not the worker. A slot is refilled as soon
   * as its turn has handed its outcome to the store, so the claim that refills it can go into the
   * same group commit as that outcome. The number of slots follows intake (worker-slots.ts): for each
   * run intake stores, one more turn may start, so execution keeps pace.
   *
   * First the worker id becomes this process's (worker-id-claim.ts): at once, or after at most
   * WORKER_STALE_MS when a process that held it beat its heartbeat recently; the leases of the id are
   * freed then. While the store fails it keeps trying to take the id, and claims nothing meanwhile
   * (a process running without its id would not stop a second start under it from running its runs).
   * Resolves once the loop runs; rejects with WorkerIdInUseError, the loop never running, when a live
   * process holds the id (its leases stay its own).
   */
  start(): Promise<void> {
    if (this.#loop) return this.#started;
    this.#stopping = false;
    let started!: { resolve(): void; reject(error: unknown): void };
    this.#started = new Promise<void>((resolve, reject) => (started = { resolve, reject }));
    // A caller that does not wait for the start (tests, the harness) leaves no unhandled rejection.
    this.#started.catch(() => {});
    const hold = new WorkerIdHold({ store: this.store, workerId: this.workerId, log: this.#opts.log });
    this.#workerIdHold = hold;
    const stopped = (this.#startStopped = new AbortController()).signal;
    this.#loop = (async () => {
      try {
        // No run is claimed before the id is this process's: while the store fails, take() keeps trying.
        const freed = await hold.take(stopped);
        if (freed === null) return started.resolve();
        if (hold.tookFromUnstopped) {
          this.metrics.startedUnclean(Date.now());
          this.#opts.log.warn(
            { worker: this.workerId, runs: freed },
            `the previous process under PARTNERFLOW_WORKER_ID "${this.workerId}" did not stop cleanly (killed, crashed, or stopped while the store was down); resuming the ${freed} run(s) it held`,
          );
        } else if (freed > 0) this.#opts.log.info({ worker: this.workerId, runs: freed }, 'resuming runs this worker held before it restarted');
      } catch (error) {
        // A live process holds the id (WorkerIdInUseError), or something else failed: never run without it.
        return started.reject(error);
      }
      started.resolve();
      const calendarEnding = calendarEndingWarning(this.#opts.tables.calendar, this.clock.now());
      if (calendarEnding) this.#opts.log.warn({ table: CALENDAR_TABLE }, calendarEnding);
      // Ops may have changed a timer's offsets table (the claim-reminders days) while the runtime was down.
      if (this.businessTimers.any) await this.businessTimers.syncTableOffsets(this.clock.now());
      try {
        await this.#wakeTimer.listen(this.store);
      } catch (error) {
        this.#opts.log.error({ error: (error as Error).message }, 'could not listen for wakeups; the worker polls every ' + this.#opts.pollMs + ' ms');
      }
      while (!this.#stopping) {
        let claimFailed = false;
        const free = this.#slots.free(this.#busySlots);
        // The safety poll's idle wait restarts whenever a turn ends: on a busy replica the poll is this.
        if (performance.now() - this.#claimedAt >= this.#opts.pollMs) this.#news = true;
        // A replica whose slots are all busy does not claim; one whose store notifies claims only when
        // something may be due (#news), so N replicas do not each ask again whenever a turn ends.
        if (free > 0 && (this.#news || this.#moreDue || !this.#wakeTimer.listening)) {
          // Cleared before the claim: news that comes during it is news its snapshot may have missed.
          this.#news = false;
          this.#claimedAt = performance.now();
          const claimTime = this.clock.now();
          try {
            const runs = await this.#claimDue(free);
            this.#moreDue = runs.length === free;
            this.#slots.claimed(runs.length);
            for (const run of runs) this.#startTurn(run);
            await this.#wakeTimer.rearm((now) => this.#nextWakeAfter(now), claimTime);
            this.#claimFailures.succeeded();
          } catch (error) {
            this.#claimFailures.failed(error);
            this.#news = true;
            claimFailed = true;
          }
        }
        // Every slot is busy, or nothing more is due: a freed slot, an ingest or the poll wakes the loop.
        // A claim is a write, and writes wait for the next group commit, so turns that call no remote
        // system still leave the event loop to the HTTP server between claims.
        // A failed claim is tried again soon, not after the slow safety poll of a store that notifies.
        if (!this.#stopping) await this.#idle(claimFailed ? Math.min(this.#opts.pollMs, CLAIM_RETRY_MS) : this.#opts.pollMs);
      }
    })();
    return this.#started;
  }

  /** Runs a turn in a slot of its own (`slotHeld`: reserved already, at intake; `newRun`: just stored by this delivery, no journal yet). */
  #startTurn(run: Run, slotHeld = false, newRun = false): void {
    if (!slotHeld) this.#busySlots++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#busySlots--;
      this.#wakeLoop();
    };
    const turn = this.#turn(run, release, newRun);
    this.#inFlight.add(turn);
    void turn.finally(() => this.#inFlight.delete(turn));
  }

  /**
   * Stops claiming at once and waits for the turns in flight to end (graceful shutdown). A turn ends at
   * its next action (interpreter.ts, `draining`): the call in flight finishes its attempt (the runtime's
   * `stopping` signal keeps its HTTP client from another) and is journaled, the run stays due. Polls under
   * way are aborted. `intakeClosed`: until it resolves (the HTTP server closed) the engine keeps draining,
   * so a delivery still being stored starts no turn that would run on after the stop.
   */
  async stop(options: { intakeClosed?: Promise<unknown> } = {}): Promise<void> {
    this.#stopping = true;
    this.#polls.stop();
    this.#startStopped?.abort();
    this.wake();
    await this.#loop;
    await this.#wakeTimer.close();
    // Deliveries still coming in (the HTTP server closing) store runs, and never leased to this replica now.
    await options.intakeClosed;
    // A delivery stored as the loop stopped may still start a turn (leased at intake): wait for it too.
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
    await this.#polls.idle();
    // The worker id is given up once every turn has ended, not before: a start under this id
    // meanwhile would free their leases.
    await this.#workerIdHold?.leave();
    this.#workerIdHold = null;
    this.#polls.resume();
    this.#loop = null;
    // Stopped, not draining any more: a turn asked for explicitly after this (runUntilIdle, a scenario's
    // advance) runs to its end instead of suspending at every action.
    this.#stopping = false;
  }

  /** The clock jumped (mock mode): the wake timer, armed in real milliseconds, reads the next due time again. */
  clockMoved(): void {
    this.#wakeTimer.stale = true;
    this.wake();
  }

  /** Tells the worker to look for due runs (after an ingest, a decision, a clock jump, a notification). */
  wake(): void {
    this.#news = true;
    this.#wakeLoop();
  }

  /** Lets the worker loop look at its slots again (a turn ended); a claim follows only if worth one. */
  #wakeLoop(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  /** Resolves when woken (at once if woken while the loop was busy) or after the poll interval. */
  #idle(pollMs: number): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (polled = false) => {
        clearTimeout(timer);
        // The safety poll ran: claim, and re-read the next due time too (a notification may have been missed).
        if (polled) {
          this.#wakeTimer.stale = true;
          this.#news = true;
        }
        this.#wakeUp = null;
        this.#woken = false;
        resolve();
      };
      const timer = setTimeout(() => done(true), pollMs);
      timer.unref?.();
      this.#wakeUp = () => done();
    });
  }

  #expressionEnv: ExpressionEnv | undefined;

  /** One environment for the engine's own expressions (filters, dedup keys), so their functions are bound once. */
  #env(): ExpressionEnv {
    return (this.#expressionEnv ??= { clock: this.clock, calendar: this.#opts.tables.calendar });
  }
}

/** The signal or event a run rests on in a `wait_for`, or null (running, sleeping in a `wait`, retrying). */
function waitingFor(journal: readonly JournalEntry[]): string | null {
  for (const entry of journal) {
    if (entry.status !== 'waiting' || !entry.wait) continue;
    if (entry.wait.kind === 'signal') return entry.wait.signal;
    if (entry.wait.kind === 'event') return entry.wait.event;
  }
  return null;
}

function eventScope(event: string, data: unknown, deliveryId: string): ExpressionScope & { trigger: { event: string; data: unknown } } {
  const trigger = { event, data, delivery_id: deliveryId };
  return { trigger, steps: {}, vars: {}, run: { id: '', recipe: '', version: 0, started_at: '' }, data, event };
}

/**
 * A run id that sorts by creation time: `run_` + 10 base-36 time digits + 12 random hex digits. The
 * random digits are the first 48 bits of a v4 UUID (all random): Node draws UUIDs from a buffered pool,
 * where `randomBytes` for six bytes asks OpenSSL each time (15 µs, a tenth of an ingest).
 */
export function newRunId(now: number): RunId {
  return asRunId(`run_${now.toString(36).padStart(10, '0')}${randomHex48()}`);
}

/** A lease owner's nonce (`<worker id>~<nonce>`). */
const leaseNonce = randomHex48;

/** 48 random bits as 12 hex digits, from randomUUID's buffered pool (cheaper than a randomBytes call each). */
function randomHex48(): string {
  const uuid = randomUUID();
  return `${uuid.slice(0, 8)}${uuid.slice(9, 13)}`;
}

/** Whose key a delivery is stored under: a recipe's run (its dedup_key or concurrency_key), or the record's (the event's correlation key). */
type StoredKey = { recipe: string; field: 'dedup_key' | 'concurrency_key' } | typeof RECORD_KEY;
const RECORD_KEY = 'record';

/** The key as a refusal names it. */
function keyLabel(key: StoredKey): string {
  return key === RECORD_KEY ? "the record's key" : `recipe ${key.recipe}: its ${key.field}`;
}

/**
 * A key a webhook's run is stored under (its dedup_key or concurrency_key) that the store cannot keep
 * refuses the delivery (400, nothing stored): a NUL character, named by the event's fields it came
 * from, or more than MAX_DEDUP_KEY_LENGTH characters.
 */
function refuseUnstorableKey(eventName: string, which: StoredKey, key: string, data: unknown): void {
  refuseNulKey(eventName, which, key, data);
  refuseLongKey(eventName, which, key);
}

/** A key holding a NUL character refuses the delivery, naming the event's fields it came from. */
function refuseNulKey(eventName: string, which: StoredKey, key: string, data: unknown): void {
  if (!hasNul(key)) return;
  const fields = nulSourcesOf(data, key, 'data');
  if (which === RECORD_KEY) {
    throw new EventRejectedError(`${eventName}: ${fields.join(', ')}: ${NUL_REFUSAL}, which ${keyLabel(which)} may not hold; nothing was stored`, 400, fields.map((path) => ({ path, message: NUL_REFUSAL })));
  }
  const message = `${keyLabel(which)} ${NUL_REFUSAL}, from ${fields.join(', ')}`;
  throw new EventRejectedError(`${eventName}: ${message}; nothing was stored`, 400, fields.map((path) => ({ path, message })));
}

/** A key longer than MAX_DEDUP_KEY_LENGTH characters refuses the delivery (the store indexes it). */
function refuseLongKey(eventName: string, which: StoredKey, key: string): void {
  if (key.length <= MAX_DEDUP_KEY_LENGTH) return;
  const message = `${keyLabel(which)} is ${key.length} characters, longer than the limit of ${MAX_DEDUP_KEY_LENGTH}`;
  throw new EventRejectedError(`${eventName}: ${message}; nothing was stored`, 400, [{ path: 'data', message }]);
}
