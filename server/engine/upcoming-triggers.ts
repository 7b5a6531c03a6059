import type { Recipe } from '../../schemas/recipe.ts';
import type { PollCursor, Store } from '../store/store.ts';
import type { RecipeSet } from './recipe-set.ts';
import { lastScheduledFires, nextScheduleTime } from './schedules.ts';

/**
 * A served `schedule` recipe and when it fires next (null: never, or not computable here). Before now
 * when a slot was missed while no replica ran: the engine starts it at its next claim.
 */
export interface UpcomingSchedule {
  recipe: Recipe;
  firesAt: number | null;
}

/** A served `poll` recipe, when it is polled next, and how its last polls went. */
export interface UpcomingPoll {
  recipe: Recipe;
  firesAt: number;
  failures: number;
  lastError: string | null;
}

/**
 * What the recipes' own triggers will fire, besides runs and business timers: each schedule's next time
 * and each poll's. One place for `GET /timers` and the console's timers page, so both say the same.
 * A poll recipe never polled yet has no cursor and is due at once (as the engine polls it: polls.ts).
 * A schedule goes on from its newest run (`lastFires`, from `lastScheduledFires`), as the engine does
 * after a restart, or from now when it never fired.
 */
export function upcomingTriggers(recipes: readonly Recipe[], cursors: readonly PollCursor[], lastFires: ReadonlyMap<string, number>, now: number): { schedules: UpcomingSchedule[]; polls: UpcomingPoll[] } {
  const byRecipe = new Map(cursors.map((cursor) => [cursor.recipe, cursor]));
  const schedules: UpcomingSchedule[] = [];
  const polls: UpcomingPoll[] = [];
  for (const recipe of recipes) {
    const trigger = recipe.trigger;
    if (trigger.type === 'schedule') schedules.push({ recipe, firesAt: nextScheduleTime(trigger, lastFires.get(recipe.name) ?? now) });
    if (trigger.type === 'poll') {
      const cursor = byRecipe.get(recipe.name);
      polls.push({ recipe, firesAt: cursor?.nextPollAt ?? now, failures: cursor?.failures ?? 0, lastError: cursor?.lastError ?? null });
    }
  }
  // Soonest first; a schedule that cannot fire last.
  schedules.sort((a, b) => (a.firesAt ?? Infinity) - (b.firesAt ?? Infinity) || a.recipe.name.localeCompare(b.recipe.name));
  polls.sort((a, b) => a.firesAt - b.firesAt || a.recipe.name.localeCompare(b.recipe.name));
  return { schedules, polls };
}

/** `upcomingTriggers` of the served recipes, with the poll cursors and schedules' newest runs read from the store. */
export async function readUpcomingTriggers(store: Pick<Store, 'listPollCursors' | 'listRuns'>, recipes: RecipeSet, now: number): Promise<{ schedules: UpcomingSchedule[]; polls: UpcomingPoll[] }> {
  const [cursors, lastFires] = await Promise.all([store.listPollCursors(), lastScheduledFires(store, recipes)]);
  return upcomingTriggers(recipes.list().map((r) => r.definition), cursors, lastFires, now);
}
