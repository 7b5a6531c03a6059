import { readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { displayPath } from '../find-files.ts';

/** Whether `path` (absolute) is RECIPES_DIR or inside it. */
function insideRecipesDir(path: string, recipesDir: string): boolean {
  return path === recipesDir || path.startsWith(recipesDir + sep);
}

/** Files outside RECIPES_DIR by folder, each shown as the commands show files. */
function byFolderOutside(files: readonly string[], recipesDir: string): Map<string, string[]> {
  const byFolder = new Map<string, string[]>();
  for (const file of files) {
    const folder = dirname(resolve(file));
    if (insideRecipesDir(folder, recipesDir)) continue;
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), displayPath(resolve(file))]);
  }
  return byFolder;
}

/** A folder as a command's argument: `.` for the current one. */
function asArgument(folder: string): string {
  return relative(process.cwd(), folder) === '' ? '.' : displayPath(folder);
}

/**
 * `partnerflow test`: failed scenarios kept outside RECIPES_DIR beside recipe files of their own. Those
 * recipes were not loaded (a scenario runs against RECIPES_DIR's), which a failure ("no recipe is named
 * …") does not say. One line a folder, with the command that tests them.
 */
export function scenariosBesideRecipesNotLoaded(failedScenarios: readonly string[], recipesDir: string): string[] {
  const notes: string[] = [];
  for (const [folder, scenarios] of byFolderOutside(failedScenarios, recipesDir)) {
    let recipes: string[];
    try {
      recipes = readdirSync(folder).filter((name) => /\.recipe\.(json|ts)$/.test(name)).sort();
    } catch {
      continue;
    }
    if (recipes.length === 0) continue;
    const it = recipes.length === 1 ? 'it' : 'them';
    notes.push(
      `partnerflow test: ${scenarios.join(', ')} ran against the recipes of RECIPES_DIR (${displayPath(recipesDir)}), not the ${recipes.length === 1 ? 'recipe' : 'recipes'} beside ${scenarios.length === 1 ? 'it' : 'them'} (${recipes.map((r) => displayPath(join(folder, r))).join(', ')}); to test ${it}: RECIPES_DIR=${asArgument(folder)} partnerflow test ${scenarios.join(' ')}`,
    );
  }
  return notes;
}

/**
 * `partnerflow validate`: recipe files with problems outside RECIPES_DIR were checked against the
 * tables and email templates of RECIPES_DIR's folders (TABLES_DIR, EMAIL_TEMPLATES_DIR), not those
 * beside them, which `serve` on their folder would read. One line a folder, with the command that
 * checks them as that runtime would.
 */
export function recipesCheckedAgainstRecipesDir(filesWithProblems: readonly string[], recipesDir: string, tablesDir: string, templatesDir: string): string[] {
  const notes: string[] = [];
  for (const [folder, recipes] of byFolderOutside(filesWithProblems, recipesDir)) {
    const own = ['tables', 'email-templates'].filter((name) => {
      try {
        readdirSync(join(folder, name));
        return true;
      } catch {
        return false;
      }
    });
    if (own.length === 0) continue;
    notes.push(
      `partnerflow validate: ${recipes.join(', ')} ${recipes.length === 1 ? 'is' : 'are'} outside RECIPES_DIR (${displayPath(recipesDir)}) and ${recipes.length === 1 ? 'was' : 'were'} checked against the tables of ${displayPath(tablesDir)} and the email templates of ${displayPath(templatesDir)}, not the ${own.map((name) => displayPath(join(folder, name))).join(' and ')} beside ${recipes.length === 1 ? 'it' : 'them'}; to check ${recipes.length === 1 ? 'it' : 'them'} as a runtime on that folder reads ${recipes.length === 1 ? 'it' : 'them'}: RECIPES_DIR=${asArgument(folder)} partnerflow validate ${recipes.join(' ')}`,
    );
  }
  return notes;
}
