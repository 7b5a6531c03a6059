import type { z } from 'zod';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import type { TimerTrigger } from '../../schemas/recipe.ts';
import { stampMillis } from '../../schemas/domain/source-stamp.ts';
import { isDayOffset, timerDedupKey } from '../store/business-timers-store.ts';
import type { BusinessTimer, CancelTimersOutcome, DeferTimer, NewRun, RecomputeTimersOutcome, Store, TimersPlan } from '../store/store.ts';
import { beyondCalendarWarning } from './business-calendar-coverage.ts';
import { catchUpAfterEvent, catchUpTimeOf, fireTimeOf, recordDay, resolveOffsets, type CatchUpRules, type ResolvedOffset } from './business-timer-times.ts';
import { evaluateExpression, type ExpressionEnv, type ExpressionScope } from './expression.ts';
import type { RunId } from './ids.ts';
import type { LifecycleListener, StartedByRunTrigger } from './lifecycle-events.ts';
import type { LoadedRecipe, RecipeSet } from './recipe-set.ts';
import type { Tables } from './tables.ts';

type Timer = z.output<typeof TimerTrigger>;

/** Due timers turned into runs per transaction: large enough to fire 100,000 at once quickly, small enough to keep a commit short. */
export const TIMER_FIRE_BATCH = 500;
/** Batches per pass of the worker loop, so that due runs are claimed between them when very many timers come due. */
const BATCHES_PER_PASS = 20;
/**
 * How long (clock time) the worker trusts the next fire time it read before asking the store again:
 * the claim loop runs many times a second and need not query the timers each time; a timer another
 * replica sets is seen within this, one this process sets at once.
 */
const RECHECK_MS = 1000;
/**
 * Reads of a stopper's stops one event may make when records change between the read and the lift
 * (each round, a newer event of a record came in between); then the delivery fails and is sent again.
 */
const MAX_LIFT_ROUNDS = 5;

export interface BusinessTimersOptions {
  recipes: RecipeSet;
  store: Store;
  tables: Tables;
  log: Logger;
  env: () => ExpressionEnv;
  newRunId: (now: number) => RunId;
  onLifecycle?: LifecycleListener;
}

/**
 * Runs `timer` triggers (README "Timers that follow a record's date", ARCHITECTURE.md "Business
 * timers"): every accepted event that carries a record recomputes that record's timers in the store,
 * stop_on events end them, and the worker loop turns the due ones into runs. Nothing is kept in
 * memory: the pending timers live only in the store, so a restart has nothing to load.
 */
export class BusinessTimers {
  readonly #o: BusinessTimersOptions;
  /** Before this clock time no timer can be due (the next fire time read, at most RECHECK_MS ahead). */
  #noneDueBefore = -Infinity;

  /** The served recipes with a timer trigger: a recipe set does not change once loaded. */
  readonly #timerRecipes: readonly LoadedRecipe[];

  /**
   * Each timer recipe's offsets, resolved once (its offsets table checked then), not at every event:
   * the tables change only through a scenario's `change_table`, which calls syncTableOffsets.
   */
  readonly #offsets = new Map<string, ResolvedOffset[]>();

  constructor(options: BusinessTimersOptions) {
    this.#o = options;
    this.#timerRecipes = options.recipes.list().filter((r) => r.definition.trigger.type === 'timer');
    // A table or column that cannot give the offsets stops the start, naming it (not the first event).
    for (const recipe of this.#timerRecipes) this.#offsets.set(recipe.definition.name, resolveOffsets(timerOf(recipe), options.tables, recipe.definition.name));
  }

  /** Whether any served recipe has a timer trigger (the engine skips the store otherwise). */
  get any(): boolean {
    return this.#timerRecipes.length > 0;
  }

  /**
   * Applies an accepted event to the timers it concerns: stop_on first (a claim exists: no reminder),
   * then the recompute of the record's timers. A record without a usable key or date is logged, never
   * a failed delivery; a store failure is (the sender delivers again, and the recompute is idempotent).
   */
  async onEvent(event: string, data: unknown, correlationKey: string | null, deliveryId: string, now: number): Promise<TimersTouched[]> {
    const scope = eventScope(event, data, deliveryId);
    const touched: TimersTouched[] = [];
    for (const recipe of this.#timerRecipes) {
      const trigger = timerOf(recipe);
      const name = recipe.definition.name;
      if (correlationKey !== null) {
        for (const stop of trigger.stop_on ?? []) {
          if (stop.event !== event) continue;
          if (stop.filter && !(await this.#evaluate(stop.filter, scope, name, 'stop_on filter'))) continue;
          const stopper = stop.by ? stopperOf(await this.#evaluate(stop.by, scope, name, 'stop_on by')) : undefined;
          const stopperAsOf = stopper !== undefined && stop.as_of ? stampMillis(await this.#evaluate(stop.as_of, scope, name, 'stop_on as_of')) : undefined;
          if (stopper !== undefined && stopperAsOf !== undefined && !(await this.#newestOfStopper(name, stopperAsOf, stopper, event, correlationKey, now))) continue;
          if (stopper !== undefined && stop.lifted_when && (await this.#evaluate(stop.lifted_when, scope, name, 'stop_on lifted_when'))) {
            // The stopper stops nothing any more (a claim refused): its stops are lifted from every key, this one included.
            touched.push(...(await this.#liftStops(recipe, trigger, stopper, null, event, deliveryId, now)));
            continue;
          }
          // The stopper now carries this key: a stop it left on another (ops moved the claim) is lifted first.
          if (stopper !== undefined) touched.push(...(await this.#liftStops(recipe, trigger, stopper, correlationKey, event, deliveryId, now)));
          const outcome = await this.#o.store.cancelBusinessTimers({
            recipe: name,
            key: correlationKey,
            reason: `stopped by ${event}`,
            stop: true,
            ...(stopper !== undefined ? { stopper } : {}),
            ...(stopperAsOf !== undefined ? { stopperAsOf } : {}),
            now,
          });
          if (outcome.kind === 'stale') {
            this.#stopperOlder(name, stopper!, stopperAsOf!, event, correlationKey);
            continue;
          }
          const canceled = outcome.canceled;
          const how = stopper === undefined ? 'for good' : `while ${stopper} is with it`;
          this.#o.log.info({ recipe: name, key: correlationKey, event, stopper, canceled }, `timers of ${correlationKey} stopped ${how} by ${event} (${canceled} pending canceled)`);
          touched.push({ recipe: name, key: correlationKey, action: 'stopped' });
        }
      }
      const records = typeof trigger.record === 'string' ? [trigger.record] : trigger.record;
      if (records.includes(event)) {
        const key = await this.#recompute(recipe, trigger, scope, now);
        if (key !== null) touched.push({ recipe: name, key, action: 'recomputed' });
        // A recomputed timer may be due at once (a past offset): the next pass asks the store.
        this.#noneDueBefore = -Infinity;
      }
    }
    return touched;
  }

  /**
   * Whether the stopper's event is as new as any of its events applied (stop_on `as_of`), keeping its
   * stamp when so. A late event older than one applied (a claim's change from before its denial, which
   * lifted its stop) would stop the timers again while the stopper stops nothing any more, or move the
   * stop back to a request the claim left: it changes nothing. An event without a stamp is applied.
   */
  async #newestOfStopper(recipe: string, asOf: number, stopper: string, event: string, key: string, now: number): Promise<boolean> {
    if (await this.#o.store.takeBusinessTimerStopperStamp({ recipe, stopper, asOf, now })) return true;
    this.#stopperOlder(recipe, stopper, asOf, event, key);
    return false;
  }

  #stopperOlder(recipe: string, stopper: string, asOf: number, event: string, key: string): void {
    this.#o.log.info({ recipe, key, event, stopper, asOf }, `timers of ${key}: ${event} of ${stopper} is older than one of its events already applied; it stops and lifts nothing`);
  }

  /**
   * Lifts the stops `stopper` left on keys other than `keepKey` (on every key when null) and recomputes the timers of each
   * record nothing stops any more, from its last state, as if that state arrived now: a reminder day
   * already past is late (catch_up), the days to come wait for their time. The timers are computed
   * first (the trigger's expressions stay out of the store's transaction) and written in the
   * transaction that deletes the stop: a failure at any point leaves the stop, and the event's next
   * delivery lifts it. A stop whose record changed meanwhile is read and computed again.
   */
  async #liftStops(recipe: LoadedRecipe, trigger: Timer, stopper: string, keepKey: string | null, event: string, deliveryId: string, now: number): Promise<TimersTouched[]> {
    const name = recipe.definition.name;
    const touched: TimersTouched[] = [];
    for (let round = 1; ; round++) {
      const stops = await this.#o.store.listBusinessTimerStops({ recipe: name, stopper, keepKey });
      let changed = 0;
      for (const stop of stops) {
        const then = stop.date === '' ? null : await this.#plan(recipe, trigger, eventScope(event, stop.data, deliveryId), stop.key, now);
        const outcome = await this.#o.store.liftBusinessTimerStop({ recipe: name, stopper, key: stop.key, revision: stop.revision, then, now });
        if (outcome.kind === 'changed') {
          changed++;
          continue;
        }
        this.#noneDueBefore = -Infinity;
        if (outcome.kind === 'still-stopped') {
          this.#o.log.info({ recipe: name, key: stop.key, event, stopper, movedTo: keepKey }, `timers of ${stop.key}: ${why(stopper, keepKey, event)}, but another stop still holds them`);
          continue;
        }
        // A marker that held no state (no event of the record before the stop) leaves nothing to resume.
        if (then === null || outcome.applied === null) continue;
        this.#o.log.info({ recipe: name, key: stop.key, event, stopper, movedTo: keepKey }, `timers of ${stop.key} resume: ${why(stopper, keepKey, event)}`);
        this.#logApplied(then, outcome.applied, event);
        touched.push({ recipe: name, key: stop.key, action: 'recomputed' });
      }
      if (changed === 0) return touched;
      // Each round means a newer event of the record came between the read and the lift: rare, and bounded.
      if (round >= MAX_LIFT_ROUNDS) {
        throw new Error(`timers of ${name}: the stops ${stopper} left changed ${round} times while being lifted (${event}); deliver the event again`);
      }
    }
  }

  /** Resolves with the record's key, or null when the event gives none. */
  async #recompute(recipe: LoadedRecipe, trigger: Timer, scope: EventScope, now: number): Promise<string | null> {
    const name = recipe.definition.name;
    const rawKey = await this.#evaluate(trigger.key, scope, name, 'key');
    if (rawKey === undefined || rawKey === null || rawKey === '') {
      this.#o.log.warn({ recipe: name, event: scope.event }, `timer of ${name}: the event gives no record key (${trigger.key}); no timer changed`);
      return null;
    }
    const key = String(rawKey);
    const plan = await this.#plan(recipe, trigger, scope, key, now);
    const outcome = plan.kind === 'recompute' ? await this.#o.store.recomputeBusinessTimers(plan.input) : await this.#o.store.cancelBusinessTimers(plan.input);
    this.#logApplied(plan, outcome, scope.event);
    return key;
  }

  /**
   * What the record's state (an event's `data`) asks of its timers, as data for the store: their fire
   * times, or a cancel when `while` is false or the date is missing. Evaluates the trigger's
   * expressions, so it runs before, never inside, the store's transaction.
   */
  async #plan(recipe: LoadedRecipe, trigger: Timer, scope: EventScope, key: string, now: number): Promise<TimersPlan> {
    const name = recipe.definition.name;
    // The stamp first: a cancel is a state of the record too, and an event older than the state applied changes nothing.
    const asOf = trigger.as_of ? (stampMillis(await this.#evaluate(trigger.as_of, scope, name, 'as_of')) ?? null) : null;
    const cancel = (why: string): TimersPlan => ({ kind: 'cancel', input: { recipe: name, key, reason: why, stop: false, asOf, now } });
    if (trigger.while && !(await this.#evaluate(trigger.while, scope, name, 'while'))) return cancel(`${trigger.while} is false`);
    const rawDate = await this.#evaluate(trigger.date, scope, name, 'date');
    const day = recordDay(rawDate, this.#o.tables.calendar);
    if (!day) return cancel(`the record's date (${trigger.date}) is ${rawDate === undefined ? 'missing' : `${JSON.stringify(rawDate)}, not a date`}`);
    const offsets = this.#offsets.get(name)!.map((o) => ({
      offset: o.label,
      fireAt: fireTimeOf(day, o.offset, trigger, this.#o.tables.calendar),
    }));
    for (const o of offsets) {
      const beyond = beyondCalendarWarning(this.#o.tables.calendar, o.fireAt, `timer ${name} for ${key}, offset ${o.offset} after ${String(rawDate)},`);
      if (beyond) this.#o.log.warn({ recipe: name, key, offset: o.offset }, beyond);
    }
    // README "Late timers": an offset already past (or due within catch_up.wait) waits for the window, after the event's own news.
    const rules = catchUpRulesOf(trigger);
    const catchUpAt = rules ? catchUpAfterEvent(now, rules, this.#o.tables.calendar) : undefined;
    return { kind: 'recompute', input: { recipe: name, key, date: String(rawDate), data: scope.trigger.data, asOf, offsets, catchUpAt, now } };
  }

  /** Logs what a recompute or a cancel did to a record's timers. */
  #logApplied(plan: TimersPlan, outcome: RecomputeTimersOutcome | CancelTimersOutcome, event: string): void {
    const { recipe, key } = plan.input;
    if (outcome.kind === 'stale') return this.#logStale(recipe, key, event);
    if (plan.kind === 'cancel' && outcome.kind === 'canceled') {
      this.#o.log.info({ recipe, key, event, canceled: outcome.canceled }, `timers of ${key} canceled (${outcome.canceled} pending): ${plan.input.reason}`);
    } else if (outcome.kind === 'applied' && outcome.skipped.length > 0) {
      this.#o.log.info({ recipe, key, skipped: outcome.skipped }, `timers of ${key}: offsets ${outcome.skipped.join(', ')} skipped, a later one was already due`);
    }
  }

  #logStale(recipe: string, key: string, event: string): void {
    this.#o.log.info({ recipe, key, event }, `timers of ${key} unchanged: the event is older than the state already applied`);
  }

  /**
   * Brings the pending timers of table-driven offsets in line with the tables as ops left them (at
   * start, and after a scenario's `change_table`): offsets gone are canceled, new ones added to every
   * record with a pending timer from its stored date; a new offset already past is skipped, not sent
   * late. An unchanged table costs one read per recipe. Failures are logged: the start goes on.
   */
  async syncTableOffsets(now: number): Promise<void> {
    for (const recipe of this.#timerRecipes) {
      const trigger = timerOf(recipe);
      if (Array.isArray(trigger.offsets)) continue;
      const name = recipe.definition.name;
      const table = trigger.offsets.table;
      try {
        const offsets = resolveOffsets(trigger, this.#o.tables, name);
        this.#offsets.set(name, offsets);
        const calendar = this.#o.tables.calendar;
        const outcome = await this.#o.store.syncBusinessTimerOffsets({
          recipe: name,
          offsets: offsets.map((o) => o.label),
          fireTimes: (date) => {
            const day = recordDay(date, calendar);
            return day ? offsets.map((o) => ({ offset: o.label, fireAt: fireTimeOf(day, o.offset, trigger, calendar) })) : null;
          },
          source: `${table} table`,
          now,
        });
        if (outcome.kind === 'unchanged') continue;
        const { added, removed, canceled, pending, skipped, records, firstSync } = outcome;
        this.#o.log.info(
          { recipe: name, table, added, removed, canceled, pending, skipped, records, firstSync },
          `timers of ${name} follow the ${table} table: ` +
            `offsets added ${added.length > 0 ? added.join(', ') : 'none'} (${pending} timers to come on ${records} records with pending timers, ${skipped} already past skipped, not sent late), ` +
            `removed ${removed.length > 0 ? removed.join(', ') : firstSync ? 'those not in the table' : 'none'} (${canceled} pending canceled)` +
            (firstSync ? '; first sync of this store, every offset of the table counted as new' : ''),
        );
      } catch (error) {
        this.#o.log.error({ recipe: name, table, error: (error as Error).message }, `timers of ${name}: the ${table} table could not be applied to the pending timers: ${(error as Error).message}`);
      }
    }
    this.#noneDueBefore = -Infinity;
  }

  /** An expression's value, or undefined (logged) when it fails: a bad record never fails the delivery. */
  async #evaluate(source: string, scope: EventScope, recipe: string, what: string): Promise<unknown> {
    try {
      return await evaluateExpression(source, scope, this.#o.env(), scope.trigger);
    } catch (error) {
      this.#o.log.warn({ recipe, expression: source, error: (error as Error).message }, `timer of ${recipe}: its ${what} could not be evaluated for ${scope.event}`);
      return undefined;
    }
  }

  /** Something may be due that this process did not write (a replica's recompute): the next pass asks the store. */
  recheck(): void {
    this.#noneDueBefore = -Infinity;
  }

  /**
   * Turns due timers into runs, a batch per transaction, until none is due or the pass's batches are
   * used (the worker claims runs between passes). Resolves with how many fired.
   */
  async fireDue(now: number, batches = BATCHES_PER_PASS): Promise<number> {
    if (!this.any || now < this.#noneDueBefore) return 0;
    let fired = 0;
    let drained = false;
    for (let i = 0; i < batches; i++) {
      const batch = await this.#o.store.fireDueBusinessTimers({ now, limit: TIMER_FIRE_BATCH, runFor: (timer) => this.#runFor(timer, now) });
      fired += batch.length;
      if (this.#o.onLifecycle) {
        for (const { timer, runId } of batch) {
          this.#o.onLifecycle({ type: 'business-timer.fired', runId, recipe: timer.recipe, key: timer.key, offset: timer.offset, dueAt: timer.fireAt, date: timer.date });
        }
      }
      if (batch.length < TIMER_FIRE_BATCH) {
        drained = true;
        break;
      }
    }
    if (drained) this.#noneDueBefore = Math.min((await this.#o.store.nextBusinessTimerAt()) ?? Infinity, now + RECHECK_MS);
    return fired;
  }

  #runFor(timer: BusinessTimer, now: number): NewRun | DeferTimer | null {
    const recipe = this.#o.recipes.get(timer.recipe);
    if (!recipe || recipe.definition.trigger.type !== 'timer') return null;
    // README "Late timers": a timer the runtime was down for (or a holiday ops added since) does not go out at 02:00 or on a Sunday.
    const rules = catchUpRulesOf(timerOf(recipe));
    if (rules) {
      const sendAt = catchUpTimeOf(now, rules, this.#o.tables.calendar);
      if (sendAt > now) {
        const due = new Date(timer.fireAt).toISOString();
        const to = new Date(sendAt).toISOString();
        this.#o.log.info({ recipe: timer.recipe, key: timer.key, offset: timer.offset, dueAt: due, deferredTo: to }, `timer ${timer.recipe} for ${timer.key} (offset ${timer.offset}, due ${due}) is late and outside its catch-up window: it fires at ${to}`);
        return { deferTo: sendAt, reason: `late (due ${due}, not fired then): sent at the trigger's catch-up time` };
      }
    }
    const offset = isDayOffset(timer.offset) ? Number(timer.offset) : timer.offset;
    return {
      id: this.#o.newRunId(now),
      recipe: timer.recipe,
      recipeVersion: recipe.definition.version,
      recipeHash: recipe.hash,
      // businessKey: the log names the run by the record's key (the MDF number), not by its dedup key.
      trigger: { type: 'timer', receivedAt: now, businessKey: timer.key, data: { key: timer.key, date: timer.date, offset, due_at: new Date(timer.fireAt).toISOString(), record: timer.data } } as StartedByRunTrigger,
      dedupKey: timerDedupKey(timer.key, timer.offset, timer.date),
      correlationKey: timer.key,
      cancelOnEvent: recipe.definition.cancel_on?.event ?? null,
      wakeAt: now,
      createdAt: now,
    };
  }

  /** The next pending timer's fire time (virtual clocks stop there). */
  nextAt(): Promise<number | null> {
    return this.any ? this.#o.store.nextBusinessTimerAt() : Promise.resolve(null);
  }
}

function timerOf(recipe: LoadedRecipe): Timer {
  return recipe.definition.trigger as Timer;
}

/** The trigger's rules for late timers, or null when it has no `catch_up` (a late timer fires at once). */
function catchUpRulesOf(trigger: Timer): CatchUpRules | null {
  return trigger.catch_up ? { at: trigger.at, on_non_business_day: trigger.on_non_business_day, catch_up: trigger.catch_up } : null;
}

/** What an event did to a record's timers, for the delivery's log line. */
export interface TimersTouched {
  recipe: string;
  key: string;
  /** `recomputed`: by the recompute rules (set, moved, canceled, or unchanged as stale); `stopped`: by stop_on, for good. */
  action: 'recomputed' | 'stopped';
}

type EventScope = ExpressionScope & { event: string; trigger: { event: string; data: unknown; delivery_id: string } };

/** As a webhook trigger's expressions see an event: `data` and `event` at the top. */
function eventScope(event: string, data: unknown, deliveryId: string): EventScope {
  const trigger = { event, data, delivery_id: deliveryId };
  return { trigger, steps: {}, vars: {}, run: { id: '', recipe: '', version: 0, started_at: '' }, data, event };
}

/** Why a stopper's stop is lifted, for the log: it moved to another key, or it stops nothing any more. */
function why(stopper: string, keepKey: string | null, event: string): string {
  return keepKey === null ? `${stopper}, which stopped them, stops nothing any more (${event}, stop_on lifted_when)` : `${stopper}, which stopped them, is with ${keepKey} now (${event})`;
}

/** A stop_on `by` value as the stopper's id, or undefined (no usable value: the stop is for good). */
function stopperOf(value: unknown): string | undefined {
  return (typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value)) ? String(value) : undefined;
}

