import { randomBytes } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { PollPageShape } from '../../connectors/kit/poll-page.ts';
import type { Recipe } from '../../schemas/recipe.ts';
import type { NewRun, Store } from '../store/store.ts';
import { addIsoDuration } from './business-calendar.ts';
import type { Clock } from './clock.ts';
import type { ConnectedConnectors } from './connector-registry.ts';
import { evaluateExpression, evaluateMapping, type ExpressionEnv, type ExpressionScope } from './expression.ts';
import { asRunId, idempotencyKeyFor, asStepKey, type RunId } from './ids.ts';
import type { LoadedRecipe, RecipeSet } from './recipe-set.ts';
import { computedKey, keyWithoutData } from './computed-key.ts';
import { hasNul, NUL_REFUSAL, nulSourcesOf } from './nul-keys.ts';
import { MAX_DEDUP_KEY_LENGTH } from './stored-key-limits.ts';
import { isStoppedBeforeAttempt } from './errors.ts';
import type { Row, Tables } from './tables.ts';

type PollTrigger = Extract<Recipe['trigger'], { type: 'poll' }>;

export interface PollsOptions {
  recipes: RecipeSet;
  store: Store;
  connectors: ConnectedConnectors;
  clock: Clock;
  log: Logger;
  env: () => ExpressionEnv;
  /**
   * The tables ops maintain, as the runtime read them at its start (an edit applies from the next
   * start, as for lookups): a poll's `input` may read them as `$tables.<name>` (each table's rows), so
   * that a value ops may change (e.g. the untouched lead statuses, D24, D25) is data, not written in
   * the recipe.
   */
  tables?: () => Tables;
  workerId: string;
  /** How long a poll stays this process's while it neither saves a page nor finishes. */
  leaseMs: number;
  /** The engine's metrics registry (`/metrics`). */
  registry: Registry;
  newRunId: (now: number) => RunId;
  /** Called when a poll stored new runs (the worker claims them). */
  onRunsCreated: () => void;
}

/**
 * The `poll` trigger: every `every`, a poll recipe's action is called with the recipe's `input` and
 * `since` (the watermark; null at the first poll), page after page; each item becomes one run
 * (trigger type `poll`, data the item, business key the recipe's `correlation_key`), deduplicated by
 * the recipe's `dedup_key`, and the watermark moves to the highest `cursor` of the items. Where each
 * recipe stands lives in the store (store/poll-cursors.ts):
 *
 * - an action with a `pollStart` (salesforce.list_changed_fund_records) is never asked with a null
 *   `since`: at the first poll its start (the recipe's `start_at`, or the time of that first try) is
 *   stored as the watermark before the system is called, so a failed first poll tried again later
 *   still reads from that start (a recipe an older runtime polled without a start and without ever an
 *   item starts one interval before that last poll);
 * - a poll is taken by compare-and-set on its cursor, so two replicas never poll one recipe at once;
 * - each page's runs and the watermark after it are written in one transaction: a crash before it
 *   reads the page again at the next poll, and the dedup keys make the repeated items the same runs;
 * - the action is asked for items changed at or after the watermark (`>=`), so an item changed in the
 *   same second as the watermark, after the last poll, is not lost; the dedup keys drop the repeats;
 * - a failed poll (the system is down) is logged, counted in `/metrics`
 *   (`partnerflow_polls_total{outcome="failed"}`, `partnerflow_poll_failures_in_a_row`) and tried
 *   again at the next interval, from the same watermark.
 *
 * Only one page is held in memory at a time. The action must answer items in cursor order.
 */
export class Polls {
  readonly #opts: PollsOptions;
  /** Per poll recipe, when this process looks at it next (from the store; refreshed after each try). */
  readonly #nextAt = new Map<string, number>();
  readonly #inFlight = new Map<string, Promise<void>>();
  /** The polls under way, to abort when the process stops. */
  readonly #controllers = new Set<AbortController>();
  /** Stopping (shutdown): no poll starts, and those under way were aborted. */
  #stopping = false;
  #loaded: Promise<void> | null = null;
  readonly #polls: Counter<'recipe' | 'outcome'>;
  readonly #failuresInARow: Gauge<'recipe'>;

  constructor(options: PollsOptions) {
    this.#opts = options;
    this.#polls = new Counter({
      name: 'partnerflow_polls_total',
      help: 'Polls of `poll` recipes by outcome (ok, failed: the system polled did not answer; tried again at the next interval)',
      labelNames: ['recipe', 'outcome'] as const,
      registers: [options.registry],
    });
    this.#failuresInARow = new Gauge({
      name: 'partnerflow_poll_failures_in_a_row',
      help: 'Polls of a `poll` recipe that failed in a row (0 once one worked); its watermark has not moved meanwhile',
      labelNames: ['recipe'] as const,
      registers: [options.registry],
    });
  }

  /** The served recipes with a poll trigger: a recipe set does not change once loaded. */
  #pollRecipesOnce: readonly LoadedRecipe[] | undefined;

  #pollRecipes(): readonly LoadedRecipe[] {
    return (this.#pollRecipesOnce ??= this.#opts.recipes.list().filter((r) => r.definition.trigger.type === 'poll'));
  }

  /** Reads where each poll recipe stands; a recipe never polled is due at once. */
  #load(now: number): Promise<void> {
    return (this.#loaded ??= (async () => {
      const cursors = new Map((await this.#opts.store.listPollCursors()).map((c) => [c.recipe, c]));
      for (const recipe of this.#pollRecipes()) {
        const cursor = cursors.get(recipe.definition.name);
        this.#nextAt.set(recipe.definition.name, cursor ? lookAgainAt(cursor, now) : now);
      }
    })());
  }

  /**
   * Starts every poll that is due at `now` and not under way in this process. Resolves when those
   * polls have ended (the harness and `tick` wait; the worker loop does not). Never rejects.
   */
  async pollDue(now: number): Promise<void> {
    try {
      await this.#load(now);
    } catch (error) {
      this.#loaded = null;
      this.#opts.log.error({ error: (error as Error).message }, 'reading the poll cursors failed; will try again');
      return;
    }
    const started: Array<Promise<void>> = [];
    for (const recipe of this.#stopping ? [] : this.#pollRecipes()) {
      const name = recipe.definition.name;
      if (this.#inFlight.has(name) || (this.#nextAt.get(name) ?? now) > now) continue;
      const poll = this.#poll(recipe, now).finally(() => this.#inFlight.delete(name));
      this.#inFlight.set(name, poll);
      started.push(poll);
    }
    await Promise.all(started);
  }

  /** When this process looks at a poll recipe next (null: none known yet), for the worker's wake timer. */
  nextAt(): number | null {
    let next: number | null = null;
    // One under way is left out: its own end arms the timer with its next time.
    for (const [name, at] of this.#nextAt) if (!this.#inFlight.has(name) && (next === null || at < next)) next = at;
    return next;
  }

  /** Resolves when the polls under way have ended (graceful shutdown). */
  async idle(): Promise<void> {
    await Promise.all(this.#inFlight.values());
  }

  /**
   * Shutdown: no poll starts until `resume()`, and each poll under way is aborted (a poll only reads: its
   * call in flight is dropped, not waited for). What its pages stored stays; the recipe is due again at
   * once, for whichever process polls next, from the watermark its last saved page left.
   */
  stop(): void {
    this.#stopping = true;
    for (const controller of this.#controllers) controller.abort(new Error('the process is stopping'));
  }

  /** After a stop: polls start again when due (an engine started again, the harness's ticks). */
  resume(): void {
    this.#stopping = false;
  }

  async #poll(recipe: LoadedRecipe, now: number): Promise<void> {
    const { store, log, clock } = this.#opts;
    const name = recipe.definition.name;
    const trigger = recipe.definition.trigger as PollTrigger;
    const owner = `${this.#opts.workerId}~poll-${randomBytes(6).toString('base64url')}`;
    const nextPollAt = addIsoDuration(now, trigger.every);
    let taken: { watermark: string | null } | null;
    try {
      taken = await store.takePoll({ recipe: name, now, owner, leaseMs: this.#opts.leaseMs });
    } catch (error) {
      log.error({ recipe: name, error: (error as Error).message }, 'taking a poll failed; will try again');
      return;
    }
    if (!taken) {
      // Not due after all, or another replica polls it now: look again when that one is over.
      const cursor = (await store.listPollCursors().catch(() => [])).find((c) => c.recipe === name);
      this.#nextAt.set(name, cursor ? Math.max(lookAgainAt(cursor, now), now + 1) : nextPollAt);
      return;
    }
    let items = 0;
    let created = 0;
    const controller = new AbortController();
    this.#controllers.add(controller);
    let since = taken.watermark;
    try {
      let watermark = taken.watermark;
      const resolved = this.#opts.connectors.resolve(trigger.action);
      const scope = { ...pollScope(trigger.action, null, name), tables: tableRows(this.#opts.tables?.()) };
      const input = (await evaluateMapping(trigger.input ?? {}, scope, this.#opts.env())) as Record<string, unknown>;
      const pollStart = resolved.definition.pollStart;
      if (since === null && pollStart) {
        // The first poll: where it starts (the recipe's start_at, or the time of this first try) is
        // stored as the watermark before the system is asked, so a first poll that fails is tried
        // again from the same start, and no change made meanwhile is skipped.
        // A recipe an older runtime polled without a start (it read everything) and that never had an
        // item has no watermark but a last poll: start one interval before that poll, so a change
        // made between it and this upgraded runtime's first poll is not skipped.
        const before = (await store.listPollCursors()).find((c) => c.recipe === name);
        const firstTry = before?.lastPolledAt != null ? Math.min(now, before.lastPolledAt - (nextPollAt - now)) : now;
        const start = pollStart(resolved.definition.input.parse({ ...input, since: null }), firstTry);
        const saved = await store.savePollPage({ recipe: name, owner, runs: [], watermark: start, now: clock.now(), leaseUntil: clock.now() + this.#opts.leaseMs });
        if (!saved) {
          log.warn({ recipe: name }, 'poll taken over by another process (this one stalled); leaving it');
          return;
        }
        log.info({ recipe: name, start }, 'first poll of this recipe in this store: it reads the changes made from its start on');
        since = watermark = start;
      }
      let page: string | null = null;
      for (let pageNumber = 1; ; pageNumber++) {
        const parsed = resolved.definition.input.parse({ ...input, since, ...(page === null ? {} : { page }) });
        const runId = asRunId(`poll:${name}`);
        const answer = PollPageShape.parse(
          resolved.definition.output.parse(
            await resolved.definition.run(parsed, {
              connection: resolved.connection,
              idempotencyKey: idempotencyKeyFor(runId, asStepKey(`page-${pageNumber}`)),
              runId,
              clock,
              log,
              signal: controller.signal,
              note: (line) => log.debug?.({ recipe: name, page: pageNumber }, line),
            }),
          ),
        );
        const runs: NewRun[] = [];
        for (const [index, item] of answer.items.entries()) {
          const itemScope = pollScope(trigger.action, item, name);
          const computed = computedKey(await evaluateExpression(trigger.dedup_key, itemScope, this.#opts.env(), itemScope.trigger));
          // A key of nothing would be one for every item ("undefined"): only the first would ever start
          // a run. The poll fails instead, loudly and with the watermark kept, so nothing is lost.
          if ('nothing' in computed) {
            throw new Error(
              `recipe ${name}: trigger.dedup_key ${trigger.dedup_key} computes nothing (${computed.nothing}) for item ${index + 1} of page ${pageNumber}; no run started and the watermark stays, so the items are polled again once the recipe is fixed`,
            );
          }
          // 'sf:' & data.ID is 'sf:' for every item, as for an item of no data: the same loss, the same failure.
          const withoutData = await keyWithoutData(trigger.dedup_key, itemScope, (probe: typeof itemScope) => evaluateExpression(trigger.dedup_key, probe, this.#opts.env(), probe.trigger));
          if (computed.key === withoutData) {
            throw new Error(
              `recipe ${name}: trigger.dedup_key ${trigger.dedup_key} computes ${JSON.stringify(computed.key)} for item ${index + 1} of page ${pageNumber}, as it would for an item without data: it reads nothing of the item (a field typo?); no run started and the watermark stays, so the items are polled again once the recipe is fixed`,
            );
          }
          const dedupKey = computed.key;
          let correlationKey: string | null = null;
          if (trigger.correlation_key !== undefined) {
            const business = computedKey(await evaluateExpression(trigger.correlation_key, itemScope, this.#opts.env(), itemScope.trigger));
            // As for the dedup key: a business key of nothing is most often a field typo; the poll fails
            // loudly, the watermark kept, rather than start runs no key finds.
            if ('nothing' in business) {
              throw new Error(
                `recipe ${name}: trigger.correlation_key ${trigger.correlation_key} computes nothing (${business.nothing}) for item ${index + 1} of page ${pageNumber}; no run started and the watermark stays, so the items are polled again once the recipe is fixed`,
              );
            }
            correlationKey = business.key;
          }
          const cursor = await evaluateExpression(trigger.cursor, itemScope, this.#opts.env(), itemScope.trigger);
          // The cursor as the watermark keeps it; null when the item has none.
          const cursorText = cursor === null || cursor === undefined || cursor === '' ? null : String(cursor);
          // Stored, a NUL would fail the page's commit on PostgreSQL at every poll: the item is left out.
          const nul = hasNul(dedupKey)
            ? 'dedup_key'
            : correlationKey !== null && hasNul(correlationKey)
              ? 'correlation_key'
              : cursorText !== null && hasNul(cursorText)
                ? 'cursor'
                : null;
          if (nul) {
            const fields = nulSourcesOf(item, nul === 'dedup_key' ? dedupKey : nul === 'correlation_key' ? correlationKey! : cursorText!, 'data');
            log.error({ recipe: name, fields }, `poll item refused: its ${nul} ${NUL_REFUSAL}, from ${fields.join(', ')}; no run started for it`);
            // Refused for good: the watermark may pass it (not a cursor that holds the NUL itself).
            if (nul !== 'cursor' && cursorText !== null) watermark = laterCursor(watermark, cursorText);
            continue;
          }
          // Stored, a key the store cannot index would fail the page's commit at every poll: the item is left out.
          // Its text is the item's data (names, addresses): the line says where the item is, not what it holds.
          const long = dedupKey.length > MAX_DEDUP_KEY_LENGTH ? (['dedup_key', dedupKey] as const) : correlationKey !== null && correlationKey.length > MAX_DEDUP_KEY_LENGTH ? (['correlation_key', correlationKey] as const) : null;
          if (long) {
            const [field, key] = long;
            log.error(
              { recipe: name, field, length: key.length, item: index + 1, page: pageNumber },
              `poll item refused: item ${index + 1} of page ${pageNumber}${cursorText === null ? '' : ` (cursor ${JSON.stringify(cursorText)})`}: its ${field} is ${key.length} characters, longer than the limit of ${MAX_DEDUP_KEY_LENGTH}; no run started for it`,
            );
            // Refused for good (the same item computes the same key): the watermark may pass it.
            if (cursorText !== null) watermark = laterCursor(watermark, cursorText);
            continue;
          }
          if (cursorText === null) throw new Error(`recipe ${name}: trigger.cursor ${trigger.cursor} is empty for item ${dedupKey}`);
          watermark = laterCursor(watermark, cursorText);
          runs.push(this.#newRun(recipe, item, dedupKey, correlationKey, now));
        }
        const saved = await store.savePollPage({ recipe: name, owner, runs, watermark, now: clock.now(), leaseUntil: clock.now() + this.#opts.leaseMs });
        if (!saved) {
          log.warn({ recipe: name }, 'poll taken over by another process (this one stalled); leaving it');
          return;
        }
        items += answer.items.length;
        created += saved.created;
        if (saved.created > 0) this.#opts.onRunsCreated();
        page = answer.next_page;
        if (page === null) break;
      }
      await store.finishPoll({ recipe: name, owner, now: clock.now(), nextPollAt });
      this.#polls.inc({ recipe: name, outcome: 'ok' });
      this.#failuresInARow.set({ recipe: name }, 0);
      log.info({ recipe: name, items, runs: created, since, watermark }, 'polled');
    } catch (error) {
      // Its call may also have given up waiting for rate budget as the runtime began stopping (nothing sent).
      if (controller.signal.aborted || isStoppedBeforeAttempt(error)) {
        // Stopped mid-poll (shutdown): not a failure of the system. Due again at once, from the saved watermark.
        const released = await store.finishPoll({ recipe: name, owner, now: clock.now(), nextPollAt: clock.now() }).catch(() => false);
        log.info({ recipe: name, items, runs: created, released }, 'poll stopped by the shutdown; polled again from the same watermark by the next process');
        return;
      }
      // The watermark stays where the last saved page left it: the next poll asks again from there.
      const message = (error as Error).message;
      const finished = await store.finishPoll({ recipe: name, owner, now: clock.now(), nextPollAt, error: message }).catch(() => false);
      this.#polls.inc({ recipe: name, outcome: 'failed' });
      const cursor = finished ? (await store.listPollCursors().catch(() => [])).find((c) => c.recipe === name) : undefined;
      if (cursor) this.#failuresInARow.set({ recipe: name }, cursor.failures);
      log.warn({ recipe: name, error: message, items, runs: created, nextPollAt: new Date(nextPollAt).toISOString() }, 'poll failed; trying again at the next interval from the same watermark');
    } finally {
      this.#controllers.delete(controller);
      this.#nextAt.set(name, nextPollAt);
    }
  }

  #newRun(recipe: LoadedRecipe, item: unknown, dedupKey: string, correlationKey: string | null, now: number): NewRun {
    const trigger = recipe.definition.trigger as PollTrigger;
    return {
      id: this.#opts.newRunId(now),
      recipe: recipe.definition.name,
      recipeVersion: recipe.definition.version,
      recipeHash: recipe.hash,
      // businessKey: the log names the run by its business key (the MDF number), as a timer run's.
      trigger: { type: 'poll', event: trigger.action, source: trigger.action.split('.')[0], receivedAt: now, data: item, ...(correlationKey === null ? {} : { businessKey: correlationKey }) },
      dedupKey,
      correlationKey,
      cancelOnEvent: recipe.definition.cancel_on?.event ?? null,
      wakeAt: now,
      createdAt: now,
    };
  }
}

/** When to look at a stored cursor again: when it is due, or when another process's poll of it could be over. */
function lookAgainAt(cursor: { nextPollAt: number; leaseOwner: string | null; leaseUntil: number | null }, now: number): number {
  if (cursor.leaseOwner !== null && cursor.leaseUntil !== null && cursor.leaseUntil > now) return Math.max(cursor.nextPollAt, cursor.leaseUntil);
  return cursor.nextPollAt;
}

/** Each table's rows by its name: what a poll's `input` reads as `$tables` (none without tables). */
function tableRows(tables: Tables | undefined): Record<string, readonly Row[]> {
  if (!tables) return {};
  return Object.fromEntries(tables.names().map((name) => [name, tables.rows(name) ?? []]));
}

/** The scope of a poll's expressions: `data` is the item (as `trigger.data` in the run it starts). */
function pollScope(action: string, item: unknown, recipe: string): ExpressionScope & { trigger: { event: string; data: unknown } } {
  const trigger = { event: action, data: item };
  return { trigger, steps: {}, vars: {}, run: { id: '', recipe, version: 0, started_at: '' }, data: item, event: action };
}

/**
 * The later of two cursors: numbers by value, times by the instant they name (Salesforce writes
 * `2026-03-02T09:00:00.000+0000`), anything else as text.
 */
function laterCursor(current: string | null, candidate: string): string {
  if (current === null) return candidate;
  return compareCursors(candidate, current) > 0 ? candidate : current;
}

function compareCursors(a: string, b: string): number {
  const number = /^-?\d+(\.\d+)?$/;
  if (number.test(a) && number.test(b)) return Math.sign(Number(a) - Number(b));
  const [ta, tb] = [parseTime(a), parseTime(b)];
  if (!Number.isNaN(ta) && !Number.isNaN(tb)) return Math.sign(ta - tb);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An ISO time, also with Salesforce's `+0000` zone (no colon). */
function parseTime(s: string): number {
  return Date.parse(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}
