import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../connectors/index.ts';
import { ConfigError, loadConfig } from '../server/config.ts';
import { spawnCli } from './support/cli-process.ts';
import { freePort } from './support/free-port.ts';
import { openRuntimeProcess, type RuntimeProcess } from './support/runtime-process.ts';
import { createTestSchema, dropTestSchema } from './support/test-postgres.ts';
import { until } from './support/until.ts';

/**
 * `partnerflow serve` with PARTNERFLOW_DATABASE_URL set runs on PostgreSQL: the README walkthrough's
 * MDF request, from the PRM webhook to the partner's approval email, through a real process.
 */
const PARTNER = 'marketing@northwind.example';
const CMM = 'cmm.emea@vendor.example';

let rt: RuntimeProcess;
let url: string;

/** A production `serve`'s environment against the simulated systems, with `extra` on top. */
const serveEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  ...process.env,
  ...rt.sim.env,
  PORT: '0',
  PUBLIC_BASE_URL: 'http://127.0.0.1:9',
  PARTNERFLOW_API_TOKEN: 'pg-test-api-token-0123456789',
  APPROVAL_LINK_SECRET: 'pg-test-approval-link-secret-0123456789',
  WEBHOOK_SECRET_PRM: 'pg-test-webhook-secret-0123456789',
  ...extra,
});

beforeAll(async () => {
  url = await createTestSchema();
  rt = await openRuntimeProcess('partnerflow-pg-serve-', { env: { PARTNERFLOW_DATABASE_URL: url, PARTNERFLOW_DATABASE_POOL_SIZE: '4' } });
});

afterAll(async () => {
  await rt?.close();
  if (url) await dropTestSchema(url);
});

describe('serve on PostgreSQL (PARTNERFLOW_DATABASE_URL)', () => {
  it('D7, D8: an MDF request webhook is stored in PostgreSQL, its run asks the CMM, the approval completes it and the partner is told once', async () => {
    const { systems, port, runOf, emailsTo } = rt;
    rt.start();
    await rt.ready();

    const accepted = await rt.deliverPrmWebhook({ id: 'pg-delivery-1', event: 'mdf_request.submitted', data: systems.prm.findMdfRequest('MDF-1001') });
    expect(accepted.status).toBe(202);
    const runId = ((await accepted.json()) as { run_ids: string[] }).run_ids[0]!;
    // Generous waits: on a machine loaded by a whole test run a turn can take seconds.
    await until('the approval email to the CMM', async () => (emailsTo(CMM, 'MDF approval needed').length > 0 ? true : undefined), 120_000);

    const [approvalEmail] = emailsTo(CMM, 'MDF approval needed');
    const link = new URL(/https?:\/\/\S+\/approvals\/\S+\?decision=approve/.exec(approvalEmail!.text)![0]);
    const decided = await fetch(`http://127.0.0.1:${port}${link.pathname}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
    expect(decided.status).toBe(200);
    await until('the run to complete', async () => ((await runOf(runId)).run.status === 'completed' ? true : undefined), 120_000);

    expect(emailsTo(PARTNER, 'We received')).toHaveLength(1);
    expect(emailsTo(PARTNER, 'is approved')).toHaveLength(1);
    expect(systems.prm.findMdfRequest('MDF-1001')?.status).toBe('Approved');
    // The run is in PostgreSQL, and no SQLite file was made.
    const client = new pg.Client(url);
    await client.connect();
    try {
      const { rows } = await client.query('select status from runs where id = $1', [runId]);
      expect(rows).toEqual([{ status: 'completed' }]);
    } finally {
      await client.end();
    }
    expect(existsSync(rt.dbPath())).toBe(false);
  }, 300_000);

  it('an unreachable PostgreSQL stops the start in one line naming PARTNERFLOW_DATABASE_URL, without its password', async () => {
    const port = await freePort();
    const cli = spawnCli(['serve'], {
      cwd: resolve(import.meta.dirname, '..'),
      env: serveEnv({ PARTNERFLOW_DATABASE_URL: `postgres://partnerflow:Never-Shown-77@127.0.0.1:${port}/partnerflow` }),
    });
    expect(await cli.exited).toBe(1);
    expect(cli.err().trim()).toBe(`partnerflow: cannot start: PARTNERFLOW_DATABASE_URL: cannot connect to postgres://partnerflow:***@127.0.0.1:${port}/partnerflow: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(cli.err() + cli.out()).not.toContain('Never-Shown-77');
  }, 60_000);
});

describe('serve on PostgreSQL: the password given as a query parameter', () => {
  it('logs in with `?password=` and the ready line shows it as ***, never as given', async () => {
    // The test server's URL with its password moved from the userinfo to libpq's query parameter.
    const given = new URL(url);
    const password = decodeURIComponent(given.password);
    given.password = '';
    given.searchParams.set('password', password);
    const cli = spawnCli(['serve'], {
      cwd: resolve(import.meta.dirname, '..'),
      env: serveEnv({ LOG_LEVEL: 'info', PARTNERFLOW_DB: resolve(rt.dir, 'unused.db'), PARTNERFLOW_DATABASE_URL: given.toString() }),
    });
    try {
      await until('the ready line', async () => (cli.out().includes('partnerflow ready') ? true : undefined), 120_000);
      const ready = cli.out().split('\n').find((line) => line.includes('partnerflow ready'))!;
      const db = (JSON.parse(ready) as { db: string }).db;
      expect(db).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/partnerflow_test_\w+\?options=.*&password=\*\*\*$/);
      expect(cli.out() + cli.err()).not.toContain(password);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
  }, 180_000);
});

describe('configuration of the PostgreSQL store', () => {
  const production = { PUBLIC_BASE_URL: 'https://partnerflow.acme.test', PARTNERFLOW_API_TOKEN: 'a-token-of-16-chars-or-more', APPROVAL_LINK_SECRET: 'an-approval-link-secret-of-32-chars-or-more' };

  it('PARTNERFLOW_DATABASE_URL selects PostgreSQL with the pool size and statement timeout; unset, the SQLite store', () => {
    const config = loadConfig({ ...production, PARTNERFLOW_DATABASE_URL: 'postgres://app:pw@db:5432/partnerflow', PARTNERFLOW_DATABASE_POOL_SIZE: '25', PARTNERFLOW_DATABASE_STATEMENT_TIMEOUT_MS: '5000' }, { mock: false, connectors: CONNECTORS });
    expect(config.database).toEqual({ url: 'postgres://app:pw@db:5432/partnerflow', poolSize: 25, statementTimeoutMs: 5000, preparedStatements: true });
    expect(loadConfig({ ...production, PARTNERFLOW_DATABASE_URL: 'postgres://app:pw@db/pf' }, { mock: false, connectors: CONNECTORS }).database).toEqual({ url: 'postgres://app:pw@db/pf', poolSize: 10, statementTimeoutMs: 30_000, preparedStatements: true });
    expect(loadConfig(production, { mock: false, connectors: CONNECTORS }).database).toBeUndefined();
  });

  it('mock mode never opens PARTNERFLOW_DATABASE_URL: it empties its store at every start', () => {
    expect(loadConfig({ PARTNERFLOW_DATABASE_URL: 'postgres://app:pw@db/pf' }, { mock: true, connectors: CONNECTORS }).database).toBeUndefined();
  });

  it('a bad pool size or timeout is named; a problem never echoes the URL', () => {
    const error = (() => {
      try {
        loadConfig({ ...production, PARTNERFLOW_DATABASE_URL: 'postgres://app:pw-Secret-9@db/pf', PARTNERFLOW_DATABASE_POOL_SIZE: '0', PARTNERFLOW_DATABASE_STATEMENT_TIMEOUT_MS: 'soon' }, { mock: false, connectors: CONNECTORS });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems.map((p) => p.split(':')[0])).toEqual(['PARTNERFLOW_DATABASE_POOL_SIZE', 'PARTNERFLOW_DATABASE_STATEMENT_TIMEOUT_MS']);
    expect(error.message).not.toContain('pw-Secret-9');
  });
});
