import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { productionEnv } from '../../bench/production-env.ts';
import { spawnCli } from '../../test/support/cli-process.ts';

/** `partnerflow serve` as an operator starts it, for its refusals: exit code and what it prints. */
const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'partnerflow-serve-refusals-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cleanEnv = { ...process.env, LOG_LEVEL: 'silent', PORT: '', HOST: '', PUBLIC_BASE_URL: '', PARTNERFLOW_DB: '' };

function serve(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [join(root, 'bin/partnerflow.js'), 'serve', ...args], { cwd: root, encoding: 'utf8', env: { ...cleanEnv, ...env }, timeout: 60_000 });
  return { code: result.status, err: result.stderr };
}

/** The stderr of a refused start: one line, no stack trace. */
function oneLine(err: string): string {
  // The first start after a source change compiles the CLI and says so first; that line is not the refusal.
  const lines = err.trim().split('\n').filter((line) => !line.startsWith('partnerflow: compiling the CLI'));
  expect(lines, err).toHaveLength(1);
  return lines[0]!;
}

describe('partnerflow serve: a store file it cannot use (PARTNERFLOW_DB, --db)', () => {
  const directory = join(work, 'a-directory');
  const aFile = join(work, 'a-file');
  const notADatabase = join(work, 'notes.txt');
  mkdirSync(directory);
  writeFileSync(aFile, 'x');
  writeFileSync(notADatabase, 'these are not the pages of a SQLite database, and there are enough of them to fill a header: '.repeat(4));

  it('names PARTNERFLOW_DB and the reason on one line, without a stack trace, and exits 1', () => {
    const cases: Array<[string, string]> = [
      [directory, `"${directory}" is a directory, not a SQLite file`],
      [join(aFile, 'store.db'), `"${join(aFile, 'store.db')}" cannot be created: its folder ${aFile} cannot be made (a part of it is a file, not a folder)`],
      [notADatabase, `"${notADatabase}" is not a SQLite database (another kind of file is there)`],
    ];
    for (const [path, reason] of cases) {
      // Production mode: mock mode never reads PARTNERFLOW_DB (it keeps its own store).
      const { code, err } = serve([], { ...productionEnv('serve-refusals-webhook-secret'), PARTNERFLOW_DB: path });
      expect(code, err).toBe(1);
      expect(oneLine(err)).toBe(`partnerflow: cannot start: PARTNERFLOW_DB: ${reason}`);
    }
  }, 120_000);

  it('names --db when the flag gave the file', () => {
    const { code, err } = serve(['--db', notADatabase], { ...productionEnv('serve-refusals-webhook-secret'), PARTNERFLOW_DB: join(work, 'unused.db') });
    expect(code).toBe(1);
    expect(oneLine(err)).toBe(`partnerflow: cannot start: --db: "${notADatabase}" is not a SQLite database (another kind of file is there)`);
  }, 60_000);

  it('with --mock, names --db for a folder or a path under a file, and refuses (by its full path) a file mock mode did not create', () => {
    const folder = serve(['--mock', '--db', directory]);
    expect(folder.code).toBe(1);
    expect(oneLine(folder.err)).toBe(`partnerflow: cannot start: --db: "${directory}" is a directory, not a SQLite file`);
    const under = serve(['--mock', '--db', join(aFile, 'store.db')]);
    expect(under.code).toBe(1);
    expect(oneLine(under.err)).toContain(`partnerflow: cannot start: --db: "${join(aFile, 'store.db')}" cannot be created`);
    const notOurs = serve(['--mock', '--db', notADatabase]);
    expect(notOurs.code).toBe(1);
    expect(oneLine(notOurs.err)).toBe(
      `partnerflow: ${notADatabase} is not a mock-mode store (mock mode erases its store at every start, and this file may hold real runs); give --db a new file, or leave --db out to use ./data/mock.db`,
    );
  }, 120_000);
});

describe('partnerflow serve: settings with problems (review 9, finding 5)', () => {
  it('names every bad setting and, in the same message, the connectors the served recipes lack, and exits 1', () => {
    const env = Object.fromEntries(Object.entries(productionEnv('serve-refusals-webhook-secret')).filter(([name]) => !name.startsWith('MARKETO_') && name !== 'PUBLIC_BASE_URL'));
    const { code, err } = serve([], { ...env, MARKETO_BASE_URL: '', MARKETO_CLIENT_ID: '', MARKETO_CLIENT_SECRET: '', PARTNERFLOW_LEASE_MS: '10' });
    expect(code, err).toBe(1);
    expect(err).toContain('configuration is not valid:\n  - PARTNERFLOW_LEASE_MS: at least 2000');
    expect(err).toContain('  - PUBLIC_BASE_URL: required (the base URL approval links point to: https://<host>[:<port>][/<path>] (or http://))\nrecipes use connectors that are not configured:\n  - ');
    expect(err).toMatch(/ {2}- \S*recipes\/leads\/[a-z-]+\.recipe\.json: \S+ uses marketo.*, which is not configured: set MARKETO_BASE_URL, MARKETO_CLIENT_ID, MARKETO_CLIENT_SECRET\n/);
  }, 60_000);
});

describe('partnerflow serve --mock on a network interface', () => {
  it('refuses a non-loopback --host or HOST (the open runs API and /_mock/* would face the network), naming --allow-remote-mock', () => {
    for (const [args, env] of [
      [['--mock', '--host', '0.0.0.0'], {}],
      [['--mock'], { HOST: '192.168.1.20' }],
    ] as Array<[string[], Record<string, string>]>) {
      const { code, err } = serve([...args, '--db', join(work, 'refused.db')], env);
      expect(code, err).toBe(1);
      expect(oneLine(err)).toMatch(/^partnerflow serve: --mock refuses to listen on (0\.0\.0\.0|192\.168\.1\.20) \(HOST or --host\), which would serve the runs API without a token .* and \/_mock\/\* to the network; listen on 127\.0\.0\.1, or add --allow-remote-mock/);
    }
  }, 120_000);

  it('refuses --allow-remote-mock without --mock', () => {
    const { code, err } = serve(['--allow-remote-mock']);
    expect(code).toBe(2);
    expect(err).toContain('--allow-remote-mock only applies with --mock');
  }, 60_000);

  it('starts with --allow-remote-mock, printing a warning first', async () => {
    const { child, exited, out, err } = spawnCli(['serve', '--mock', '--allow-remote-mock', '--host', '0.0.0.0', '--port', '0', '--db', join(work, 'remote.db')], {
      cwd: root,
      env: { ...cleanEnv, PUBLIC_BASE_URL: 'http://partnerflow.test:3000', LOG_LEVEL: 'info' },
    });
    try {
      await new Promise<void>((ready, fail) => {
        child.stdout.on('data', () => out().includes('partnerflow ready') && ready());
        void exited.then((code) => fail(new Error(`serve exited with ${code}: ${err()}`)));
      });
      expect(err().trim()).toBe(
        'partnerflow serve: WARNING: mock mode on 0.0.0.0 (--allow-remote-mock) serves the runs API without a token (no PARTNERFLOW_API_TOKEN) and /_mock/* to every host that can reach this one',
      );
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});

describe('partnerflow serve: a recipe that uses a connector the deployment has not configured', () => {
  it('names the recipe file, the first use and the variables to set, and exits 1', () => {
    const recipes = join(work, 'marketo-recipes');
    mkdirSync(recipes);
    const file = join(recipes, 'lead-sync.recipe.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'lead-sync',
        version: 1,
        description: 'Sends the partner of a submitted MDF request to Marketo.',
        trigger: { type: 'webhook', event: 'prm.mdf_request.submitted' },
        steps: [
          { id: 'a', type: 'set', values: { seen: true } },
          { id: 'b', type: 'set', values: { seen: true } },
          { id: 'upsert', type: 'action', action: 'marketo.upsert_leads', input: { leads: [{ email: 'marketing@northwind.example' }] } },
        ],
      }),
    );
    // A production deployment of PRM, Salesforce and email, without any MARKETO_ variable.
    const env = Object.fromEntries(Object.entries(productionEnv('serve-refusals-webhook-secret')).filter(([name]) => !name.startsWith('MARKETO_')));
    const { code, err } = serve([], { ...env, RECIPES_DIR: recipes, TABLES_DIR: join(root, 'recipes/tables'), PARTNERFLOW_DB: join(work, 'marketo.db') });
    expect(code, err).toBe(1);
    const lines = err.trim().split('\n').filter((line) => !line.startsWith('partnerflow: compiling the CLI'));
    expect(lines).toEqual([
      'partnerflow: cannot start:',
      `${file}: steps[2].action uses marketo, which is not configured: set MARKETO_BASE_URL, MARKETO_CLIENT_ID, MARKETO_CLIENT_SECRET`,
    ]);
  }, 120_000);
});

describe('partnerflow serve: a table of the user\'s own with two rows for the key a lookup reads (review 6)', () => {
  it('does not start, naming the table, the key, both rows and which to delete', () => {
    const recipes = join(work, 'owner-recipes');
    const tables = join(work, 'owner-tables');
    mkdirSync(recipes);
    mkdirSync(tables);
    writeFileSync(
      join(recipes, 'owner.recipe.json'),
      JSON.stringify({
        name: 'owner',
        version: 1,
        description: 'Finds the follow-up owner of a submitted request\'s region.',
        trigger: { type: 'webhook', event: 'prm.mdf_request.submitted' },
        steps: [{ id: 'owner', type: 'lookup', table: 'followup-owners', where: { region: '{% $trigger.data.activityRegion %}' }, required: true }],
      }),
    );
    writeFileSync(
      join(tables, 'followup-owners.json'),
      JSON.stringify({ rows: [{ region: 'EMEA', owner_email: 'old.owner@vendor.example' }, { region: 'AMER', owner_email: 'amer.owner@vendor.example' }, { region: 'EMEA', owner_email: 'dana.new@vendor.example' }] }),
    );
    const { code, err } = serve([], { ...productionEnv('serve-refusals-webhook-secret'), RECIPES_DIR: recipes, TABLES_DIR: tables, PARTNERFLOW_DB: join(work, 'owner.db') });
    expect(code, err).toBe(1);
    expect(err.trim().split('\n').filter((line) => !line.startsWith('partnerflow: compiling the CLI'))).toEqual([
      'partnerflow: cannot start:',
      `${tables}/followup-owners: rows[2]: repeats rows[0] (region "EMEA"); step owner of recipe owner looks the table up by region and reads one row per key: keep one, delete rows[0] if rows[2] replaces it (else delete rows[2])`,
    ]);
  }, 120_000);
});

describe('partnerflow serve: a PARTNERFLOW_WORKER_ID a running process holds (review 5, 3)', () => {
  it('a second serve under the id of a running one (on one store) exits 1 naming the variable, on one line; the first keeps running', async () => {
    const env = { ...cleanEnv, ...productionEnv('serve-refusals-webhook-secret'), PARTNERFLOW_DB: join(work, 'shared-worker-id.db'), PARTNERFLOW_WORKER_ID: 'partnerflow-1' };
    const first = spawnCli(['serve', '--port', '0'], { cwd: root, env: { ...env, LOG_LEVEL: 'info' } });
    try {
      await new Promise<void>((ready, fail) => {
        first.child.stdout.on('data', () => first.out().includes('partnerflow ready') && ready());
        void first.exited.then((code) => fail(new Error(`serve exited with ${code}: ${first.err()}`)));
      });
      const second = serve(['--port', '0'], env);
      expect(second.code, second.err).toBe(1);
      expect(oneLine(second.err)).toMatch(
        /^partnerflow: cannot start: PARTNERFLOW_WORKER_ID "partnerflow-1" is in use by another running process \(its last heartbeat \d s ago\): give each replica its own id$/,
      );
      expect(first.child.exitCode, 'the first serve exited').toBeNull();
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  }, 120_000);
});
