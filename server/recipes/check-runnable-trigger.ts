import type { Recipe } from '../../schemas/recipe.ts';
import type { Finding } from './recipe-problem.ts';

/** Trigger kinds the recipe language has and this runtime does not run yet. */
const NOT_RUN_YET: ReadonlySet<Recipe['trigger']['type']> = new Set(['poll']);

/**
 * A recipe whose trigger this runtime cannot run would load and then never start. `validate`, the
 * harness and `serve` all refuse it instead, with the same line.
 */
export function checkRunnableTrigger(recipe: Recipe): Finding[] {
  const { type } = recipe.trigger;
  if (!NOT_RUN_YET.has(type)) return [];
  return [{ path: ['trigger', 'type'], message: `${type} triggers are part of the recipe language, but this runtime does not run them yet` }];
}
