import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAction, defineConnector } from '../../connectors/kit/define-connector.ts';
import { pollInput, pollPage } from '../../connectors/kit/poll-page.ts';
import { Recipe, type RecipeInput } from '../../schemas/recipe.ts';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { silentLog } from '../../test/support/engine-fixture.ts';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { advanceTime } from './advance-time.ts';
import { VirtualClock } from './clock.ts';
import { ConnectorCatalog } from './connector-registry.ts';
import { Engine } from './engine.ts';
import { RecipeSet, loadedRecipe } from './recipe-set.ts';
import { MAX_DEDUP_KEY_LENGTH } from './stored-key-limits.ts';
import { createTables } from './tables.ts';

/** A record of the polled system: changed at `stamp` (ISO, second precision as Salesforce). */
interface FeedRecord {
  id: string;
  status: string;
  stamp: string;
}

/**
 * A system without webhooks (like Salesforce): its records and a changed-records query with pages of
 * `pageSize`, `stamp >= since` ordered by stamp. `down` makes the query fail as an outage does.
 */
class Feed {
  records: FeedRecord[] = [];
  pageSize = 2;
  down = false;
  queries: Array<{ since: string | null; page: string | null }> = [];
  /** The `kind` each query was asked with (the recipe's input). */
  kinds: Array<string | undefined> = [];
  /** What the recipe's runs did, as the user sees it in the other system. */
  applied: Array<{ id: string; status: string }> = [];

  change(id: string, status: string, stamp: string): void {
    this.records = [...this.records.filter((r) => r.id !== id), { id, status, stamp }];
  }
}

function feedConnector(feed: Feed) {
  return defineConnector({
    name: 'feed',
    description: 'a polled system',
    config: z.object({}),
    env: {},
    connect: () => feed,
    actions: {
      changes: defineAction({
        description: 'records changed at or after since, oldest first, a page at a time',
        input: z.object({ ...pollInput, kind: z.string().optional() }),
        output: pollPage(z.object({ id: z.string(), status: z.string(), stamp: z.string() })),
        idempotent: true,
        async run(input) {
          feed.queries.push({ since: input.since ?? null, page: input.page ?? null });
          feed.kinds.push(input.kind);
          if (feed.down) throw Object.assign(new Error('feed: 503 Service Unavailable'), { retryable: true });
          const since = input.since ?? null;
          const all = feed.records.filter((r) => since === null || r.stamp >= since).sort((a, b) => a.stamp.localeCompare(b.stamp));
          const start = input.page ? Number(input.page) : 0;
          const items = all.slice(start, start + feed.pageSize);
          return { items, next_page: start + feed.pageSize < all.length ? String(start + feed.pageSize) : null };
        },
      }),
      // The same query with a start of its own (as salesforce.list_changed_fund_records): the first poll reads from start_at, or from its first try.
      changes_from_start: defineAction({
        description: 'records changed at or after since, or at the first poll at or after its start',
        input: z.object({ ...pollInput, start_at: z.string().optional() }),
        output: pollPage(z.object({ id: z.string(), status: z.string(), stamp: z.string() })),
        idempotent: true,
        pollStart: (input, now) => input.start_at ?? new Date(now).toISOString().replace('.000Z', 'Z'),
        async run(input) {
          feed.queries.push({ since: input.since ?? null, page: input.page ?? null });
          if (feed.down) throw Object.assign(new Error('feed: 503 Service Unavailable'), { retryable: true });
          const since = input.since ?? null;
          const all = feed.records.filter((r) => since === null || r.stamp >= since).sort((a, b) => a.stamp.localeCompare(b.stamp));
          return { items: all, next_page: null };
        },
      }),
      apply: defineAction({
        description: 'what a run does with a change',
        input: z.object({ id: z.string(), status: z.string() }),
        output: z.object({ ok: z.boolean() }),
        idempotent: true,
        async run(input) {
          feed.applied.push(input);
          return { ok: true };
        },
      }),
    },
  });
}

const pollRecipe: RecipeInput = {
  name: 'feed-sync',
  version: 1,
  description: 'D1: follows the changes of the polled system',
  trigger: {
    type: 'poll',
    action: 'feed.changes',
    input: { kind: 'all' },
    every: 'PT5M',
    cursor: '{% data.stamp %}',
    dedup_key: "{% data.id & '@' & data.stamp %}",
  },
  steps: [{ id: 'apply', type: 'action', action: 'feed.apply', input: { id: '{% trigger.data.id %}', status: '{% trigger.data.status %}' } }],
};

const stores: Store[] = [];
const engines: Engine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
  for (const store of stores.splice(0)) await store.close();
});

async function pollingEngine(feed: Feed, options: { store?: Store; clock?: VirtualClock; workerId?: string; log?: Logger; recipe?: RecipeInput; tables?: Parameters<typeof createTables>[0] } = {}) {
  const clock = options.clock ?? new VirtualClock('2026-03-02T09:00:00Z');
  const store = options.store ?? (await openSqliteStore({ path: ':memory:' }));
  if (!options.store) stores.push(store);
  const recipes = new RecipeSet([loadedRecipe(Recipe.parse(options.recipe ?? pollRecipe), 'feed-sync.recipe.json')], store);
  await recipes.persist(clock.now());
  const tables = createTables(options.tables ?? {});
  const connectors = new ConnectorCatalog([feedConnector(feed)]).connect({}, { clock, log: silentLog, store, publicBaseUrl: 'http://localhost:3000', timezone: 'UTC' });
  const engine = new Engine({ store, clock, recipes, connectors, tables, log: options.log ?? silentLog, random: () => 1, workerId: options.workerId });
  engines.push(engine);
  return { engine, store, clock };
}

const iso = (s: string) => `2026-03-02T${s}Z`;

describe('poll trigger (D1: changes read from a system without webhooks)', () => {
  it('polls at once, then every interval; each changed record starts one run, and the watermark moves to the newest stamp', async () => {
    const feed = new Feed();
    feed.change('A', 'Approved', iso('08:00:00'));
    feed.change('B', 'Draft', iso('08:30:00'));
    feed.change('C', 'Rejected', iso('08:45:00'));
    const { engine, store, clock } = await pollingEngine(feed);
    await engine.runUntilIdle();
    // Three records over two pages (pageSize 2), one query with since null.
    expect(feed.queries).toEqual([
      { since: null, page: null },
      { since: null, page: '2' },
    ]);
    expect(feed.applied).toEqual([
      { id: 'A', status: 'Approved' },
      { id: 'B', status: 'Draft' },
      { id: 'C', status: 'Rejected' },
    ]);
    expect((await store.listPollCursors())[0]).toMatchObject({ watermark: iso('08:45:00'), nextPollAt: clock.now() + 300_000 });
    // A virtual clock does not stop for polls: the due poll runs at the end of the jump below.
    expect(await engine.nextWakeAt()).toBeNull();

    feed.change('B', 'Approved', iso('09:02:00'));
    await advanceTime(engine, clock, 5 * 60_000);
    expect(feed.queries.at(-1)).toEqual({ since: iso('08:45:00'), page: null });
    // C is read again (>= the watermark) but its run exists: only B's new change starts a run.
    expect(feed.applied.slice(3)).toEqual([{ id: 'B', status: 'Approved' }]);
    expect((await store.listRuns({ recipe: 'feed-sync', limit: 10 })).map((r) => [r.trigger.type, r.status])).toEqual(Array(4).fill(['poll', 'completed']));
  });

  it("reads the tables ops maintain in its input ($tables.<name>: the rows), so a value ops may change is data (D24, D25: the untouched lead statuses)", async () => {
    const feed = new Feed();
    feed.change('A', 'Approved', iso('08:00:00'));
    const recipe = { ...pollRecipe, trigger: { ...pollRecipe.trigger, input: { kind: "{% $tables.'feed-kinds'[0].kind %}" } } } as RecipeInput;
    const { engine } = await pollingEngine(feed, { recipe, tables: { 'feed-kinds': [{ kind: 'orders' }] } });
    await engine.runUntilIdle();
    expect(feed.kinds).toEqual(['orders']);
    expect(feed.applied).toEqual([{ id: 'A', status: 'Approved' }]);
  });

  it('does not lose a change made in the same second as the watermark, after the poll that set it (inclusive >=)', async () => {
    const feed = new Feed();
    feed.change('A', 'Approved', iso('09:00:00'));
    const { engine, clock } = await pollingEngine(feed);
    await engine.runUntilIdle();
    // Same second as the watermark, but after that poll read the system.
    feed.change('B', 'Rejected', iso('09:00:00'));
    await advanceTime(engine, clock, 5 * 60_000);
    expect(feed.applied).toEqual([
      { id: 'A', status: 'Approved' },
      { id: 'B', status: 'Rejected' },
    ]);
  });

  it('a failing poll keeps the watermark, shows in /metrics, and the next interval catches up: nothing lost, nothing doubled', async () => {
    const feed = new Feed();
    feed.change('A', 'Draft', iso('08:00:00'));
    const { engine, store, clock } = await pollingEngine(feed, { workerId: 'worker-1' });
    await engine.runUntilIdle();
    feed.down = true;
    feed.change('A', 'Approved', iso('09:01:00'));
    await advanceTime(engine, clock, 5 * 60_000);
    expect((await store.listPollCursors())[0]).toMatchObject({ watermark: iso('08:00:00'), failures: 1, lastError: 'feed: 503 Service Unavailable' });
    const metrics = await engine.metrics.registry.metrics();
    expect(metrics).toContain('partnerflow_polls_total{recipe="feed-sync",outcome="failed",worker="worker-1"} 1');
    expect(metrics).toContain('partnerflow_poll_failures_in_a_row{recipe="feed-sync",worker="worker-1"} 1');
    feed.down = false;
    await advanceTime(engine, clock, 5 * 60_000);
    expect(feed.applied).toEqual([
      { id: 'A', status: 'Draft' },
      { id: 'A', status: 'Approved' },
    ]);
    expect((await store.listPollCursors())[0]).toMatchObject({ watermark: iso('09:01:00'), failures: 0 });
    expect(await engine.metrics.registry.metrics()).toContain('partnerflow_poll_failures_in_a_row{recipe="feed-sync",worker="worker-1"} 0');
  });

  it('two engines on one store poll once per interval (replicas)', async () => {
    const feed = new Feed();
    feed.change('A', 'Approved', iso('08:00:00'));
    const clock = new VirtualClock('2026-03-02T09:00:00Z');
    const first = await pollingEngine(feed, { clock, workerId: 'one' });
    const second = await pollingEngine(feed, { clock, store: first.store, workerId: 'two' });
    await Promise.all([first.engine.runUntilIdle(), second.engine.runUntilIdle()]);
    expect(feed.queries).toHaveLength(1);
    expect(feed.applied).toEqual([{ id: 'A', status: 'Approved' }]);
    clock.advance(5 * 60_000);
    await Promise.all([first.engine.runUntilIdle(), second.engine.runUntilIdle()]);
    expect(feed.queries).toHaveLength(2);
  });

  it('a crash between storing the runs and the watermark re-polls the same items, and the dedup keys make the repeat harmless', async () => {
    const feed = new Feed();
    feed.change('A', 'Approved', iso('08:00:00'));
    feed.change('B', 'Denied', iso('08:10:00'));
    feed.pageSize = 10;
    const clock = new VirtualClock('2026-03-02T09:00:00Z');
    const { engine, store } = await pollingEngine(feed, { clock, workerId: 'crashing' });
    // The process dies inside the page's transaction: nothing of it is committed.
    const save = store.savePollPage.bind(store);
    store.savePollPage = async () => {
      throw new Error('process died');
    };
    await engine.runUntilIdle();
    expect(await store.listRuns({ recipe: 'feed-sync', limit: 10 })).toEqual([]);
    store.savePollPage = save;
    // The poll is due again at the next interval, from the same (null) watermark.
    expect((await store.listPollCursors())[0]).toMatchObject({ watermark: null });
    await advanceTime(engine, clock, 5 * 60_000);
    expect(feed.applied).toEqual([
      { id: 'A', status: 'Approved' },
      { id: 'B', status: 'Denied' },
    ]);

    // A crash after the commit but before the next poll: the restarted process reads from the stored
    // watermark; B (equal to the watermark) is read again and deduplicated.
    const restarted = await pollingEngine(feed, { clock, store, workerId: 'crashing' });
    await advanceTime(restarted.engine, clock, 5 * 60_000);
    expect(feed.queries.at(-1)).toEqual({ since: iso('08:10:00'), page: null });
    expect(feed.applied).toHaveLength(2);
    expect(await store.listRuns({ recipe: 'feed-sync', limit: 10 })).toHaveLength(2);
  });
});

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`a polled record whose key holds a NUL character (U+0000), on ${kind}`, () => {
    it('is left out with an error naming the field; the records beside it start their runs and the watermark moves on', async () => {
      const feed = new Feed();
      feed.change('A', 'Approved', iso('08:00:00'));
      feed.change('B\u0000', 'Approved', iso('08:10:00'));
      feed.change('C', 'Rejected', iso('08:20:00'));
      const errors: string[] = [];
      const log: Logger = { ...silentLog, error: (_fields, message) => void errors.push(String(message)) };
      const store = kind === 'postgres' ? await openTestPostgresStore() : undefined;
      if (store) stores.push(store);
      const { engine } = await pollingEngine(feed, { log, ...(store ? { store } : {}) });
      await engine.runUntilIdle();
      // The two runs are due at once: in which order a store hands them out is not the rule's.
      expect([...feed.applied].sort((a, b) => a.id.localeCompare(b.id))).toEqual([
        { id: 'A', status: 'Approved' },
        { id: 'C', status: 'Rejected' },
      ]);
      expect(errors).toEqual(['poll item refused: its dedup_key contains a NUL character (\\u0000), from data.id; no run started for it']);
      expect((await engine.store.listPollCursors())[0]).toMatchObject({ watermark: iso('08:20:00') });
    });
  });
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`a polled record whose key is longer than the store keeps (${MAX_DEDUP_KEY_LENGTH} characters), on ${kind}`, () => {
    it("is left out with an error naming the key and the limit; the records beside it start their runs and the watermark moves on, the same limit a webhook's keys have", async () => {
      const feed = new Feed();
      const long = `L${'x'.repeat(3000)}`;
      feed.change('A', 'Approved', iso('08:00:00'));
      feed.change(long, 'Approved', iso('08:10:00'));
      feed.change('C', 'Rejected', iso('08:20:00'));
      const errors: string[] = [];
      const log: Logger = { ...silentLog, error: (_fields, message) => void errors.push(String(message)) };
      const store = kind === 'postgres' ? await openTestPostgresStore() : undefined;
      if (store) stores.push(store);
      const { engine } = await pollingEngine(feed, { log, ...(store ? { store } : {}) });
      await engine.runUntilIdle();
      expect([...feed.applied].sort((a, b) => a.id.localeCompare(b.id))).toEqual([
        { id: 'A', status: 'Approved' },
        { id: 'C', status: 'Rejected' },
      ]);
      const keyLength = `${long}@${iso('08:10:00')}`.length;
      expect(errors).toEqual([`poll item refused: item 2 of page 1 (cursor "${iso('08:10:00')}"): its dedup_key is ${keyLength} characters, longer than the limit of ${MAX_DEDUP_KEY_LENGTH}; no run started for it`]);
      expect((await engine.store.listPollCursors())[0]).toMatchObject({ watermark: iso('08:20:00'), failures: 0 });
    });

    it("moves the watermark past it when it is the newest record, and never writes the key itself (the item's data) to the log", async () => {
      const feed = new Feed();
      feed.change('A', 'Approved', iso('08:00:00'));
      feed.change(`jane.doe@partner.example-${'x'.repeat(600)}`, 'Approved', iso('08:10:00'));
      const lines: string[] = [];
      const log: Logger = { ...silentLog, error: (fields, message) => void lines.push(`${String(message)} ${JSON.stringify(fields)}`) };
      const store = kind === 'postgres' ? await openTestPostgresStore() : undefined;
      if (store) stores.push(store);
      const { engine } = await pollingEngine(feed, { log, ...(store ? { store } : {}) });
      await engine.runUntilIdle();
      expect(feed.applied).toEqual([{ id: 'A', status: 'Approved' }]);
      expect((await engine.store.listPollCursors())[0]).toMatchObject({ watermark: iso('08:10:00'), failures: 0 });
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toContain('jane.doe');
    });
  });
}

describe('a poll whose dedup_key computes nothing for an item (review3, finding 2)', () => {
  it('fails the poll naming the recipe and the key, keeps the watermark and starts no run: it used to store every item under "undefined", one run for all', async () => {
    const feed = new Feed();
    feed.change('A', 'Approved', iso('08:00:00'));
    feed.change('B', 'Rejected', iso('08:10:00'));
    const typo = { ...pollRecipe, trigger: { ...(pollRecipe.trigger as object), dedup_key: '{% data.idd %}' } } as RecipeInput;
    const { engine, store } = await pollingEngine(feed, { recipe: typo });
    await engine.runUntilIdle();
    expect(await store.listRuns({ recipe: 'feed-sync', limit: 10 })).toEqual([]);
    expect((await store.listPollCursors())[0]).toMatchObject({
      watermark: null,
      failures: 1,
      lastError: 'recipe feed-sync: trigger.dedup_key {% data.idd %} computes nothing (undefined) for item 1 of page 1; no run started and the watermark stays, so the items are polled again once the recipe is fixed',
    });
  });
});

describe("a poll's correlation_key: the business key of the runs it starts (review8 F4)", () => {
  it('keys each run by it, so GET /runs?key= lists the run under the record it changed', async () => {
    const feed = new Feed();
    feed.change('A', 'Approved', iso('08:00:00'));
    feed.change('B', 'Rejected', iso('08:10:00'));
    const keyed = { ...pollRecipe, trigger: { ...(pollRecipe.trigger as object), correlation_key: "{% 'REC-' & data.id %}" } } as RecipeInput;
    const { engine, store } = await pollingEngine(feed, { recipe: keyed });
    await engine.runUntilIdle();
    expect((await store.listRuns({ correlationKey: 'REC-B', limit: 10 })).map((r) => [r.recipe, r.trigger.type, r.status, r.correlationKey])).toEqual([['feed-sync', 'poll', 'completed', 'REC-B']]);
  });

  it('fails the poll when it computes nothing for an item (a field typo), naming the recipe and the key; no run, the watermark kept', async () => {
    const feed = new Feed();
    feed.change('A', 'Approved', iso('08:00:00'));
    const typo = { ...pollRecipe, trigger: { ...(pollRecipe.trigger as object), correlation_key: '{% data.ID %}' } } as RecipeInput;
    const { engine, store } = await pollingEngine(feed, { recipe: typo });
    await engine.runUntilIdle();
    expect(await store.listRuns({ recipe: 'feed-sync', limit: 10 })).toEqual([]);
    expect((await store.listPollCursors())[0]).toMatchObject({
      watermark: null,
      failures: 1,
      lastError: 'recipe feed-sync: trigger.correlation_key {% data.ID %} computes nothing (undefined) for item 1 of page 1; no run started and the watermark stays, so the items are polled again once the recipe is fixed',
    });
  });
});

describe('a poll whose dedup_key reads nothing of the item behind a prefix (review8 F2)', () => {
  it("fails the poll as a key of nothing does: 'sf:' & data.ID is 'sf:' for every item, and would drop every item after the first", async () => {
    const feed = new Feed();
    feed.change('A', 'Approved', iso('08:00:00'));
    feed.change('B', 'Rejected', iso('08:10:00'));
    const typo = { ...pollRecipe, trigger: { ...(pollRecipe.trigger as object), dedup_key: "{% 'sf:' & data.ID %}" } } as RecipeInput;
    const { engine, store } = await pollingEngine(feed, { recipe: typo });
    await engine.runUntilIdle();
    expect(await store.listRuns({ recipe: 'feed-sync', limit: 10 })).toEqual([]);
    expect((await store.listPollCursors())[0]).toMatchObject({
      watermark: null,
      failures: 1,
      lastError:
        "recipe feed-sync: trigger.dedup_key {% 'sf:' & data.ID %} computes \"sf:\" for item 1 of page 1, as it would for an item without data: it reads nothing of the item (a field typo?); no run started and the watermark stays, so the items are polled again once the recipe is fixed",
    });
  });
});

describe("a poll action with a start of its own (pollStart): the first poll reads from go-live, not the system's whole history (review8 F3)", () => {
  const fromStart = { ...pollRecipe, trigger: { ...(pollRecipe.trigger as object), action: 'feed.changes_from_start', input: {} } } as RecipeInput;

  it('reads no change made before its first try; a first poll that fails keeps that start, so a change made meanwhile is applied', async () => {
    const feed = new Feed();
    feed.change('OLD', 'Rejected', '2025-06-01T10:00:00Z');
    feed.down = true;
    const { engine, store, clock } = await pollingEngine(feed, { recipe: fromStart });
    await engine.runUntilIdle();
    expect((await store.listPollCursors())[0]).toMatchObject({ watermark: iso('09:00:00'), failures: 1 });
    feed.change('A', 'Approved', iso('09:02:00'));
    feed.down = false;
    await advanceTime(engine, clock, 5 * 60_000);
    expect(feed.queries.at(-1)).toEqual({ since: iso('09:00:00'), page: null });
    expect(feed.applied).toEqual([{ id: 'A', status: 'Approved' }]);
  });

  it("after an upgrade, a recipe an older runtime polled without ever seeing an item starts one interval before that poll: a change made just before the upgrade is applied", async () => {
    const feed = new Feed();
    const clock = new VirtualClock('2026-03-02T09:00:00Z');
    const store = await openSqliteStore({ path: ':memory:' });
    stores.push(store);
    // The older runtime: the action without a start read everything at 09:00 and found nothing (no watermark).
    const before = await pollingEngine(feed, { clock, store });
    await before.engine.runUntilIdle();
    await before.engine.stop();
    expect((await store.listPollCursors())[0]).toMatchObject({ watermark: null });
    feed.change('B', 'Rejected', iso('09:02:00'));
    clock.advance(3 * 60_000);
    // The upgraded runtime polls at 09:05: from 08:55, not from 09:05.
    const after = await pollingEngine(feed, { clock, store, recipe: fromStart });
    await advanceTime(after.engine, clock, 2 * 60_000);
    expect(feed.applied).toEqual([{ id: 'B', status: 'Rejected' }]);
    expect(feed.queries.at(-1)).toEqual({ since: iso('08:55:00'), page: null });
  });
});
