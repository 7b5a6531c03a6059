import { afterEach, expect, it } from 'vitest';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { engineFixture, recipeWith, silentLog, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { CLAIM_LOOP_OUTAGE } from './claim-failures.ts';
import { Outage, OUTAGE_REMINDER_MS } from './outage.ts';

let fx: EngineFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

/** The lines a logger was given, as `level: message`. */
function recordingLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (_fields: unknown, message?: string) => void lines.push(`${level}: ${message}`);
  return { log: { ...silentLog, error: at('error'), warn: at('warn'), info: at('info') }, lines };
}

/**
 * Review 5, finding 11: while PostgreSQL was down each replica logged "claiming due runs failed; will try
 * again" at error every 500 ms (~7,000 lines an hour). The worker still tries every 500 ms; the log says
 * the outage once, then a reminder a minute with the count, and when the store answers again.
 */
it('a store outage is logged once when it starts and once when it ends, not at every claim tried meanwhile', async () => {
  const store = await openSqliteStore({ path: ':memory:' });
  let down = false;
  let tried = 0;
  const claimDueRuns = store.claimDueRuns.bind(store);
  store.claimDueRuns = (input) => {
    if (!down) return claimDueRuns(input);
    tried += 1;
    return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
  };
  const { log, lines } = recordingLog();
  fx = await engineFixture([recipeWith([{ id: 'note', type: 'set', values: { done: true } }])], { store, log, pollMs: 100 });
  fx.engine.start();
  await new Promise((r) => setTimeout(r, 300));
  down = true;
  await new Promise((r) => setTimeout(r, 2600));
  down = false;
  await new Promise((r) => setTimeout(r, 800));
  const claimLines = lines.filter((line) => /claim|store reachable/.test(line));
  expect(tried).toBeGreaterThanOrEqual(4);
  expect(claimLines).toEqual(['error: claiming due runs failed; will try again', 'info: store reachable again: claiming due runs works again']);
}, 20_000);

it('an hour-long outage tried every 500 ms: one error, a warn a minute with the count, one info at the end', () => {
  let now = 0;
  const said: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
  const at = (level: string) => (fields: unknown, message?: string) => void said.push({ level, message: message!, fields: fields as Record<string, unknown> });
  const failures = new Outage({ ...silentLog, error: at('error'), warn: at('warn'), info: at('info') }, CLAIM_LOOP_OUTAGE, { now: () => now });
  for (; now < 3_600_000; now += 500) failures.failed(new Error('The database connection is not open'));
  failures.succeeded();
  expect(said.filter((s) => s.level === 'error')).toHaveLength(1);
  expect(said.filter((s) => s.level === 'warn')).toHaveLength(3_600_000 / OUTAGE_REMINDER_MS - 1);
  expect(said.find((s) => s.level === 'warn')?.fields).toMatchObject({ failures: 121, error: 'The database connection is not open' });
  expect(said.at(-1)).toMatchObject({ level: 'info', message: 'store reachable again: claiming due runs works again', fields: { failures: 7200 } });
  // A later outage is said again from its start.
  failures.failed(new Error('again'));
  expect(said.at(-1)).toMatchObject({ level: 'error', message: 'claiming due runs failed; will try again' });
});
