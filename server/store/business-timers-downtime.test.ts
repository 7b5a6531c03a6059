// D14: business timers after downtime (review repro): one record, one reminder, whatever the batches.
import { describe, expect, it } from 'vitest';
import { asRunId } from '../engine/ids.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { BusinessTimer, NewRun } from '../store/store.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-10T08:00:00Z');
let seq = 0;
function runFor(timer: BusinessTimer): NewRun {
  seq += 1;
  return {
    id: asRunId(`run_t${String(seq).padStart(7, '0')}`),
    recipe: timer.recipe, recipeVersion: 1, recipeHash: 'hash-1',
    trigger: { type: 'timer', receivedAt: timer.fireAt, data: { key: timer.key, offset: timer.offset, date: timer.date } },
    dedupKey: `timer:${timer.key}:${timer.offset}:${timer.date}`,
    correlationKey: timer.key, cancelOnEvent: null, wakeAt: timer.fireAt, createdAt: timer.fireAt,
  };
}

describe('review: business timers after downtime', () => {
  it('runtime down across day 2 and day 14 of 600 records: each record fires only its latest offset (ARCHITECTURE "only the latest fires")', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    for (let i = 0; i < 600; i++) {
      await store.recomputeBusinessTimers({
        recipe: 'reminder', key: `MDF-${i}`, date: '2026-03-10', data: {}, asOf: null, now: T0,
        offsets: [2, 14, 28].map((d) => ({ offset: String(d), fireAt: T0 + d * DAY })),
      });
    }
    // Back up on day 15: the worker fires batches of 500 (TIMER_FIRE_BATCH) until none is due.
    const fired: BusinessTimer[] = [];
    for (;;) {
      const batch = await store.fireDueBusinessTimers({ now: T0 + 15 * DAY, limit: 500, runFor });
      fired.push(...batch.map((b) => b.timer));
      if (batch.length < 500) break;
    }
    const perRecord = new Map<string, string[]>();
    for (const t of fired) perRecord.set(t.key, [...(perRecord.get(t.key) ?? []), t.offset]);
    const twice = [...perRecord.entries()].filter(([, o]) => o.length > 1);
    await store.close();
    expect({ fired: fired.length, recordsFiredTwice: twice.length, example: twice[0] }).toEqual({ fired: 600, recordsFiredTwice: 0, example: undefined });
  });
});
