import { execSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The first `npm start` after `npm ci` must not sit silent while the CLI compiles: the install builds
 * dist/ (the `prepare` script, which npm ci and npm install run), and a build at start says so. Run in
 * a copy of the project, so that the checkout's own dist/ is left alone.
 */
const root = resolve(import.meta.dirname, '..');
const copy = mkdtempSync(join(tmpdir(), 'partnerflow-install-'));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

function node(args: string[], cwd = copy) {
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, PARTNERFLOW_TSX: '' }, timeout: 120_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

/** The package's `prepare` script, run as npm runs it (through the shell, in the package's folder). */
function prepare(cwd = copy) {
  const { scripts } = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const result = spawnSync(scripts.prepare!, { cwd, shell: true, encoding: 'utf8', env: { ...process.env, PARTNERFLOW_TSX: '' }, timeout: 120_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('installing builds the CLI', () => {
  it('has npm ci run a prepare script that compiles dist/, after which the CLI starts without compiling; a source change compiles again, saying so', () => {
    for (const entry of ['bin', 'server', 'connectors', 'schemas', 'mocks', 'recipes', 'package.json']) cpSync(join(root, entry), join(copy, entry), { recursive: true });
    symlinkSync(realpathSync(join(root, 'node_modules')), join(copy, 'node_modules'));

    const prepared = prepare();
    expect(prepared.code).toBe(0);
    expect(prepared.err).toContain('partnerflow: compiling the CLI into dist/');
    expect(existsSync(join(copy, 'dist/cli.mjs'))).toBe(true);

    const first = node(['bin/partnerflow.js', '--help']);
    expect(first.out).toContain('Usage: partnerflow <command>');
    expect(first.err).not.toContain('compiling');

    const later = new Date(Date.now() + 5000);
    utimesSync(join(copy, 'server/cli/main.ts'), later, later);
    const changed = node(['bin/partnerflow.js', '--help']);
    expect(changed.err).toContain('partnerflow: compiling the CLI into dist/, once after an install or a source change');
    expect(changed.out).toContain('Usage: partnerflow <command>');
  }, 180_000);

  it('skips the build with one line when npm ci runs before the sources are copied (COPY package*.json; RUN npm ci; COPY . .), and the first start builds', () => {
    const docker = mkdtempSync(join(tmpdir(), 'partnerflow-docker-'));
    try {
      cpSync(join(root, 'package.json'), join(docker, 'package.json'));
      // npm ci: package.json only, no bin/ yet.
      const bare = prepare(docker);
      expect(bare.code).toBe(0);
      expect(bare.err.trim()).toBe('partnerflow: no bin/ yet: the CLI is not compiled now, but at its first start');

      // bin/ present but no sources (a .dockerignore, or bin/ copied first).
      cpSync(join(root, 'bin'), join(docker, 'bin'), { recursive: true });
      symlinkSync(realpathSync(join(root, 'node_modules')), join(docker, 'node_modules'));
      const noSources = prepare(docker);
      expect(noSources.code).toBe(0);
      expect(noSources.err.trim()).toBe('partnerflow: no server/, connectors/, schemas/, mocks/ yet: the CLI is not compiled now, but at its first start');
      expect(existsSync(join(docker, 'dist/cli.mjs'))).toBe(false);

      // COPY . . and the first start: it compiles, saying so, and runs.
      for (const entry of ['server', 'connectors', 'schemas', 'mocks', 'recipes']) cpSync(join(root, entry), join(docker, entry), { recursive: true });
      const first = node(['bin/partnerflow.js', '--help'], docker);
      expect(first.err).toContain('partnerflow: compiling the CLI into dist/');
      expect(first.out).toContain('Usage: partnerflow <command>');
    } finally {
      rmSync(docker, { recursive: true, force: true });
    }
  }, 180_000);

  it('keeps the build a running serve loaded from when sources change twice: its console pages still answer (review10)', async () => {
    const project = mkdtempSync(join(tmpdir(), 'partnerflow-held-'));
    let serve: ChildProcess | undefined;
    try {
      for (const entry of ['bin', 'server', 'connectors', 'schemas', 'mocks', 'recipes', 'package.json']) cpSync(join(root, entry), join(project, entry), { recursive: true });
      symlinkSync(realpathSync(join(root, 'node_modules')), join(project, 'node_modules'));
      expect(prepare(project).code).toBe(0);
      const port = await freePort();
      serve = spawn(process.execPath, ['bin/partnerflow.js', 'serve', '--mock', '--port', String(port), '--db', join(project, 'mock.db')], { cwd: project, env: { ...process.env, PARTNERFLOW_TSX: '', LOG_LEVEL: 'info' } });
      const started = serve;
      await new Promise<void>((ready, failed) => {
        let out = '';
        started.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('partnerflow ready')) ready();
        });
        started.on('exit', (code) => failed(new Error(`serve exited ${code}: ${out}`)));
      });
      // A developer edits a source twice and runs a command each time: two builds after the server's.
      for (const seconds of [5, 10]) {
        const later = new Date(Date.now() + seconds * 1000);
        utimesSync(join(project, 'server/cli/main.ts'), later, later);
        expect(node(['bin/partnerflow.js', '--help'], project).err).toContain('compiling the CLI');
      }
      // The console's chunks are loaded at the first request, from the server's own build.
      const page = await fetch(`http://127.0.0.1:${port}/console/recipes`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('mdf-request-approval');
      const exited = new Promise((done) => started.on('exit', done));
      started.kill('SIGTERM');
      await exited;
      serve = undefined;
      // Its hold ends with it: the next build may remove that build.
      expect(readdirSync(join(project, 'dist/held'))).toEqual([]);
    } finally {
      serve?.kill('SIGKILL');
      rmSync(project, { recursive: true, force: true });
    }
  }, 180_000);

  it('shows install scripts as they run (.npmrc foreground-scripts): the native build of better-sqlite3 is not silent', () => {
    expect(execSync('npm config get foreground-scripts', { cwd: root, encoding: 'utf8' }).trim()).toBe('true');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });
}
