import type { Recipe } from '../../schemas/recipe.ts';
import { compileExpression, expressionsIn, referencedStepIds } from '../engine/expression.ts';
import { didYouMean } from './closest-name.ts';
import type { Finding } from './recipe-problem.ts';

/**
 * Every `{% … %}` string anywhere in the recipe (inputs, conditions, items, where, values, filters,
 * keys, cursors, deadlines) must compile, and every `steps.<id>` it reads must name a step of this
 * recipe: a misspelt step id would otherwise read as "nothing" at run time and pass silently.
 */
export function checkExpressions(recipe: Recipe, stepIds: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = [];
  for (const { source, path } of expressionsIn(recipe)) {
    try {
      compileExpression(source);
    } catch (error) {
      findings.push({ path, message: (error as Error).message });
      continue;
    }
    for (const id of referencedStepIds(source)) {
      if (!stepIds.has(id)) findings.push({ path, message: `reads steps.${id}, but no step has the id "${id}"${didYouMean(id, stepIds)}` });
    }
  }
  return findings;
}
