import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAction, defineConnector } from '../../connectors/kit/define-connector.ts';
import { pollInput, pollPage } from '../../connectors/kit/poll-page.ts';
import { recipeWith } from '../../test/support/engine-fixture.ts';
import { appFixture, approvalRecipe, type AppFixture } from './app-fixture.ts';

let fx: AppFixture;
afterEach(async () => fx?.close());

type Timers = { timers: Array<{ runId: string; wakeAt: string }>; business_timers: unknown[]; next_after: string | null; next_runs_after: string | null };

let delivered = 0;
/** Delivers one event per entry and runs it to its wait; `advanceMs` apart (0: at the same time, so waits end together). */
async function waitingRuns(count: number, advanceMs: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    delivered += 1;
    const res = await fx.deliver({ id: `delivery-${delivered}`, event: 'thing.happened', data: { id: `T-${delivered}` } });
    ids.push(((await res.json()) as { run_ids: string[] }).run_ids[0]!);
    fx.clock.advance(advanceMs);
  }
  await fx.engine.runUntilIdle();
  return ids;
}

async function get(path: string): Promise<{ status: number; body: Timers & { error?: string } }> {
  const res = await fx.app.request(path);
  return { status: res.status, body: (await res.json()) as Timers & { error?: string } };
}

describe('GET /timers pages the run wake-ups too', () => {
  it('lists every waiting run once, soonest first, a page at a time with runs_after, ties on the wake time included', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    // Three runs whose waits end at the same millisecond, then two a second apart.
    const together = await waitingRuns(3, 0);
    const apart = await waitingRuns(2, 1_000);
    const seen: string[] = [];
    let page = await get('/timers?limit=2');
    expect(page.status).toBe(200);
    // Bounded: a cursor that is ignored would answer the first page for ever.
    for (let pages = 1; pages <= 5; pages++) {
      expect(page.body.timers.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.timers.map((t) => t.runId));
      expect(page.body.next_runs_after, 'a cursor or null').not.toBeUndefined();
      if (page.body.next_runs_after === null) {
        expect(pages).toBe(3);
        break;
      }
      page = await get(`/timers?limit=2&runs_after=${encodeURIComponent(page.body.next_runs_after)}`);
      expect(page.status).toBe(200);
      // Paging the run wake-ups does not repeat the first page of business timers.
      expect(page.body.business_timers).toEqual([]);
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set([...together, ...apart]));
    expect(seen.slice(3)).toEqual(apart);
  });

  it('answers the last page with next_runs_after null, and a page after it empty', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    await waitingRuns(2, 1_000);
    const first = await get('/timers?limit=2');
    expect(first.body.timers).toHaveLength(2);
    // A full page may be the last: the next one is empty, and says so.
    const next = await get(`/timers?limit=2&runs_after=${first.body.next_runs_after}`);
    expect(next.body).toMatchObject({ timers: [], next_runs_after: null });
    expect((await get('/timers?limit=3')).body.next_runs_after).toBeNull();
  });

  it('refuses a bad cursor or limit with 400 naming it', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    const refused = async (query: string, field: string) => {
      const { status, body } = await get(`/timers?${query}`);
      expect(status, query).toBe(400);
      expect(body.error, query).toContain(field);
    };
    await refused('runs_after=yesterday', 'runs_after');
    await refused('runs_after=1775034000000', 'runs_after');
    await refused('after=1.2.3', 'after');
    await refused('after=99999999999999999999.1', 'after');
    await refused('limit=0', 'limit');
    await refused('limit=201', 'limit');
    await refused('limit=ten', 'limit');
  });

  it('refuses a parameter it does not take (a misspelt cursor listed the first page again) or one given twice, naming it', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    const typo = await get('/timers?run_after=1775034000000.run_x');
    expect(typo.status).toBe(400);
    expect(typo.body.error).toBe('the query is not valid: run_after: not a parameter of this listing (did you mean "runsAfter"?); it takes limit, after, runsAfter');
    const twice = await get('/timers?limit=1&limit=100');
    expect(twice.status).toBe(400);
    expect(twice.body.error).toBe('the query is not valid: limit: given 2 times; give it once (only one value is read)');
  });
});

describe('GET /timers names its cursors as GET /runs does (camelCase: nextBefore, nextAfter, nextRunsAfter)', () => {
  type Named = { timers: Array<{ runId: string }>; nextRunsAfter: string | null; nextAfter: string | null; next_runs_after: string | null; next_after: string | null; error?: string };
  const read = async (path: string) => {
    const res = await fx.app.request(path);
    return { status: res.status, body: (await res.json()) as Named };
  };

  it('pages with nextRunsAfter and runsAfter; answers the former names too (deprecated, the same values) and still reads runs_after', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    const ids = await waitingRuns(3, 1_000);
    const first = await read('/timers?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.timers.map((t) => t.runId)).toEqual(ids.slice(0, 2));
    expect(first.body.nextRunsAfter).toMatch(/^\d+\.run_/);
    expect(first.body.next_runs_after).toBe(first.body.nextRunsAfter);
    expect(first.body.nextAfter).toBeNull();
    expect(first.body.next_after).toBeNull();
    const second = await read(`/timers?limit=2&runsAfter=${encodeURIComponent(first.body.nextRunsAfter!)}`);
    expect(second.status).toBe(200);
    expect(second.body.timers.map((t) => t.runId)).toEqual(ids.slice(2));
    expect(second.body.nextRunsAfter).toBeNull();
    // A client written for the former name gets the same page.
    const former = await read(`/timers?limit=2&runs_after=${encodeURIComponent(first.body.nextRunsAfter!)}`);
    expect(former.body.timers.map((t) => t.runId)).toEqual(ids.slice(2));
  });

  it('refuses runsAfter and its former name runs_after together, and a bad runsAfter, naming it (400)', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    const both = await read('/timers?runsAfter=1775034000000.run_x&runs_after=1775034000000.run_y');
    expect(both.status).toBe(400);
    expect(both.body.error).toBe('the query is not valid: runs_after: the former name of runsAfter: give runsAfter alone');
    const bad = await read('/timers?runsAfter=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/runsAfter: the `nextRunsAfter` of the previous page/);
  });
});

/** A polled system that is down: every poll of it fails. */
const downFeed = defineConnector({
  name: 'feed',
  description: 'a polled system that is down',
  config: z.object({}),
  env: {},
  connect: () => ({}),
  actions: {
    changes: defineAction({
      description: 'records changed at or after since',
      input: z.object({ ...pollInput }),
      output: pollPage(z.object({ id: z.string() })),
      idempotent: true,
      async run() {
        throw Object.assign(new Error('feed: 503 Service Unavailable'), { retryable: true });
      },
    }),
  },
});

const note = [{ id: 'note', type: 'set', values: { a: 1 } }] as never;
const weekdayDigest = recipeWith(note, { name: 'weekday-digest', trigger: { type: 'schedule', cron: '0 7 * * 1-5', timezone: 'Europe/Berlin' } });
const monthlyReport = recipeWith(note, { name: 'monthly-report', trigger: { type: 'schedule', cron: '0 6 1 * *', timezone: 'UTC' } });
const feedSync = recipeWith(note, {
  name: 'feed-sync',
  trigger: { type: 'poll', action: 'feed.changes', every: 'PT5M', cursor: '{% data.stamp %}', dedup_key: '{% data.id %}' },
});

describe('GET /timers lists the schedules and polls too, so an operator sees everything that will fire (review 8, F8)', () => {
  it('each schedule with its cron and next fire time, each poll with its interval and next poll time, soonest first', async () => {
    fx = await appFixture({ recipes: [monthlyReport, weekdayDigest, feedSync, approvalRecipe], engine: { connectors: [downFeed] } });
    // 2026-03-02 09:00Z is a Monday; a poll never polled yet is due at once.
    const before = await fx.app.request('/timers');
    expect(before.status).toBe(200);
    const body = (await before.json()) as { schedules: unknown[]; polls: unknown[] };
    expect(body.schedules).toEqual([
      { recipe: 'weekday-digest', cron: '0 7 * * 1-5', timezone: 'Europe/Berlin', fires_at: '2026-03-03T06:00:00.000Z' },
      { recipe: 'monthly-report', cron: '0 6 1 * *', timezone: 'UTC', fires_at: '2026-04-01T06:00:00.000Z' },
    ]);
    expect(body.polls).toEqual([{ recipe: 'feed-sync', action: 'feed.changes', every: 'PT5M', fires_at: '2026-03-02T09:00:00.000Z', failures: 0, last_error: null }]);
  });

  it('a schedule this runtime cannot compute (a time zone its ICU lacks) is listed with fires_at null, last', async () => {
    fx = await appFixture({ recipes: [weekdayDigest, monthlyReport] });
    (fx.engine.recipes.get('weekday-digest')!.definition.trigger as { timezone: string }).timezone = 'Europe/Berln';
    const body = (await (await fx.app.request('/timers')).json()) as { schedules: unknown[] };
    expect(body.schedules).toEqual([
      { recipe: 'monthly-report', cron: '0 6 1 * *', timezone: 'UTC', fires_at: '2026-04-01T06:00:00.000Z' },
      { recipe: 'weekday-digest', cron: '0 7 * * 1-5', timezone: 'Europe/Berln', fires_at: null },
    ]);
  });

  it("a slot missed while no replica ran is shown at its own time, before now, as the engine will start it; then the next slot", async () => {
    fx = await appFixture({ recipes: [weekdayDigest] });
    await fx.engine.runUntilIdle();
    // Tuesday 2026-03-03 07:00 Berlin fires; then nothing runs until Thursday noon.
    fx.clock.set(Date.parse('2026-03-03T06:00:00Z'));
    await fx.engine.runUntilIdle();
    fx.clock.set(Date.parse('2026-03-05T12:00:00Z'));
    const missed = (await (await fx.app.request('/timers')).json()) as { schedules: Array<{ fires_at: string }> };
    expect(missed.schedules.map((s) => s.fires_at)).toEqual(['2026-03-04T06:00:00.000Z']);
    // The engine starts the missed Wednesday and Thursday slots, each once; the list moves on to Friday.
    await fx.engine.runUntilIdle();
    const runs = await fx.engine.store.listRuns({ recipe: 'weekday-digest', limit: 10 });
    expect(runs.map((r) => new Date(r.trigger.receivedAt).toISOString()).sort()).toEqual(['2026-03-03T06:00:00.000Z', '2026-03-04T06:00:00.000Z', '2026-03-05T06:00:00.000Z']);
    const after = (await (await fx.app.request('/timers')).json()) as { schedules: Array<{ fires_at: string }> };
    expect(after.schedules.map((s) => s.fires_at)).toEqual(['2026-03-06T06:00:00.000Z']);
  });

  it('a poll that failed shows its next try and why, and a page with a cursor leaves schedules and polls to the first page', async () => {
    fx = await appFixture({ recipes: [weekdayDigest, feedSync, approvalRecipe], engine: { connectors: [downFeed] } });
    await fx.engine.runUntilIdle();
    const first = (await (await fx.app.request('/timers')).json()) as { polls: unknown[]; schedules: unknown[] };
    expect(first.polls).toEqual([{ recipe: 'feed-sync', action: 'feed.changes', every: 'PT5M', fires_at: '2026-03-02T09:05:00.000Z', failures: 1, last_error: 'feed: 503 Service Unavailable' }]);
    expect(first.schedules).toHaveLength(1);
    await waitingRuns(1, 0);
    const page = await get('/timers?limit=1&runs_after=1.x');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ schedules: [], polls: [] });
  });
});
