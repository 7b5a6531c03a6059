import type { Recipe } from '../../schemas/recipe.ts';
import type { TimeoutIsFinal } from '../store/approval-link-lifetime.ts';
import { walkSteps } from '../recipes/walk-steps.ts';
import { finalTimeoutCheck } from './final-signal-waits.ts';
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
 * What the recipe version a run stands on (by its hash) says of a decision sent as `signal`: whether a
 * wait takes it at all, and which of its waits end the link for good when they time out (D10,
 * final-signal-waits.ts); the version read once for both. A version not found counts as waiting, with
 * no wait final: the decision is then taken as before, and the link's other checks decide.
 */
export async function signalWaitsOf(recipes: RecipeSet, recipeHash: string, signal: string): Promise<{ awaited: boolean; timeoutIsFinal: TimeoutIsFinal }> {
  let recipe: Recipe;
  try {
    recipe = await recipes.byHash(recipeHash);
  } catch {
    return { awaited: true, timeoutIsFinal: () => false };
  }
  return { awaited: recipeWaitsFor(recipe, signal), timeoutIsFinal: finalTimeoutCheck(recipe, signal) };
}
