// Compiles the TypeScript CLI into one ESM file (dist/cli.mjs) when a source is newer than it.
// Why: running through tsx's loader hooks makes every import, node_modules included, cross a hook
// thread; start-up took over 2 s. The compiled file, packages included (all but the native
// better-sqlite3 and the on-demand TypeScript loader), is ready in about a third of that.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['server', 'connectors', 'schemas', 'mocks'];
export const CLI_BUNDLE = join(root, 'dist', 'cli.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function mtimeOrZero(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** Returns the path of an up-to-date compiled CLI, building it first when a source changed. */
export async function ensureBuilt() {
  // Packages are bundled too: an install (npm rewrites node_modules/.package-lock.json) also rebuilds.
  const installed = [join(root, 'package.json'), join(root, 'node_modules', '.package-lock.json')].map(mtimeOrZero);
  const newest = Math.max(...SOURCES.map((s) => newestSource(join(root, s))), ...installed);
  if (mtimeOrZero(CLI_BUNDLE) >= newest) return CLI_BUNDLE;
  const { build } = await import('esbuild');
  // Written aside and renamed: two processes starting at once never load a half-written file.
  const aside = join(dirname(CLI_BUNDLE), `.build-${process.pid}`);
  mkdirSync(aside, { recursive: true });
  const temporary = join(aside, 'cli.mjs');
  await build({
    entryPoints: [join(root, 'server/cli/main.ts')],
    outfile: temporary,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Packages are bundled too (resolving hundreds of files of kysely or msw one by one costs more than
    // parsing one file); the native module and the on-demand TypeScript loader stay outside.
    external: ['better-sqlite3', 'tsx', 'tsx/*', 'esbuild'],
    banner: { js: "import { createRequire as __partnerflowRequire } from 'node:module'; const require = __partnerflowRequire(import.meta.url);" },
    // A linked map (not inline) keeps the file small to parse; debug with node --enable-source-maps.
    sourcemap: 'linked',
    logLevel: 'error',
  });
  renameSync(`${temporary}.map`, `${CLI_BUNDLE}.map`);
  renameSync(temporary, CLI_BUNDLE);
  rmSync(aside, { recursive: true, force: true });
  return CLI_BUNDLE;
}
