import { afterEach, describe, expect, it } from 'vitest';
import { permanentError } from '../../test/support/engine-fixture.ts';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';
import type { RunId } from '../engine/ids.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { appFixture, type AppFixture } from './app-fixture.ts';

/**
 * An operator's cancel (`POST /runs/:id/cancel`, Engine.cancel) of a run that another operator retries
 * at that moment, on another replica: the cancel finds the run failed (a finished run: nothing is
 * canceled), and by the time it reads the run to say so, the retry has put it back in the queue. The
 * cancel then tries once more, rather than refusing for a status the run no longer has. The retry is
 * made to land exactly between the cancel and its read, by a store that does it there. On both stores.
 */

type Race = (runId: RunId, attempt: number) => Promise<void>;
/** What another replica does around the cancel's attempts (the first is 1): before one, and after one that canceled nothing, before the engine reads the run. */
type Races = { before?: Race; between?: Race };

/** The store, whose cancelRun runs the races around each attempt. */
function racing(store: Store, race: Races): Store {
  let attempt = 0;
  return new Proxy(store, {
    get(target, property) {
      if (property === 'cancelRun') {
        return async (...args: Parameters<Store['cancelRun']>) => {
          attempt += 1;
          await race.before?.(args[0], attempt);
          const canceled = await target.cancelRun(...args);
          if (!canceled) await race.between?.(args[0], attempt);
          return canceled;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const stores: Array<[string, () => Promise<Store>]> = [
  ['SQLite', () => openSqliteStore({ path: ':memory:' })],
  ['PostgreSQL', () => openTestPostgresStore()],
];

describe.each(stores)('POST /runs/:id/cancel while another operator retries the run (%s)', (_name, openStore) => {
  let fx: AppFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  /** A run that failed at its step, on a store whose cancel is raced by `race`. */
  async function failedRun(race: Races): Promise<{ fx: AppFixture; runId: RunId }> {
    fx = await appFixture({ store: racing(await openStore(), race) });
    fx.system.failNext('record', permanentError('the system said no'));
    const res = await fx.deliver({ id: 'delivery-1', event: 'thing.happened', data: { id: 'T-1' } });
    const runId = ((await res.json()) as { run_ids: string[] }).run_ids[0] as RunId;
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId))!.status).toBe('failed');
    return { fx, runId };
  }

  it('the retry lands between the cancel and its read: the cancel tries again and cancels the run (200); nothing runs after, and the retry is refused afterwards as canceled', async () => {
    const race: Races = {};
    const { fx, runId } = await failedRun(race);
    const retries: unknown[] = [];
    race.between = async (id, attempt) => {
      if (attempt === 1) retries.push(await fx.store.retryRun(id, fx.clock.now()));
    };
    const res = await fx.app.request(`/runs/${runId}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: runId, status: 'canceled', error: { message: 'canceled by an operator' } });
    // The other operator's retry was done (the run was queued again) before the second try canceled it.
    expect(retries).toEqual([{ retried: true }]);
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([]);
    expect(await (await fx.app.request(`/runs/${runId}`)).json()).toMatchObject({ run: { id: runId, status: 'canceled' } });
    const retry = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST' });
    expect(retry.status).toBe(409);
    expect(await retry.json()).toEqual({ error: `run ${runId} was canceled (canceled by an operator): a canceled run cannot be retried` });
  });
  it('retried, failed again and retried again around both tries: the cancel says so (409: cancel it again), the run goes on queued; the cancel asked again cancels it', async () => {
    const race: Races = {};
    const { fx, runId } = await failedRun(race);
    race.between = async (id) => {
      expect(await fx.store.retryRun(id, fx.clock.now())).toEqual({ retried: true });
    };
    race.before = async (_id, attempt) => {
      if (attempt !== 2) return;
      // The retried run runs and fails again before the second try.
      fx.system.failNext('record', permanentError('the system said no again'));
      await fx.engine.runUntilIdle();
    };
    const res = await fx.app.request(`/runs/${runId}/cancel`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      error: `run ${runId} was retried while it was being canceled, twice: it is queued now and was not canceled; cancel it again`,
    });
    expect(await (await fx.app.request(`/runs/${runId}`)).json()).toMatchObject({ run: { id: runId, status: 'queued' } });
    race.before = undefined;
    race.between = undefined;
    const again = await fx.app.request(`/runs/${runId}/cancel`, { method: 'POST' });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: runId, status: 'canceled' });
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([]);
  });
});
