import type { Recipe, Step } from '../../schemas/recipe.ts';
import type { RecipeSet } from './recipe-set.ts';

/**
 * D10: the `wait_for` steps on `signal` after whose timeout the recipe can never wait for that signal
 * again, by step id (ids are unique in a recipe). A decision that arrives after such a wait timed out
 * has nothing left to answer: the timeout is final. A wait is not final when a wait on the same signal
 * can follow it: in its `on_timeout` steps, later in the flow (after it, or after the steps that
 * enclose it), in a later iteration of an enclosing `foreach`, or in an `on_error` path. Read from the
 * definition alone, so a wait in a branch the run did not take still counts as one that may follow.
 */
export function finalSignalWaits(recipe: Recipe, signal: string): Set<string> {
  const final = new Set<string>();
  // A recipe-level on_error runs after any step fails: a wait on the signal there may follow any wait.
  const afterAll = recipe.on_error ? waitsOn(recipe.on_error.steps, signal) : false;
  collect(recipe.steps, afterAll, signal, final);
  if (recipe.on_error) collect(recipe.on_error.steps, false, signal, final);
  return final;
}

/**
 * The final waits of the recipe a run stands on (by its hash). A recipe that cannot be found has no
 * final waits: the link then behaves as it did before this rule (it is kept for a later wait).
 */
export async function finalSignalWaitsOf(recipes: RecipeSet, recipeHash: string, signal: string): Promise<Set<string>> {
  try {
    return finalSignalWaits(await recipes.byHash(recipeHash), signal);
  } catch {
    return new Set();
  }
}

/** Walks `steps`; `after` tells whether a wait on the signal can come after this sequence ends. */
function collect(steps: readonly Step[], after: boolean, signal: string, final: Set<string>): void {
  steps.forEach((step, i) => {
    const later = after || waitsOn(steps.slice(i + 1), signal);
    switch (step.type) {
      case 'wait_for':
        if (step.signal === signal && !later && !(step.on_timeout && waitsOn(step.on_timeout, signal))) final.add(step.id);
        if (step.on_timeout) collect(step.on_timeout, later, signal, final);
        return;
      case 'if':
        collect(step.then, later, signal, final);
        if (step.else) collect(step.else, later, signal, final);
        return;
      case 'foreach':
        // The next iteration runs the same steps again.
        collect(step.steps, later || waitsOn(step.steps, signal), signal, final);
        return;
      case 'action':
        if (step.on_error && typeof step.on_error === 'object') collect(step.on_error.steps, later, signal, final);
        return;
      default:
        return;
    }
  });
}

/** Whether any step in `steps`, at any depth, waits for the signal. */
function waitsOn(steps: readonly Step[], signal: string): boolean {
  return steps.some((step) => {
    switch (step.type) {
      case 'wait_for':
        return step.signal === signal || (step.on_timeout ? waitsOn(step.on_timeout, signal) : false);
      case 'if':
        return waitsOn(step.then, signal) || (step.else ? waitsOn(step.else, signal) : false);
      case 'foreach':
        return waitsOn(step.steps, signal);
      case 'action':
        return step.on_error && typeof step.on_error === 'object' ? waitsOn(step.on_error.steps, signal) : false;
      default:
        return false;
    }
  });
}
