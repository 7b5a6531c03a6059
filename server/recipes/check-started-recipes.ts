import type { Recipe } from '../../schemas/recipe.ts';
import { didYouMean } from './closest-name.ts';
import type { Finding } from './recipe-problem.ts';
import { walkSteps } from './walk-steps.ts';

/**
 * Every `runs.start` step must name, as written (not an expression), a recipe of the same set whose
 * trigger is `{ "type": "run" }`: otherwise every run would fail at that step, or start a recipe meant
 * for webhooks with data it does not expect. Checked across the files, like unique names.
 */
export function checkStartedRecipes(recipe: Recipe, all: ReadonlyMap<string, Recipe>): Finding[] {
  const findings: Finding[] = [];
  for (const { step, path } of walkSteps(recipe)) {
    if (step.type !== 'action' || step.action !== 'runs.start') continue;
    const name = (step.input as { recipe?: unknown } | undefined)?.recipe;
    const at = [...path, 'input', 'recipe'];
    if (typeof name !== 'string' || name.startsWith('{%')) {
      findings.push({ path: at, message: 'runs.start names its recipe as written, e.g. "mdf-request-salesforce-sync", so that it can be checked before any run' });
      continue;
    }
    const target = all.get(name);
    if (!target) {
      const runnable = [...all.values()].filter((r) => r.trigger.type === 'run').map((r) => r.name);
      const known = runnable.length > 0 ? `; recipes with a run trigger: ${runnable.join(', ')}` : '; no recipe has a run trigger';
      findings.push({ path: at, message: `unknown recipe "${name}"${didYouMean(name, runnable) || known}` });
    } else if (target.trigger.type !== 'run') {
      findings.push({ path: at, message: `recipe "${name}" has a ${target.trigger.type} trigger; runs.start starts only recipes whose trigger is { "type": "run" }` });
    }
  }
  return findings;
}
