import type { Recipe, Step } from '../../schemas/recipe.ts';

/** The steps nested directly under a step: if branches, a foreach body, on_timeout and on_error steps. */
function nested(step: Step): Step[] {
  switch (step.type) {
    case 'if':
      return [...step.then, ...(step.else ?? [])];
    case 'foreach':
      return step.steps;
    case 'wait_for':
      return step.on_timeout ?? [];
    case 'action':
      return typeof step.on_error === 'object' ? step.on_error.steps : [];
    default:
      return [];
  }
}

/** Every step of a recipe with the `wait_for` steps whose on_timeout it is under, outermost first. */
function* walk(steps: readonly Step[], timedOut: string[]): Generator<{ step: Step; timedOut: string[] }> {
  for (const step of steps) {
    yield { step, timedOut };
    if (step.type === 'wait_for') {
      yield* walk(step.on_timeout ?? [], [...timedOut, step.id]);
      continue;
    }
    yield* walk(nested(step), timedOut);
  }
}

function all(recipe: Recipe) {
  return [...walk(recipe.steps, []), ...walk(recipe.on_error?.steps ?? [], [])];
}

/** The step with this id anywhere in a recipe (ids are unique in a recipe). */
export function findStep(recipe: Recipe, id: string): Step | undefined {
  return all(recipe).find((s) => s.step.id === id)?.step;
}

/**
 * The approval level of a wait, as its recipe places it: the `wait_for` whose timeout led to this step
 * (D10: the escalated decision waits in the on_timeout of the first), or undefined for a first wait.
 */
export function escalatedFrom(recipe: Recipe, id: string): string | undefined {
  return all(recipe).find((s) => s.step.id === id)?.timedOut.at(-1);
}
