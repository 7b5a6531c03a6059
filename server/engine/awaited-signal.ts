import type { Recipe } from '../../schemas/recipe.ts';
import { walkSteps } from '../recipes/walk-steps.ts';
import type { RecipeSet } from './recipe-set.ts';

/**
 * Whether a `wait_for` of the recipe, at any depth (an escalation's in `on_timeout`, one in an `if`
 * branch, a loop, an `on_error` path), takes `signal`. When none does, nothing would ever read a
 * decision sent as that signal: `validate` refuses such a recipe (check-signals.ts), but a run of an
 * older version may still stand on one, and its approval link must not record a decision.
 */
export function recipeWaitsFor(recipe: Pick<Recipe, 'steps' | 'on_error'>, signal: string): boolean {
  for (const { step } of walkSteps(recipe)) if (step.type === 'wait_for' && step.signal === signal) return true;
  return false;
}

/**
 * `recipeWaitsFor` of the recipe version a run stands on (by its hash). A version not found counts as
 * waiting: the decision is then taken as before, and the link's other checks decide.
 */
export async function runRecipeWaitsFor(recipes: RecipeSet, recipeHash: string, signal: string): Promise<boolean> {
  try {
    return recipeWaitsFor(await recipes.byHash(recipeHash), signal);
  } catch {
    return true;
  }
}
