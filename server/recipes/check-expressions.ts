import type { Recipe } from '../../schemas/recipe.ts';
import { compileExpression, expressionsIn, referencedSteps } from '../engine/expression.ts';
import { didYouMean } from './closest-name.ts';
import type { Finding } from './recipe-problem.ts';
import { StepOrder } from './step-order.ts';

/**
 * Every `{% … %}` string anywhere in the recipe (inputs, conditions, items, where, values, filters,
 * keys, cursors, deadlines) must compile, and every `steps.<id>` it reads must name a step of this
 * recipe that has finished where the expression is evaluated: a misspelt step id, or a step that
 * comes later, would otherwise read as "nothing" at run time and pass silently.
 */
export function checkExpressions(recipe: Recipe): Finding[] {
  const order = new StepOrder(recipe);
  const findings: Finding[] = [];
  for (const { source, path } of expressionsIn(recipe)) {
    try {
      compileExpression(source);
    } catch (error) {
      findings.push({ path, message: (error as Error).message });
      continue;
    }
    for (const { id, bracketed } of referencedSteps(source)) {
      const unknown = order.has(id) ? '' : `; no step has the id "${id}"${didYouMean(id, order.ids())}`;
      if (bracketed) {
        findings.push({ path, message: `reads steps['${id}'], which JSONata takes as a filter over all steps, not as step "${id}": write $steps.${id}${unknown}` });
        continue;
      }
      if (unknown) {
        findings.push({ path, message: `reads steps.${id}, but no step has the id "${id}"${didYouMean(id, order.ids())}` });
        continue;
      }
      const why = order.whyUnreadable(id, path);
      if (why) findings.push({ path, message: `reads steps.${id}, but ${why}` });
    }
  }
  return findings;
}
