import { afterEach, describe, expect, it } from 'vitest';
import { permanentError } from '../../test/support/engine-fixture.ts';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';
import type { RunId } from '../engine/ids.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { appFixture, type AppFixture } from './app-fixture.ts';

/**
 * An operator's cancel (`POST /runs/:id/cancel`, Engine.cancel) of a failed run that another operator
 * retries at that moment, on another replica. A cancel closes out a run that failed at a step, so
 * either order ends the same: the retry first puts the run back in the queue and the cancel cancels
 * the queued run; the cancel first, and the retry is refused. Nothing of the run runs after. The retry
 * is made to land exactly before or after the cancel, by a store that does it there. On both stores.
 */

type Race = (runId: RunId) => Promise<void>;
/** What another replica does just before the cancel reaches the store. */
type Races = { before?: Race };

/** The store, whose cancelRun runs the race before it. */
function racing(store: Store, race: Races): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'cancelRun') {
        return async (...args: Parameters<Store['cancelRun']>) => {
          await race.before?.(args[0]);
          return target.cancelRun(...args);
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

  it('the retry lands just before the cancel: the cancel cancels the queued run (200); nothing runs after, and a retry afterwards is refused as canceled', async () => {
    const race: Races = {};
    const { fx, runId } = await failedRun(race);
    const retries: unknown[] = [];
    race.before = async (id) => {
      retries.push(await fx.store.retryRun(id, fx.clock.now()));
    };
    const res = await fx.app.request(`/runs/${runId}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: runId, status: 'canceled', error: { message: 'canceled by an operator' } });
    expect(retries).toEqual([{ retried: true }]);
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([]);
    const retry = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST' });
    expect(retry.status).toBe(409);
    expect(await retry.json()).toEqual({ error: `run ${runId} was canceled (canceled by an operator): a canceled run cannot be retried` });
  });

  it('the retry lands just after the cancel: the cancel closed out the failed run (200) and the retry is refused, naming the cancel; nothing runs after', async () => {
    const race: Races = {};
    const { fx, runId } = await failedRun(race);
    const res = await fx.app.request(`/runs/${runId}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: runId, status: 'canceled' });
    const retry = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST' });
    expect(retry.status).toBe(409);
    expect(await retry.json()).toEqual({ error: `run ${runId} was canceled (canceled by an operator): a canceled run cannot be retried` });
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([]);
    expect(await (await fx.app.request(`/runs/${runId}`)).json()).toMatchObject({ run: { id: runId, status: 'canceled' } });
  });
});
