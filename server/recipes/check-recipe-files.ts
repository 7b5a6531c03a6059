import type { Recipe } from '../../schemas/recipe.ts';
import { checkStartedRecipes } from './check-started-recipes.ts';
import { toProblems, type RecipeProblem } from './recipe-problem.ts';
import { readRecipeFile } from './read-recipe-file.ts';
import { validateRecipe, type RecipeCheckOptions } from './validate-recipe.ts';

/** One recipe file after its checks: the definition when it is valid, else its problems. */
export interface RecipeFileCheck {
  file: string;
  definition?: Recipe;
  problems: RecipeProblem[];
}

/**
 * Reads and validates each file, checks that this runtime can run it, then checks across files: two
 * recipes with one name would be one recipe to the runtime (runs, webhooks and the API address
 * recipes by name), and that each `runs.start` names a recipe with a run trigger.
 */
export async function checkRecipeFiles(files: readonly string[], options: RecipeCheckOptions): Promise<RecipeFileCheck[]> {
  const checks: RecipeFileCheck[] = [];
  for (const file of files) {
    const content = await readRecipeFile(file);
    if (content.problem) {
      checks.push({ file, problems: content.problem });
      continue;
    }
    checks.push({ file, ...validateRecipe(content.data, file, options) });
  }
  const byName = new Map<string, string>();
  for (const check of checks) {
    if (!check.definition) continue;
    const first = byName.get(check.definition.name);
    if (first === undefined) {
      byName.set(check.definition.name, check.file);
      continue;
    }
    check.problems.push({ file: check.file, path: 'name', message: `"${check.definition.name}" is also the name of the recipe in ${first}; recipe names must be unique` });
    delete check.definition;
  }
  const all = new Map(checks.flatMap((c) => (c.definition ? [[c.definition.name, c.definition] as const] : [])));
  for (const check of checks) {
    if (!check.definition) continue;
    check.problems.push(...toProblems(check.file, checkStartedRecipes(check.definition, all)));
    if (check.problems.length > 0) delete check.definition;
  }
  return checks;
}
