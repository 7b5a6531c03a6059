import type { Recipe } from '../../schemas/recipe.ts';
import type { RecipeProblem } from './recipe-problem.ts';
import { readRecipeFile } from './read-recipe-file.ts';
import { validateRecipe, type RecipeCheckOptions } from './validate-recipe.ts';

/** One recipe file after its checks: the definition when it is valid, else its problems. */
export interface RecipeFileCheck {
  file: string;
  definition?: Recipe;
  problems: RecipeProblem[];
}

/**
 * Reads and validates each file, then checks across files: two recipes with one name would be one
 * recipe to the runtime (runs, webhooks and the API address recipes by name).
 */
export async function checkRecipeFiles(files: readonly string[], options: RecipeCheckOptions): Promise<RecipeFileCheck[]> {
  const checks: RecipeFileCheck[] = [];
  for (const file of files) {
    const content = await readRecipeFile(file);
    checks.push(content.problem ? { file, problems: [content.problem] } : { file, ...validateRecipe(content.data, file, options) });
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
  return checks;
}
