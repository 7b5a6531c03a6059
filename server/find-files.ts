import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/** A path given to search that does not exist. */
export class NoSuchPathError extends Error {
  override name = 'NoSuchPathError';
  constructor(readonly path: string) {
    super(`${path}: no such file or folder`);
  }
}

/**
 * The files whose name `matches` under the given files and folders (recipes, scenarios), folders
 * searched recursively (skipping node_modules and dot folders), sorted by name in each folder so that
 * every run sees the same order. A file given by name is taken whatever its name. Files under the
 * working directory come back relative to it, as users type them, since messages name them. Throws
 * NoSuchPathError for a path that does not exist.
 */
export function findFiles(paths: readonly string[], matches: (name: string) => boolean): string[] {
  const found: string[] = [];
  const visit = (path: string, named: boolean) => {
    if (!existsSync(path)) throw new NoSuchPathError(path);
    if (!statSync(path).isDirectory()) {
      if (named || matches(path)) found.push(insideWorkingDirectory(path) ?? path);
      return;
    }
    for (const entry of readdirSync(path).sort()) {
      if (entry === 'node_modules' || entry.startsWith('.')) continue;
      visit(join(path, entry), false);
    }
  };
  for (const path of paths) visit(path, true);
  return found;
}

/**
 * A file as messages name it: relative to the current folder when it is inside it, as users type it;
 * absolute otherwise, so that a file kept elsewhere is never shown as `../../../x.scenario.json`.
 */
export function displayPath(file: string): string {
  return insideWorkingDirectory(file) ?? resolve(file);
}

/** A folder as messages name it: `.` for the current folder, else as `displayPath` names a file. */
export function displayFolder(dir: string): string {
  return relative(process.cwd(), resolve(dir)) === '' ? '.' : displayPath(dir);
}

/** The path relative to the working directory when it is inside it (never `..`), else null. */
function insideWorkingDirectory(path: string): string | null {
  const fromHere = relative(process.cwd(), resolve(path));
  const outside = fromHere === '..' || fromHere.startsWith(`..${sep}`) || isAbsolute(fromHere);
  return fromHere && !outside ? fromHere : null;
}

/** Whether a file name is a recipe's: `*.recipe.json`, or `*.recipe.ts` built with the typed builder. */
export function isRecipeFile(name: string): boolean {
  return /\.recipe\.(json|ts)$/.test(name);
}

export const findRecipeFiles = (paths: readonly string[]): string[] => findFiles(paths, isRecipeFile);
