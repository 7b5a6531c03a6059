import { describe, expect, it } from 'vitest';
import { timerDedupKey } from './business-timers-store.ts';
import { asRunId } from '../engine/ids.ts';
import { openSqliteDatabase } from './sqlite-store.ts';
import { SqliteStore } from './sqlite-sync-store.ts';
import type { BusinessTimer, NewRun } from './store.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-10T08:00:00Z');

function runFor(timer: BusinessTimer): NewRun {
  return {
    id: asRunId(`run_race_${timer.id}`),
    recipe: timer.recipe,
    recipeVersion: 1,
    recipeHash: 'hash-1',
    trigger: { type: 'timer', receivedAt: timer.fireAt, data: { key: timer.key, offset: timer.offset, date: timer.date } },
    dedupKey: timerDedupKey(timer.key, timer.offset, timer.date),
    correlationKey: timer.key,
    cancelOnEvent: null,
    wakeAt: timer.fireAt,
    createdAt: timer.fireAt,
  };
}

describe('business timers: a recompute between the due read and the fired update', () => {
  it('D14: the end date moved after the worker read the day-2 timer as due: the timer is not fired for the old date and waits for its new time', async () => {
    const { sqlite, db } = await openSqliteDatabase(':memory:');
    const store = new SqliteStore(sqlite, db);
    try {
      await store.recomputeBusinessTimers({
        recipe: 'reminder', key: 'MDF-1', date: '2026-03-10', data: {}, asOf: null, now: T0,
        offsets: [{ offset: '2', fireAt: T0 + 2 * DAY }],
      });
      const moved = T0 + 9 * DAY;
      const fired = await store.fireDueBusinessTimers({
        now: T0 + 2 * DAY,
        limit: 10,
        // What PostgreSQL allows between the worker's due SELECT and its UPDATE: another replica's
        // recompute (the end date moved a week later) commits. Here it is written on the same connection.
        runFor: (timer) => {
          sqlite.prepare('update business_timers set fire_at = ?, record_date = ? where id = ?').run(moved, '2026-03-17', timer.id);
          return runFor(timer);
        },
      });
      expect(fired).toEqual([]);
      expect(await store.listRuns({ recipe: 'reminder', limit: 10 })).toEqual([]);
      const [timer] = await store.recordBusinessTimers({ recipe: 'reminder', key: 'MDF-1' });
      expect(timer).toMatchObject({ status: 'pending', date: '2026-03-17', fireAt: moved });
      expect((await store.fireDueBusinessTimers({ now: moved, limit: 10, runFor })).map((f) => f.timer.date)).toEqual(['2026-03-17']);
    } finally {
      await store.close();
    }
  });
});
