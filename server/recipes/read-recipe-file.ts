import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseJsonText } from '../json-duplicate-keys.ts';
import type { RecipeProblem } from './recipe-problem.ts';

/** A recipe file's content, not yet validated, or why it could not be read. */
export type RecipeFileContent = { data: unknown; problem?: undefined } | { data?: undefined; problem: RecipeProblem[] };

/**
 * Reads a recipe file: JSON as it is (a key written twice in one object is refused: JSON.parse would
 * keep the last silently); a `.ts` file's default export (import it through tsx, which
 * bin/partnerflow.js registers, or vitest). A TS recipe goes through JSON once, so the runtime holds
 * exactly what the same recipe written as JSON would give, and hashes and stores the same.
 */
export async function readRecipeFile(file: string): Promise<RecipeFileContent> {
  if (file.endsWith('.ts')) return importRecipe(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return failed(file, `cannot be read: ${(error as Error).message}`);
  }
  const parsed = parseJsonText(text);
  return parsed.problems.length > 0 ? { problem: parsed.problems.map((problem) => ({ file, ...problem })) } : { data: parsed.value };
}

async function importRecipe(file: string): Promise<RecipeFileContent> {
  let module: { default?: unknown };
  try {
    module = await importTypeScript(pathToFileURL(resolve(file)).href);
  } catch (error) {
    return failed(file, `cannot be imported: ${notAnEsModuleHint(error) ?? (error as Error).message}`);
  }
  if (module.default === undefined) return failed(file, 'has no default export; write `export default defineRecipe({ … })`');
  try {
    return { data: JSON.parse(JSON.stringify(module.default)) };
  } catch (error) {
    return failed(file, `its default export is not JSON data: ${(error as Error).message}`);
  }
}

/**
 * Imports a TS module. The compiled CLI (bin/build-cli.js) runs without a TypeScript loader, so the
 * first TS recipe registers tsx; under tsx or vitest the import works as it is.
 */
async function importTypeScript(url: string): Promise<{ default?: unknown }> {
  try {
    return (await import(url)) as { default?: unknown };
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    const { register } = await import('tsx/esm/api');
    register();
    // A new URL: Node keeps the failed import of the first one in its module cache.
    return (await import(`${url}?typescript`)) as { default?: unknown };
  }
}

/**
 * A `.recipe.ts` is an ES module (`export default …`), and Node takes a `.ts` file for CommonJS unless
 * the nearest package.json says `"type": "module"`: inside this repository it does, in a recipes folder
 * of one's own (RECIPES_DIR elsewhere) mostly not, and Node's own words blame its internals.
 */
function notAnEsModuleHint(error: unknown): string | undefined {
  const { code, message } = error as { code?: string; message?: string };
  if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_CYCLE_MODULE' && !/require\(\) ES Module/.test(message ?? '')) return undefined;
  return 'Node takes it for CommonJS, but a .recipe.ts is an ES module (export default): put a package.json with {"type": "module"} in the recipes folder (or a folder above it)';
}

function failed(file: string, message: string): RecipeFileContent {
  return { problem: [{ file, path: '', message }] };
}
