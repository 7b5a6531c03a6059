import { afterEach, describe, expect, it } from 'vitest';
import type { RecipeInput } from '../../schemas/recipe.ts';
import { engineFixture, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { VirtualClock } from './clock.ts';
import { previousScheduledSlot } from './previous-scheduled-slot.ts';

/**
 * D23: a schedule's event names the slot before it that this schedule actually fired
 * (`previous_scheduled_at`), so a window from there to `scheduled_at` tiles time with no gap and no
 * overlap whatever the cron, its zone, an edit of its hour, or a downtime caught up (the lead-share
 * digest reads exactly that window). The first fire of a schedule with no fired slot has none (null).
 */
const DAY = 24 * 3_600_000;

const digest = (cron: string, timezone: string, version = 1): RecipeInput => ({
  name: 'daily-digest',
  version,
  description: 'a daily digest',
  trigger: { type: 'schedule', cron, timezone },
  steps: [{ id: 'digest', type: 'action', action: 'fake.record', input: { key: "{% $string($trigger.data.previous_scheduled_at) & ' .. ' & $trigger.data.scheduled_at %}" } }],
});

const open: EngineFixture[] = [];
afterEach(async () => {
  for (const fx of open.splice(0)) await fx.close();
});

async function windows(fx: EngineFixture): Promise<string[]> {
  await fx.engine.runUntilIdle();
  return fx.system.effects.map((e) => e.key);
}

describe('D23: a schedule event names the previous slot fired (previous_scheduled_at)', () => {
  it('consecutive fires and a downtime caught up chain each slot to the one before it; the first fire has none', async () => {
    const fx = await engineFixture([digest('0 7 * * *', 'UTC')], { clock: new VirtualClock('2026-03-02T09:00:00Z') });
    open.push(fx);
    await fx.engine.runUntilIdle();
    await fx.clock.advance(DAY);
    await fx.engine.runUntilIdle();
    // Down for three days, then one pass catches up.
    fx.clock.set(Date.parse('2026-03-06T09:00:00Z'));
    expect(await windows(fx)).toEqual([
      'null .. 2026-03-03T07:00:00.000Z',
      '2026-03-03T07:00:00.000Z .. 2026-03-04T07:00:00.000Z',
      '2026-03-04T07:00:00.000Z .. 2026-03-05T07:00:00.000Z',
      '2026-03-05T07:00:00.000Z .. 2026-03-06T07:00:00.000Z',
    ]);
  });

  it('a 07:00 Europe/Berlin cron across both DST changes: each window starts where the one before ended (25 and 23 hours)', async () => {
    const fall = await engineFixture([digest('0 7 * * *', 'Europe/Berlin')], { clock: new VirtualClock('2026-10-23T12:00:00Z') });
    open.push(fall);
    await fall.engine.runUntilIdle();
    fall.clock.set('2026-10-26T12:00:00Z');
    expect(await windows(fall)).toEqual([
      'null .. 2026-10-24T05:00:00.000Z',
      '2026-10-24T05:00:00.000Z .. 2026-10-25T06:00:00.000Z',
      '2026-10-25T06:00:00.000Z .. 2026-10-26T06:00:00.000Z',
    ]);
    const spring = await engineFixture([digest('0 7 * * *', 'Europe/Berlin')], { clock: new VirtualClock('2027-03-26T12:00:00Z') });
    open.push(spring);
    await spring.engine.runUntilIdle();
    spring.clock.set('2027-03-29T12:00:00Z');
    expect(await windows(spring)).toEqual([
      'null .. 2027-03-27T06:00:00.000Z',
      '2027-03-27T06:00:00.000Z .. 2027-03-28T05:00:00.000Z',
      '2027-03-28T05:00:00.000Z .. 2027-03-29T05:00:00.000Z',
    ]);
  });

  it('the hour moved by ops (a restart on the edited recipe, 07:00 -> 08:00 -> 06:00 UTC): the next window starts at the last slot fired, not 24 hours back', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    const clock = new VirtualClock('2026-03-02T09:00:00Z');
    const first = await engineFixture([digest('0 7 * * *', 'UTC')], { store, clock });
    await first.engine.runUntilIdle();
    clock.set('2026-03-03T09:00:00Z');
    await first.engine.runUntilIdle();
    await first.engine.stop();
    const later = await engineFixture([digest('0 8 * * *', 'UTC', 2)], { store, clock });
    await later.engine.runUntilIdle();
    clock.set('2026-03-04T09:00:00Z');
    await later.engine.runUntilIdle();
    await later.engine.stop();
    const earlier = await engineFixture([digest('0 6 * * *', 'UTC', 3)], { store, clock });
    open.push(earlier);
    await earlier.engine.runUntilIdle();
    clock.set('2026-03-05T09:00:00Z');
    await earlier.engine.runUntilIdle();
    expect([...first.system.effects, ...later.system.effects, ...earlier.system.effects].map((e) => e.key)).toEqual([
      'null .. 2026-03-03T07:00:00.000Z',
      // Restarted at 09:00 on the new hour: today's 08:00 slot is after the last one fired, so it is
      // caught up, covering the hour between (a short window, not a gap).
      '2026-03-03T07:00:00.000Z .. 2026-03-03T08:00:00.000Z',
      '2026-03-03T08:00:00.000Z .. 2026-03-04T08:00:00.000Z',
      '2026-03-04T08:00:00.000Z .. 2026-03-05T06:00:00.000Z',
    ]);
  });
  it('two replicas on different hours at once (a rolling deploy of an edited cron, 07:00 -> 08:00): each window starts at the newest slot either fired, so none overlaps (review: each replica chained its own slots and every partner got two digests)', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    const clock = new VirtualClock('2026-03-02T06:30:00Z');
    const before = await engineFixture([digest('0 7 * * *', 'UTC')], { store, clock });
    await before.engine.runUntilIdle();
    clock.set('2026-03-02T07:30:00Z');
    await before.engine.runUntilIdle();
    await before.engine.stop();
    clock.set('2026-03-02T09:30:00Z');
    const old = await engineFixture([digest('0 7 * * *', 'UTC')], { store, clock });
    open.push(old);
    await old.engine.runUntilIdle();
    const edited = await engineFixture([digest('0 8 * * *', 'UTC', 2)], { store, clock });
    open.push(edited);
    await edited.engine.runUntilIdle();
    clock.set('2026-03-03T09:30:00Z');
    await old.engine.runUntilIdle();
    await edited.engine.runUntilIdle();
    expect([...before.system.effects, ...old.system.effects, ...edited.system.effects].map((e) => e.key).sort()).toEqual([
      '2026-03-02T07:00:00.000Z .. 2026-03-02T08:00:00.000Z',
      '2026-03-02T08:00:00.000Z .. 2026-03-03T07:00:00.000Z',
      '2026-03-03T07:00:00.000Z .. 2026-03-03T08:00:00.000Z',
      'null .. 2026-03-02T07:00:00.000Z',
    ]);
  });
  it('a slot run again by hand (`partnerflow run --event` without previous_scheduled_at) reads the same previous slot its scheduled run had: the same window and once_per keys, so nothing is sent twice (review: it keyed by day and every partner got a second digest)', async () => {
    const clock = new VirtualClock('2026-03-02T06:30:00Z');
    const fx = await engineFixture([digest('0 7 * * *', 'UTC')], { clock });
    open.push(fx);
    await fx.engine.runUntilIdle();
    clock.set('2026-03-03T09:00:00Z');
    expect(await windows(fx)).toEqual(['null .. 2026-03-02T07:00:00.000Z', '2026-03-02T07:00:00.000Z .. 2026-03-03T07:00:00.000Z']);
    const slot = Date.parse('2026-03-03T07:00:00Z');
    // What run-command gives the hand run of the 03-03 slot: the slot the scheduled run named.
    expect(await previousScheduledSlot(fx.store, 'daily-digest', slot)).toBe(Date.parse('2026-03-02T07:00:00Z'));
    // A hand run (not a schedule's fire) is no slot fired: the next fire still chains to 03-03 07:00.
    await fx.engine.startRun('daily-digest', { scheduled_at: '2026-03-03T08:00:00.000Z', previous_scheduled_at: null });
    expect(await previousScheduledSlot(fx.store, 'daily-digest', Date.parse('2026-03-04T07:00:00Z'))).toBe(slot);
    clock.set('2026-03-04T09:00:00Z');
    expect((await windows(fx)).at(-1)).toBe('2026-03-03T07:00:00.000Z .. 2026-03-04T07:00:00.000Z');
  });
});
