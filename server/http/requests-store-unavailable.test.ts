import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { silentLog } from '../../test/support/engine-fixture.ts';
import { CommitOutcomeUnknownError, StoreUnavailableError } from '../store/store-unavailable.ts';
import { recipeWith } from '../../test/support/engine-fixture.ts';
import { ConsoleBrowser } from '../../test/support/console-browser.ts';
import { appFixture, type AppFixture } from './app-fixture.ts';
import { STORE_REFUSAL_REMINDER_MS } from './store-refusal-log.ts';

/**
 * While the store cannot serve, the runs API, the console and approval links answer 503 with
 * Retry-After. A console left open refreshes, pollers ask again: a warn line per request would be
 * thousands an hour (review 9, finding 4). The first refusal is said at once, then at most one line a
 * minute with how many were refused since; the claim loop and /healthz say when the store is back. The
 * console shows a page that says what happened, not a bare 500.
 */
let fx: AppFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

interface Line {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

function capturing(): { log: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (fields: object, message = '') => void lines.push({ level, message, fields: fields as Record<string, unknown> });
  return { log: { ...silentLog, info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

describe('requests other than webhooks while the store cannot serve', () => {
  it('are answered 503 with Retry-After, logged once at the first refusal and then at most once a minute with the count since', async () => {
    const { log, lines } = capturing();
    let now = 0;
    fx = await appFixture({ log, realNow: () => now });
    const listRuns = fx.store.listRuns.bind(fx.store);
    const listRunSummaries = fx.store.listRunSummaries.bind(fx.store);
    fx.store.listRuns = () => Promise.reject(new StoreUnavailableError('connect ECONNREFUSED 10.0.0.5:5432'));
    fx.store.listRunSummaries = () => Promise.reject(new StoreUnavailableError('connect ECONNREFUSED 10.0.0.5:5432'));
    for (let i = 0; i < 130; i++) {
      const res = await fx.app.request('/runs');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      now += 1000;
    }
    const said = lines.filter((l) => /store is unavailable/.test(l.message));
    expect(said.map((l) => [l.level, l.fields.refusedSinceLastLine])).toEqual([
      ['warn', undefined],
      ['warn', STORE_REFUSAL_REMINDER_MS / 1000],
      ['warn', STORE_REFUSAL_REMINDER_MS / 1000],
    ]);
    expect(said[0]).toMatchObject({ message: 'request refused: the store is unavailable', fields: { method: 'GET', path: '/runs', error: 'the store is unavailable: connect ECONNREFUSED 10.0.0.5:5432' } });
    expect(said[1]!.message).toBe(`request refused: the store is unavailable (${STORE_REFUSAL_REMINDER_MS / 1000} requests of any kind refused since the last line about the store)`);
    fx.store.listRuns = listRuns;
    fx.store.listRunSummaries = listRunSummaries;
    expect((await fx.app.request('/runs')).status).toBe(200);

    // Hours later, another outage: its first refusal is said as the first, without the 9 left unsaid of the last.
    now += 3 * 3600_000;
    fx.store.listRuns = () => Promise.reject(new StoreUnavailableError('connect ECONNREFUSED 10.0.0.5:5432'));
    fx.store.listRunSummaries = () => Promise.reject(new StoreUnavailableError('connect ECONNREFUSED 10.0.0.5:5432'));
    expect((await fx.app.request('/runs')).status).toBe(503);
    // A console page refused 30 s later counts in the next line, a minute after that outage's first.
    now += 30_000;
    expect((await fx.app.request('/console/runs')).status).toBe(503);
    now += 30_000;
    expect((await fx.app.request('/runs')).status).toBe(503);
    const later = lines.filter((l) => /store is unavailable/.test(l.message)).slice(3);
    expect(later.map((l) => [l.message, l.fields.refusedSinceLastLine])).toEqual([
      ['request refused: the store is unavailable', undefined],
      ['request refused: the store is unavailable (2 requests of any kind refused since the last line about the store)', 2],
    ]);
  });

  it('show the console a 503 page that says the store cannot be reached and to try again, not a bare 500', async () => {
    const { log, lines } = capturing();
    fx = await appFixture({ log });
    fx.store.listRuns = () => Promise.reject(new StoreUnavailableError('connect ECONNREFUSED 10.0.0.5:5432'));
    fx.store.listRunSummaries = () => Promise.reject(new StoreUnavailableError('connect ECONNREFUSED 10.0.0.5:5432'));
    const page = await fx.app.request('/console/runs');
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('5');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const text = await page.text();
    expect(text).toContain('The store cannot be reached');
    expect(text).toContain('This page could not be read from the database');
    expect(text).not.toContain('10.0.0.5');
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(lines.filter((l) => /store is unavailable/.test(l.message))).toHaveLength(1);
  });

  it("tell an operator whose console action (a cancel) lost the store's answer that it may or may not have been done, and send them to the run, not to the action again", async () => {
    const { log } = capturing();
    fx = await appFixture({ log, recipes: [recipeWith([{ id: 'later', type: 'wait', for: 'PT1H' }])] });
    const { run_ids: runIds } = (await (await fx.deliver({ id: 'd-1', event: 'thing.happened', data: { id: 'T-1' } })).json()) as { run_ids: string[] };
    await fx.engine.runUntilIdle();
    const browser = new ConsoleBrowser(fx.app);
    const csrf = await browser.csrfOf(`/console/runs/${runIds[0]}/cancel`);
    fx.engine.cancel = () => Promise.reject(new CommitOutcomeUnknownError(new Error('Connection terminated unexpectedly')));
    const page = await browser.post(`/console/runs/${runIds[0]}/cancel`, { csrf });
    expect(page.status).toBe(503);
    const text = await page.text();
    expect(text).toContain('this action may or may not have been done. Look before you repeat it');
    expect(text).toContain(`href="/console/runs/${runIds[0]}"`);
    expect(text).not.toContain(`href="/console/runs/${runIds[0]}/cancel"`);
    expect(text).not.toContain('Nothing was changed');
  });

  it('show the console a 500 page naming the request id for any other failure, with the detail in the error log', async () => {
    const { log, lines } = capturing();
    fx = await appFixture({ log });
    fx.store.listRuns = () => Promise.reject(new Error('a bug: cannot read properties of undefined'));
    fx.store.listRunSummaries = () => Promise.reject(new Error('a bug: cannot read properties of undefined'));
    const page = await fx.app.request('/console/runs', { headers: { 'x-request-id': 'req-console-1' } });
    expect(page.status).toBe(500);
    const text = await page.text();
    expect(text).toContain('req-console-1');
    expect(text).not.toContain('cannot read properties');
    expect(lines.filter((l) => l.level === 'error')).toEqual([
      expect.objectContaining({ message: 'console page failed', fields: expect.objectContaining({ requestId: 'req-console-1', path: '/console/runs' }) }),
    ]);
  });
});
