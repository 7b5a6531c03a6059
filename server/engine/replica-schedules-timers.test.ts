import { describe, expect, it } from 'vitest';
import type { RecipeInput } from '../../schemas/recipe.ts';
import type { EngineFixture } from '../../test/support/engine-fixture.ts';
import { useEngineReplicas } from '../../test/support/engine-replicas.ts';
import { VirtualClock } from './clock.ts';

/**
 * Schedules and business timers fire once across replicas (PostgreSQL): two engines on one database,
 * started at the same moment after a downtime of several slots, catch up together. A schedule slot is
 * a run with the dedup key `schedule:<time>` (a unique index: the second insert does nothing); a
 * business timer is marked fired by a compare-and-set on `pending` in the transaction of its run.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const hourly: RecipeInput = {
  name: 'hourly-digest',
  version: 1,
  description: 'an hourly schedule',
  trigger: { type: 'schedule', cron: '0 * * * *', timezone: 'UTC' },
  steps: [{ id: 'digest', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.scheduled_at %}' } }],
};

const reminder: RecipeInput = {
  name: 'reminder',
  version: 1,
  description: 'reminds about a thing 2 and 14 days after its end date (D14 in small)',
  trigger: { type: 'timer', record: 'fake.thing.happened', key: '{% data.id %}', date: '{% data.end %}', while: "{% data.status = 'Approved' %}", offsets: [2, 14] },
  steps: [{ id: 'remind', type: 'action', action: 'fake.record', input: { key: "{% $trigger.data.key & ':' & $string($trigger.data.offset) %}" } }],
};

const replicaSet = useEngineReplicas();

/** A replica: an engine on its own store (pool) of the shared schema, on the shared clock. */
const replica = (recipes: RecipeInput[], clock: VirtualClock, workerId: string): Promise<EngineFixture> => replicaSet.replica(recipes, { clock, workerId });

/** What all replicas' systems were told, sorted. */
const effects = (...replicas: EngineFixture[]) => replicas.flatMap((r) => r.system.effects.map((e) => e.key)).sort();

describe('schedules and business timers across replicas (PostgreSQL)', () => {
  it('two replicas back from a five-hour downtime at the same moment catch up each missed hourly slot exactly once, each with its own time', async () => {
    await replicaSet.schema();
    const clock = new VirtualClock('2026-03-02T09:00:00Z');
    const before = await replica([hourly], clock, 'replica-before');
    await before.engine.runUntilIdle(); // a new schedule starts from now (09:00)
    clock.advance(HOUR);
    await before.engine.runUntilIdle();
    expect(effects(before)).toEqual(['2026-03-02T10:00:00.000Z']);
    await replicaSet.close(before);

    // Down from 10:00 to 15:30: the slots 11:00 to 15:00 were missed.
    clock.set('2026-03-02T15:30:00Z');
    const a = await replica([hourly], clock, 'replica-a');
    const b = await replica([hourly], clock, 'replica-b');
    await Promise.all([a.engine.runUntilIdle(), b.engine.runUntilIdle(), a.engine.runUntilIdle(), b.engine.runUntilIdle()]);

    const slots = ['11', '12', '13', '14', '15'].map((h) => `2026-03-02T${h}:00:00.000Z`);
    expect(effects(a, b)).toEqual(slots);
    const runs = await a.store.listRuns({ recipe: 'hourly-digest', limit: 50 });
    const scheduled = runs.map((r) => (r.trigger.data as { scheduled_at: string }).scheduled_at).sort();
    expect(scheduled).toEqual(['2026-03-02T10:00:00.000Z', ...slots]);
    expect(runs.every((r) => r.status === 'completed')).toBe(true);

    // The next slot, reached by both together, is one run too.
    clock.set('2026-03-02T16:00:00Z');
    await Promise.all([a.engine.runUntilIdle(), b.engine.runUntilIdle()]);
    expect(effects(a, b)).toEqual([...slots, '2026-03-02T16:00:00.000Z']);
  });

  it('D14: two replicas back from a downtime at the same moment fire each due business timer once; of offsets due together only the latest fires', async () => {
    await replicaSet.schema();
    const clock = new VirtualClock('2026-03-02T09:00:00Z');
    const a = await replica([reminder], clock, 'replica-a');
    const b = await replica([reminder], clock, 'replica-b');
    await a.engine.deliver({ source: 'fake', event: 'thing.happened', deliveryId: 'rec-1', data: { id: 'R1', end: '2026-03-02', status: 'Approved' } });
    await b.engine.deliver({ source: 'fake', event: 'thing.happened', deliveryId: 'rec-2', data: { id: 'R2', end: '2026-03-05', status: 'Approved' } });
    await Promise.all([a.engine.runUntilIdle(), b.engine.runUntilIdle()]);
    expect(effects(a, b)).toEqual([]);

    // Both down until 17 March: R1's day 2 and day 14 are both past (only day 14 fires), R2's day 2 is past.
    clock.set('2026-03-17T12:00:00Z');
    await Promise.all([a.engine.runUntilIdle(), b.engine.runUntilIdle(), a.engine.runUntilIdle(), b.engine.runUntilIdle()]);
    expect(effects(a, b)).toEqual(['R1:14', 'R2:2']);

    clock.advance(8 * DAY);
    await Promise.all([a.engine.runUntilIdle(), b.engine.runUntilIdle()]);
    expect(effects(a, b)).toEqual(['R1:14', 'R2:14', 'R2:2']);
    const timers = [...(await a.store.recordBusinessTimers({ recipe: 'reminder', key: 'R1' })), ...(await a.store.recordBusinessTimers({ recipe: 'reminder', key: 'R2' }))];
    expect(timers.map((t) => `${t.key}:${t.offset}:${t.status}`).sort()).toEqual(['R1:14:fired', 'R1:2:skipped', 'R2:14:fired', 'R2:2:fired']);
    const runs = await a.store.listRuns({ recipe: 'reminder', limit: 50 });
    expect(runs).toHaveLength(3);
  });
});
