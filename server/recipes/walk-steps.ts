import type { Recipe, Step } from '../../schemas/recipe.ts';

/** A step and its JSON path in the recipe, e.g. `['steps', 3, 'then', 0]`. */
export interface PlacedStep {
  step: Step;
  path: (string | number)[];
}

/**
 * Every step of a recipe in document order, nested ones included: `then`/`else` of `if`, `steps` of
 * `foreach`, `on_error.steps` of actions, `on_timeout` of `wait_for`, and the recipe's own `on_error`.
 * Checks that must see all steps (unique ids, actions, tables) walk this one list.
 */
export function* walkSteps(recipe: Pick<Recipe, 'steps' | 'on_error'>): Generator<PlacedStep> {
  yield* walkList(recipe.steps, ['steps']);
  if (recipe.on_error) yield* walkList(recipe.on_error.steps, ['on_error', 'steps']);
}

function* walkList(steps: readonly Step[] | undefined, path: (string | number)[]): Generator<PlacedStep> {
  for (const [index, step] of (steps ?? []).entries()) {
    const at = [...path, index];
    yield { step, path: at };
    switch (step.type) {
      case 'if':
        yield* walkList(step.then, [...at, 'then']);
        yield* walkList(step.else, [...at, 'else']);
        break;
      case 'foreach':
        yield* walkList(step.steps, [...at, 'steps']);
        break;
      case 'action':
        if (typeof step.on_error === 'object') yield* walkList(step.on_error.steps, [...at, 'on_error', 'steps']);
        break;
      case 'wait_for':
        yield* walkList(step.on_timeout, [...at, 'on_timeout']);
        break;
    }
  }
}
