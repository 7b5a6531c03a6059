import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../connectors/index.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createRuntime, type Runtime } from './runtime.ts';

/**
 * The replica test moves the clock of every `serve` process (issue 14, part 6): PARTNERFLOW_TEST_CLOCK_OFFSET_MS
 * and `PUT /_test/clock`. Production must never get a movable clock by accident: the setting is refused
 * off loopback and in mock mode, the route needs the API token, and without the setting it does not exist.
 */
const TOKEN = 'a-token-of-at-least-16-chars';
const PRODUCTION = {
  PUBLIC_BASE_URL: 'https://partnerflow.acme.test',
  PARTNERFLOW_API_TOKEN: TOKEN,
  APPROVAL_LINK_SECRET: 'an-approval-link-secret-of-40-characters!',
  WEBHOOK_SECRET_PRM: 'a-prm-webhook-secret-0123456789',
};
const DAY = 86_400_000;

let runtime: Runtime | undefined;
let dir: string | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const problemsOf = (env: Record<string, string>, mock = false): string[] => {
  try {
    loadConfig(env, { mock, connectors: CONNECTORS, overrides: { dbPath: ':memory:', logLevel: 'silent' } });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

/** A production runtime without recipes (an empty RECIPES_DIR, the shipped tables). */
async function start(env: Record<string, string>): Promise<Runtime> {
  dir = mkdtempSync(join(tmpdir(), 'partnerflow-test-clock-'));
  const config = loadConfig({ ...PRODUCTION, RECIPES_DIR: dir, TABLES_DIR: resolve('recipes/tables'), ...env }, { mock: false, connectors: CONNECTORS, overrides: { dbPath: ':memory:', logLevel: 'silent' } });
  runtime = await createRuntime({ config });
  return runtime;
}

const call = (rt: Runtime, method: string, body?: unknown, token: string | null = TOKEN) =>
  rt.app.request('/_test/clock', {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe('the test clock (PARTNERFLOW_TEST_CLOCK_OFFSET_MS, PUT /_test/clock)', () => {
  it('is refused at start on a host other than loopback, naming the variable, and in mock mode', () => {
    expect(problemsOf({ ...PRODUCTION, HOST: '0.0.0.0', PARTNERFLOW_TEST_CLOCK_OFFSET_MS: '0' })).toEqual([
      'PARTNERFLOW_TEST_CLOCK_OFFSET_MS: test only: a movable clock is refused on HOST=0.0.0.0, which is not a loopback address (127.0.0.1, ::1, localhost); unset it in production',
    ]);
    expect(problemsOf({ PARTNERFLOW_TEST_CLOCK_OFFSET_MS: '0' }, true)).toEqual(['PARTNERFLOW_TEST_CLOCK_OFFSET_MS: not with --mock, whose clock /_mock/clock/advance moves; unset it']);
    expect(problemsOf({ ...PRODUCTION, PARTNERFLOW_TEST_CLOCK_OFFSET_MS: '-5' })[0]).toMatch(/^PARTNERFLOW_TEST_CLOCK_OFFSET_MS: /);
    expect(problemsOf({ ...PRODUCTION, HOST: '127.0.0.1', PARTNERFLOW_TEST_CLOCK_OFFSET_MS: '0' })).toEqual([]);
  });

  it('does not exist without the setting: the runtime is on the system clock', async () => {
    const rt = await start({});
    expect((await call(rt, 'GET')).status).toBe(404);
    expect((await call(rt, 'PUT', { offset_ms: DAY })).status).toBe(404);
    expect(Math.abs(rt.clock.now() - Date.now())).toBeLessThan(1000);
  });

  it('starts the given offset ahead of real time, moves only forward and only with the API token', async () => {
    const rt = await start({ PARTNERFLOW_TEST_CLOCK_OFFSET_MS: String(3 * DAY) });
    expect(Math.abs(rt.clock.now() - (Date.now() + 3 * DAY))).toBeLessThan(1000);
    expect((await call(rt, 'PUT', { offset_ms: 5 * DAY }, null)).status).toBe(401);
    expect((await call(rt, 'PUT', { offset_ms: 5 * DAY }, 'not-the-token-at-all')).status).toBe(401);

    const moved = await call(rt, 'PUT', { offset_ms: 5 * DAY });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toMatchObject({ offset_ms: 5 * DAY });
    expect(Math.abs(rt.clock.now() - (Date.now() + 5 * DAY))).toBeLessThan(1000);
    // The same offset again (a retry) moves nothing; an earlier one is refused.
    expect((await call(rt, 'PUT', { offset_ms: 5 * DAY })).status).toBe(200);
    const back = await call(rt, 'PUT', { offset_ms: DAY });
    expect(back.status).toBe(409);
    expect(((await back.json()) as { error: string }).error).toMatch(/does not go backwards/);
    expect(Math.abs(rt.clock.now() - (Date.now() + 5 * DAY))).toBeLessThan(1000);
    expect((await call(rt, 'PUT', { offset_ms: 'P1D' })).status).toBe(400);
  });
});
