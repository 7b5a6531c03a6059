import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecipeInput } from '../../schemas/recipe.ts';
import { engineFixture, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { BERLIN_EASTER_2026 } from '../../test/support/berlin-calendar.ts';
import { openTestPostgresStore, runOnSchema } from '../../test/support/test-postgres.ts';
import type { KyselyStore } from '../store/kysely-store.ts';
import { advanceTime } from './advance-time.ts';

/**
 * D14, a claim moved to another request: the stop its claim left on the old request is lifted and the
 * old request's reminders resume. A store failure in the middle of that (the write of the resumed
 * timers fails; the process could as well die there) must leave the stop in place, so that the event
 * delivered again (the sender saw no 2xx) lifts it and the reminders come back. Before, the stop
 * marker was deleted in a transaction of its own: the redelivery found nothing to lift, and the old
 * request was never reminded again.
 */
const reminder: RecipeInput = {
  name: 'reminder',
  version: 1,
  description: 'reminds about a thing after its end date until a claim is filed against it (D14 in small)',
  trigger: {
    type: 'timer',
    record: 'fake.thing.happened',
    key: '{% data.id %}',
    date: '{% data.end %}',
    while: "{% data.status = 'Approved' %}",
    offsets: [2, 14],
    stop_on: [{ event: 'fake.thing.happened', filter: "{% data.status = 'Claimed' %}", by: '{% data.claim %}' }],
  },
  steps: [{ id: 'remind', type: 'action', action: 'fake.record', input: { key: "{% $trigger.data.key & ':' & $string($trigger.data.offset) %}" } }],
};

const DAY = 86_400_000;
/** Makes every write that sets a timer of `key` pending fail, as a store that is down would; undone by the function returned. */
type FailTimerWrites = (store: KyselyStore & { url?: string }, key: string) => Promise<() => Promise<void>>;

const failOnSqlite: FailTimerWrites = async (store, key) => {
  await sql
    .raw(`create temp trigger fail_timer_writes before update on business_timers when new.record_key = '${key}' and new.status = 'pending' begin select raise(abort, 'simulated store failure'); end`)
    .execute(store.db);
  return async () => void (await sql.raw('drop trigger fail_timer_writes').execute(store.db));
};

const failOnPostgres: FailTimerWrites = async (store, key) => {
  await runOnSchema(
    store.url!,
    `create function fail_timer_writes() returns trigger language plpgsql as $$ begin raise exception 'simulated store failure'; end $$;
     create trigger fail_timer_writes before update on business_timers for each row
       when (new.record_key = '${key}' and new.status = 'pending') execute function fail_timer_writes()`,
  );
  return () => runOnSchema(store.url!, 'drop trigger fail_timer_writes on business_timers; drop function fail_timer_writes()');
};

const stores = {
  sqlite: { open: async () => undefined, fail: failOnSqlite },
  postgres: { open: () => openTestPostgresStore(), fail: failOnPostgres },
};

for (const [kind, { open, fail }] of Object.entries(stores)) {
  describe(`a claim moved to another record, on ${kind} (D14)`, () => {
    let fx: EngineFixture | undefined;
    afterEach(async () => {
      await fx?.close();
      fx = undefined;
    });

    const deliver = (data: Record<string, unknown>, deliveryId: string) => fx!.engine.deliver({ source: 'fake', event: 'thing.happened', deliveryId, data });
    const pending = async (key: string) => (await fx!.store.recordBusinessTimers({ recipe: 'reminder', key })).filter((t) => t.status === 'pending').map((t) => t.offset);

    it('the store failing while the old record\'s reminders resume: the event delivered again resumes them, and they go out', async () => {
      const store = await open();
      fx = await engineFixture([reminder], { calendar: BERLIN_EASTER_2026, ...(store ? { store } : {}) });
      const kysely = fx.store as KyselyStore & { url?: string };
      // A ends on 2026-03-02 (day 2: Wednesday 03-04, day 14: Monday 03-16); claim c-1 is filed against it.
      await deliver({ id: 'A', end: '2026-03-02', status: 'Approved' }, 'd-approved');
      await deliver({ id: 'A', status: 'Claimed', claim: 'c-1' }, 'd-claimed');
      expect(await pending('A')).toEqual([]);

      // The next day ops move the claim to B; the write of A's resumed timers fails.
      fx.clock.advance(DAY);
      const recover = await fail(kysely, 'A');
      await expect(deliver({ id: 'B', status: 'Claimed', claim: 'c-1' }, 'd-moved')).rejects.toThrow();
      await recover();

      // The sender saw no 2xx and delivers the same event again.
      await deliver({ id: 'B', status: 'Claimed', claim: 'c-1' }, 'd-moved');
      expect(await pending('A')).toEqual(['2', '14']);
      await advanceTime(fx.engine, fx.clock, 30 * DAY);
      expect(fx.system.effects.map((e) => e.key)).toEqual(['A:2', 'A:14']);
    });

    it('the record changing between the read of the stop and its lift (another replica applied a moved end date): the timers follow the newer date', async () => {
      const store = await open();
      fx = await engineFixture([reminder], { calendar: BERLIN_EASTER_2026, ...(store ? { store } : {}) });
      await deliver({ id: 'A', end: '2026-03-02', status: 'Approved' }, 'd-approved');
      await deliver({ id: 'A', status: 'Claimed', claim: 'c-1' }, 'd-claimed');
      fx.clock.advance(DAY);
      // Just before the first lift is written, A's end date moves to 03-09 (kept on the stop while it holds).
      const lift = fx.store.liftBusinessTimerStop.bind(fx.store);
      let raced = false;
      fx.store.liftBusinessTimerStop = async (input) => {
        if (!raced) {
          raced = true;
          await deliver({ id: 'A', end: '2026-03-09', status: 'Approved' }, 'd-moved-end');
        }
        return lift(input);
      };
      await deliver({ id: 'B', status: 'Claimed', claim: 'c-1' }, 'd-moved');
      const timers = (await fx.store.recordBusinessTimers({ recipe: 'reminder', key: 'A' })).filter((t) => t.status === 'pending');
      expect(timers.map((t) => [t.offset, t.date, new Date(t.fireAt).toISOString()])).toEqual([
        ['2', '2026-03-09', '2026-03-11T08:00:00.000Z'],
        ['14', '2026-03-09', '2026-03-23T08:00:00.000Z'],
      ]);
    });

    it('without a failure the same event delivered twice resumes the reminders once, each reminder goes out once', async () => {
      const store = await open();
      fx = await engineFixture([reminder], { calendar: BERLIN_EASTER_2026, ...(store ? { store } : {}) });
      await deliver({ id: 'A', end: '2026-03-02', status: 'Approved' }, 'd-approved');
      await deliver({ id: 'A', status: 'Claimed', claim: 'c-1' }, 'd-claimed');
      fx.clock.advance(DAY);
      await deliver({ id: 'B', status: 'Claimed', claim: 'c-1' }, 'd-moved');
      await deliver({ id: 'B', status: 'Claimed', claim: 'c-1' }, 'd-moved');
      expect(await pending('A')).toEqual(['2', '14']);
      await advanceTime(fx.engine, fx.clock, 30 * DAY);
      expect(fx.system.effects.map((e) => e.key)).toEqual(['A:2', 'A:14']);
    });
  });
}
