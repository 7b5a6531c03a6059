import { formatProblem, type RecipeProblem } from './recipe-problem.ts';

/**
 * Recipes that cannot be loaded. The runtime refuses to start with it, and its message lists every
 * problem of every file, one per line, so one fix-and-retry round fixes them all.
 */
export class RecipeLoadError extends Error {
  override name = 'RecipeLoadError';

  constructor(readonly problems: readonly RecipeProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}
