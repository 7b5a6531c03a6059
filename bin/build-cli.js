// Compiles the TypeScript CLI (dist/cli.mjs and the chunks it loads on demand) when a source is newer.
// `npm ci` and `npm install` run it (the `prepare` script, which skips the build when bin/ or the sources
// are not there yet), so that the first
// `npm start` finds the CLI built; bin/partnerflow.js runs it again at start, which only builds (and
// says so) after a source changed.
// Why: running through tsx's loader hooks makes every import, node_modules included, cross a hook
// thread; start-up took over 2 s. The compiled file, packages included (all but the native
// better-sqlite3 and the on-demand TypeScript loader), is ready in about a third of that.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['server', 'connectors', 'schemas', 'mocks'];
export const CLI_BUNDLE = join(root, 'dist', 'cli.mjs');
// `<build id>.<pid>`: the build a running process loaded its CLI from, and loads its chunks from on demand.
const HELD = join(root, 'dist', 'held');

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

/**
 * V8 keeps each loaded file's source in memory, as one byte per character unless a single character
 * is beyond Latin-1; then the whole file takes two. One arrow or dash in a comment doubled 3.7 MB of
 * sources to 7.3 MB. esbuild already escapes such characters in strings and regular expressions; what
 * is left is in comments and template literals, where `\u2192` reads the same (no bundled code reads
 * a template's raw text).
 */
function latin1Source(text) {
  return text.replace(/[^\u0000-\u00ff]/gu, (char) => {
    const code = char.codePointAt(0);
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * Returns the path of an up-to-date compiled CLI, building it first when a source changed. A build
 * takes seconds: `announce` is told first, so that nobody watches a silent terminal.
 */
export async function ensureBuilt(announce = () => {}) {
  // Packages are bundled too: an install (npm rewrites node_modules/.package-lock.json) also rebuilds.
  // And so does a change to this build.
  const installed = [join(root, 'package.json'), join(root, 'node_modules', '.package-lock.json'), fileURLToPath(import.meta.url)].map(mtimeOrZero);
  const newest = Math.max(...SOURCES.map((s) => newestSource(join(root, s))), ...installed);
  if (mtimeOrZero(CLI_BUNDLE) >= newest) return CLI_BUNDLE;
  announce();
  const { build } = await import('esbuild');
  // Each build goes to a folder of its own and dist/cli.mjs is switched to it by a rename: two processes
  // starting at once never load a half-written build, and a running process keeps the chunks it loaded.
  const id = `build-${Date.now().toString(36)}-${process.pid}`;
  const outdir = join(dirname(CLI_BUNDLE), id);
  const { outputFiles } = await build({
    entryPoints: { cli: join(root, 'server/cli/main.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    // What is imported on demand (each command, the simulated systems and MSW of mock mode) becomes a
    // chunk of its own: `serve` in production never parses them (30 MB less resident memory).
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Packages are bundled too (resolving hundreds of files of kysely or msw one by one costs more than
    // parsing a few files); the native module and the on-demand TypeScript loader stay outside.
    external: ['better-sqlite3', 'tsx', 'tsx/*', 'esbuild'],
    banner: { js: "import { createRequire as __partnerflowRequire } from 'node:module'; const require = __partnerflowRequire(import.meta.url);" },
    // Linked maps (not inline) keep the files small to parse; debug with node --enable-source-maps.
    sourcemap: 'linked',
    logLevel: 'error',
    write: false,
  });
  for (const file of outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.path.endsWith('.mjs') ? latin1Source(file.text) : file.contents);
  }
  const aside = `${CLI_BUNDLE}.${process.pid}`;
  writeFileSync(aside, `export * from './${id}/cli.mjs';\n`);
  renameSync(aside, CLI_BUNDLE);
  // Older builds go, but the one before stays, and so does every build a running process holds: a
  // `serve` started two source changes ago loads its console's chunks from its own build on demand
  // (review10: its pages answered 500, "Cannot find module", once the build was removed).
  const held = heldBuilds();
  const builds = readdirSync(dirname(CLI_BUNDLE)).filter((name) => name.startsWith('build-') && name !== id);
  builds.sort((a, b) => mtimeOrZero(join(dirname(CLI_BUNDLE), b)) - mtimeOrZero(join(dirname(CLI_BUNDLE), a)));
  for (const old of builds.slice(1)) if (!held.has(old)) rmSync(join(dirname(CLI_BUNDLE), old), { recursive: true, force: true });
  return CLI_BUNDLE;
}

/**
 * The build `bundle` (dist/cli.mjs) points to, held for this process until it exits, as the file to
 * import: its own build's entry, so a build made meanwhile switches neither the entry nor the chunks.
 * Returns `bundle` itself when it names no build.
 */
export function holdBuild(bundle = CLI_BUNDLE) {
  const id = /from '\.\/(build-[^/']+)\/cli\.mjs'/.exec(readFileSync(bundle, 'utf8'))?.[1];
  if (!id) return bundle;
  try {
    mkdirSync(HELD, { recursive: true });
    const marker = join(HELD, `${id}.${process.pid}`);
    writeFileSync(marker, '');
    process.on('exit', () => rmSync(marker, { force: true }));
  } catch {
    // A read-only dist/ (an image): nothing builds there either, so nothing removes the build.
  }
  return join(dirname(bundle), id, 'cli.mjs');
}

/** Builds held by a process still running; the marks of processes gone are removed. */
function heldBuilds() {
  const held = new Set();
  let marks = [];
  try {
    marks = readdirSync(HELD);
  } catch {
    return held;
  }
  for (const mark of marks) {
    const dot = mark.lastIndexOf('.');
    if (isRunning(Number(mark.slice(dot + 1)))) held.add(mark.slice(0, dot));
    else rmSync(join(HELD, mark), { force: true });
  }
  return held;
}

function isRunning(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/**
 * The install's build (the `prepare` script). Skips it, with one line, when the sources are not there
 * yet: the common Docker pattern `COPY package*.json ./; RUN npm ci; COPY . .` installs before the
 * sources are copied, and the first start builds instead (bin/partnerflow.js).
 */
export async function buildForInstall() {
  const missing = SOURCES.filter((s) => !existsSync(join(root, s)));
  if (missing.length > 0) {
    process.stderr.write(`partnerflow: no ${missing.join('/, ')}/ yet: the CLI is not compiled now, but at its first start\n`);
    return;
  }
  const started = performance.now();
  let built = false;
  await ensureBuilt(() => {
    built = true;
    process.stderr.write('partnerflow: compiling the CLI into dist/ (a few seconds) ...\n');
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(built ? `partnerflow: CLI compiled in ${seconds} s; npm start is ready\n` : 'partnerflow: the compiled CLI in dist/ is up to date\n');
}

// `node bin/build-cli.js`: the same as the install's build.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await buildForInstall();
