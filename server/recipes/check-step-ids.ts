import type { Recipe } from '../../schemas/recipe.ts';
import type { Finding } from './recipe-problem.ts';
import { walkSteps } from './walk-steps.ts';
import { formatPath } from '../../schemas/format-issues.ts';

/**
 * Step ids must be unique in the whole recipe, nested steps included: the journal is keyed by them and
 * expressions read `steps.<id>`, so two steps with one id would overwrite each other's results.
 */
export function checkStepIds(recipe: Recipe): Finding[] {
  const firstSeen = new Map<string, (string | number)[]>();
  const findings: Finding[] = [];
  for (const { step, path } of walkSteps(recipe)) {
    const earlier = firstSeen.get(step.id);
    if (earlier) findings.push({ path: [...path, 'id'], message: `step id "${step.id}" is already used by ${formatPath(earlier)}` });
    else firstSeen.set(step.id, path);
  }
  return findings;
}
