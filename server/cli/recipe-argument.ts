import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { formatProblem } from '../recipes/recipe-problem.ts';
import { readRecipeFile } from '../recipes/read-recipe-file.ts';

/** A recipe named on the command line: by its name, or by the path of its file (what a shell completes). */
export type RecipeArgument = { name: string; problem?: undefined } | { name?: undefined; problem: string };

const RECIPE_FILE = /\.recipe\.(json|ts)$/;

/**
 * `partnerflow run <recipe>`: the runtime knows the recipes of RECIPES_DIR by name. A file path is
 * taken when the file is one of them, and the recipe's name read from it; a file elsewhere is refused
 * with the command that runs it, since loading it beside RECIPES_DIR would run it with other tables and
 * templates than `serve` gives it.
 */
export async function recipeArgument(argument: string, recipesDir: string): Promise<RecipeArgument> {
  if (!RECIPE_FILE.test(argument) && !argument.includes('/') && !argument.includes(sep)) return { name: argument };
  const file = resolve(argument);
  const dir = resolve(recipesDir);
  if (!existsSync(file)) return { problem: `${argument}: no such file; give a recipe's name or the path of its file under RECIPES_DIR (${dir})` };
  const content = await readRecipeFile(file);
  if (content.problem) return { problem: content.problem.map(formatProblem).join('; ') };
  const name = (content.data as { name?: unknown } | null)?.name;
  if (typeof name !== 'string' || name === '') return { problem: `${argument}: the recipe has no "name"` };
  const inside = relative(dir, file);
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    return { problem: `${argument} is not under RECIPES_DIR (${dir}), where the runtime reads its recipes; to run "${name}": RECIPES_DIR=${resolve(file, '..')} partnerflow run ${name} --event <file>` };
  }
  return { name };
}
