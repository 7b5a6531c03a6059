import { describe, expect, it } from 'vitest';
import { Recipe } from '../../schemas/recipe.ts';
import { checkStartedRecipes } from './check-started-recipes.ts';

const starter = (recipe: unknown) =>
  Recipe.parse({
    name: 'business',
    version: 1,
    description: 'starts a sync',
    trigger: { type: 'webhook', event: 'prm.mdf_request.submitted' },
    steps: [{ id: 'sync', type: 'action', action: 'runs.start', input: { recipe, input: { mdf_number: '{% $trigger.data.mdfNumber %}' } } }],
  });
const sync = Recipe.parse({ name: 'mdf-request-salesforce-sync', version: 1, description: 'sync', trigger: { type: 'run' }, steps: [{ id: 'noop', type: 'set', values: { a: 1 } }] });
const all = (...recipes: Recipe[]) => new Map(recipes.map((r) => [r.name, r]));

describe('validate: runs.start names a recipe with a run trigger (D1 syncs)', () => {
  it('accepts a recipe of the set whose trigger is { type: run }', () => {
    const business = starter('mdf-request-salesforce-sync');
    expect(checkStartedRecipes(business, all(business, sync))).toEqual([]);
  });

  it('refuses an unknown recipe, suggesting the closest one with a run trigger', () => {
    const business = starter('mdf-request-salesforce-synk');
    expect(checkStartedRecipes(business, all(business, sync))).toEqual([
      { path: ['steps', 0, 'input', 'recipe'], message: 'unknown recipe "mdf-request-salesforce-synk" (did you mean "mdf-request-salesforce-sync"?)' },
    ]);
  });

  it('refuses a recipe with another trigger, and a recipe given as an expression', () => {
    const business = starter('business');
    expect(checkStartedRecipes(business, all(business, sync))[0]!.message).toBe('recipe "business" has a webhook trigger; runs.start starts only recipes whose trigger is { "type": "run" }');
    const dynamic = starter('{% $trigger.data.recipe %}');
    expect(checkStartedRecipes(dynamic, all(dynamic, sync))[0]!.message).toContain('runs.start names its recipe as written');
  });
});
