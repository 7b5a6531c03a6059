import type { Recipe } from '../../schemas/recipe.ts';
import { walkSteps } from './walk-steps.ts';

/**
 * The tables a recipe reads, sorted, each once: those its `lookup` steps read (nested steps included)
 * and the offsets table of its `timer` trigger. The console's recipes page names them.
 */
export function tablesReadBy(recipe: Recipe): string[] {
  const tables = new Set<string>();
  for (const { step } of walkSteps(recipe)) if (step.type === 'lookup') tables.add(step.table);
  const { trigger } = recipe;
  if (trigger.type === 'timer' && !Array.isArray(trigger.offsets)) tables.add(trigger.offsets.table);
  return [...tables].sort();
}
