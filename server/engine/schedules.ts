import { Cron } from 'croner';
import { timeZoneProblem } from '../../schemas/schedule-cron.ts';
import type { Store } from '../store/store.ts';
import type { RecipeSet } from './recipe-set.ts';

/** The most fires of one schedule created in one pass (a long outage catches up over several passes). */
const MAX_CATCH_UP = 100;

/** Told of a schedule whose fire times cannot be computed (`field`: trigger.cron or trigger.timezone); it is skipped. */
type ScheduleErrorListener = (recipe: string, field: 'trigger.cron' | 'trigger.timezone', error: Error) => void;

interface ScheduleState {
  cron: Cron;
  /** The last fire time a run exists for. */
  last: number;
  /** The fire time after `last` (null: none), kept because the worker asks on every claim and croner takes up to 0.5 ms. */
  next: number | null;
}

/**
 * Turns `schedule` triggers into runs. Each fire time becomes one run with the dedup key
 * `schedule:<time>`, so two replicas, or a restart in the middle, never start it twice; fires missed
 * while the runtime was down are started when it is back, each with its own time.
 */
export class Schedules {
  readonly #state = new Map<string, ScheduleState>();
  #loaded = false;

  constructor(
    readonly recipes: RecipeSet,
    readonly store: Store,
    readonly onError: ScheduleErrorListener = () => {},
  ) {}

  /** Where each schedule stands: after its newest scheduled run, or from `now` for a new schedule. */
  async #load(now: number): Promise<void> {
    for (const recipe of this.recipes.list()) {
      const trigger = recipe.definition.trigger;
      if (trigger.type !== 'schedule') continue;
      let cron: Cron;
      try {
        cron = new Cron(trigger.cron, { timezone: trigger.timezone, paused: true });
        // croner checks the time zone only when it computes a time.
        nextFire(cron, now);
      } catch (error) {
        // Validation refuses a bad cron or zone, but a zone may be unknown to this runtime's ICU: only
        // this schedule stops, said once, never the claim loop and with it every other recipe's runs.
        this.onError(recipe.definition.name, timeZoneProblem(trigger.timezone) ? 'trigger.timezone' : 'trigger.cron', error as Error);
        continue;
      }
      const last = (await lastScheduledFire(this.store, recipe.definition.name)) ?? now;
      this.#state.set(recipe.definition.name, { cron, last, next: nextFire(cron, last) });
    }
    this.#loaded = true;
  }

  /** The fire times due at `now`, oldest first, per recipe. */
  async due(now: number): Promise<Array<{ recipe: string; at: number }>> {
    if (!this.#loaded) await this.#load(now);
    const fires: Array<{ recipe: string; at: number }> = [];
    for (const [recipe, state] of this.#state) {
      if (state.next === null || state.next > now) continue;
      let from = state.last;
      for (let i = 0; i < MAX_CATCH_UP; i++) {
        const next = nextFire(state.cron, from);
        if (next === null || next > now) break;
        fires.push({ recipe, at: next });
        from = next;
      }
    }
    return fires;
  }

  /** Records that a run exists for this fire time. */
  fired(recipe: string, at: number): void {
    const state = this.#state.get(recipe);
    if (state && at > state.last) {
      state.last = at;
      state.next = nextFire(state.cron, at);
    }
  }

  /** The next fire time of any schedule, so a virtual clock can stop there. */
  async nextAt(now: number): Promise<number | null> {
    if (!this.#loaded) await this.#load(now);
    let next: number | null = null;
    for (const state of this.#state.values()) {
      if (state.next !== null && (next === null || state.next < next)) next = state.next;
    }
    return next;
  }
}

/**
 * The fire time of a schedule's newest run (undefined: it never fired). Where the engine goes on from
 * after a restart, and so what `GET /timers` shows next: a slot missed while no replica ran comes
 * before now, and is started at the next claim.
 */
export async function lastScheduledFire(store: Pick<Store, 'listRuns'>, recipe: string): Promise<number | undefined> {
  const recent = await store.listRuns({ recipe, limit: 50 });
  return recent.find((r) => r.trigger.type === 'schedule')?.trigger.receivedAt;
}

/** `lastScheduledFire` of each served schedule recipe, for the lists of what will fire. */
export async function lastScheduledFires(store: Pick<Store, 'listRuns'>, recipes: RecipeSet): Promise<Map<string, number>> {
  const names = recipes.list().filter((r) => r.definition.trigger.type === 'schedule').map((r) => r.definition.name);
  const fires = await Promise.all(names.map((name) => lastScheduledFire(store, name)));
  const byRecipe = new Map<string, number>();
  names.forEach((name, i) => fires[i] !== undefined && byRecipe.set(name, fires[i]));
  return byRecipe;
}

function nextFire(cron: Cron, after: number): number | null {
  return cron.nextRun(new Date(after))?.getTime() ?? null;
}

/**
 * When a schedule fires next after `after` (what an operator is shown: `GET /timers`, the console);
 * null when never, or when this runtime cannot compute it (a time zone its ICU lacks): the engine skips
 * such a schedule and logs it (Schedules above), and the lists show the rest.
 */
export function nextScheduleTime(trigger: { cron: string; timezone: string }, after: number): number | null {
  try {
    return nextFire(new Cron(trigger.cron, { timezone: trigger.timezone, paused: true }), after);
  } catch {
    return null;
  }
}
