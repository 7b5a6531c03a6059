import type { Recipe } from '../../schemas/recipe.ts';
import { checkRecipeFiles } from './check-recipe-files.ts';
import { findRecipeFiles, NoSuchPathError } from '../find-files.ts';
import { RecipeLoadError } from './recipe-load-error.ts';
import type { RecipeCheckOptions } from './validate-recipe.ts';

export { RecipeLoadError } from './recipe-load-error.ts';

/**
 * Loads every recipe under `dir` (`*.recipe.json` and `*.recipe.ts`, recursively, in a stable order)
 * for the runtime and the harness. Every file is validated against the schema, the connectors and the
 * tables; if any has a problem, nothing loads: RecipeLoadError lists every problem of every file, so
 * the runtime refuses to start with a message naming each file and JSON path.
 */
export async function loadRecipes(dir: string, options: RecipeCheckOptions): Promise<Array<{ definition: Recipe; file: string }>> {
  let files: string[];
  try {
    files = findRecipeFiles([dir]);
  } catch (error) {
    if (error instanceof NoSuchPathError) throw new RecipeLoadError([{ file: dir, path: '', message: 'no such folder (RECIPES_DIR)' }]);
    throw error;
  }
  const checks = await checkRecipeFiles(files, options);
  const problems = checks.flatMap((c) => c.problems);
  if (problems.length > 0) throw new RecipeLoadError(problems);
  return checks.map((c) => ({ definition: c.definition!, file: c.file }));
}
