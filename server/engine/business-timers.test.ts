import { afterEach, describe, expect, it, vi } from 'vitest';
import { DateTime } from 'luxon';
import type { RecipeInput } from '../../schemas/recipe.ts';
import { engineFixture, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { advanceTime } from './advance-time.ts';
import { VirtualClock } from './clock.ts';
import { fireTimeOf, recordDay } from './business-timer-times.ts';
import { BERLIN_EASTER_2026 } from '../../test/support/berlin-calendar.ts';
import type { LifecycleEvent } from './lifecycle-events.ts';

const BERLIN = BERLIN_EASTER_2026;
const at = (day: string, offset: Parameters<typeof fireTimeOf>[1], options: { at?: string; on_non_business_day?: 'next_business_day' | 'same_day' } = {}) =>
  new Date(fireTimeOf(recordDay(day, BERLIN)!, offset, { at: options.at ?? '09:00', on_non_business_day: options.on_non_business_day ?? 'next_business_day' }, BERLIN)).toISOString();

describe('when a business timer fires (D14)', () => {
  it('counts calendar days from the date and fires at 09:00 in the calendar zone (summer time too)', () => {
    expect(at('2026-03-10', 2)).toBe('2026-03-12T08:00:00.000Z');
    expect(at('2026-03-20', 14)).toBe('2026-04-07T07:00:00.000Z'); // Good Friday, the weekend, Easter Monday
    expect(at('2026-03-24', 14)).toBe('2026-04-07T07:00:00.000Z');
  });

  it('moves a day that is a weekend day or holiday to the next business day, unless same_day', () => {
    expect(at('2026-03-12', 2)).toBe('2026-03-16T08:00:00.000Z'); // Saturday -> Monday
    expect(at('2026-03-12', 2, { on_non_business_day: 'same_day' })).toBe('2026-03-14T08:00:00.000Z');
    expect(at('2026-04-01', 2)).toBe('2026-04-07T07:00:00.000Z'); // Good Friday -> Tuesday after Easter Monday
    expect(at('2026-03-10', 2, { at: '16:30' })).toBe('2026-03-12T15:30:00.000Z');
  });

  it('takes ISO durations and business days as offsets, and an ISO time as the date (its day in the zone)', () => {
    expect(at('2026-03-10', 'P1M')).toBe('2026-04-10T07:00:00.000Z');
    expect(at('2026-04-02', { business_days: 1 })).toBe('2026-04-07T07:00:00.000Z');
    expect(recordDay('2026-03-10T23:30:00Z', BERLIN)?.toISODate()).toBe('2026-03-11');
    expect(recordDay('', BERLIN)).toBeNull();
    expect(recordDay('next week', BERLIN)).toBeNull();
    expect(recordDay(undefined, BERLIN)).toBeNull();
  });
});

const reminder: RecipeInput = {
  name: 'reminder',
  version: 1,
  description: 'reminds about a thing after its end date (D14 in small)',
  trigger: {
    type: 'timer',
    record: 'fake.thing.happened',
    key: '{% data.id %}',
    date: '{% data.end %}',
    while: "{% data.status = 'Approved' %}",
    offsets: [2, 14],
    stop_on: [{ event: 'fake.thing.happened', filter: "{% data.status = 'Claimed' %}" }],
  },
  steps: [{ id: 'remind', type: 'action', action: 'fake.record', input: { key: "{% $trigger.data.key & ':' & $string($trigger.data.offset) %}", value: '{% $trigger.data %}' } }],
};

describe('the timer trigger in the engine (D14)', () => {
  let fx: EngineFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  const deliver = (f: EngineFixture, data: Record<string, unknown>, deliveryId = `d-${Math.random()}`) =>
    f.engine.deliver({ source: 'fake', event: 'thing.happened', deliveryId, data });

  it('a record event sets its timers; each fires at its time into a run with the timer and the record; the log says "timer fired"', async () => {
    const events: LifecycleEvent[] = [];
    fx = await engineFixture([reminder], { calendar: BERLIN, onLifecycle: (e) => events.push(e) });
    await deliver(fx, { id: 'A', end: '2026-03-02', status: 'Approved' });
    expect(new Date((await fx.engine.nextWakeAt())!).toISOString()).toBe('2026-03-04T08:00:00.000Z');
    await advanceTime(fx.engine, fx.clock, 3 * 86_400_000);
    expect(fx.system.effects.map((e) => e.key)).toEqual(['A:2']);
    expect(fx.system.effects[0]!.value).toEqual({
      key: 'A',
      date: '2026-03-02',
      offset: 2,
      due_at: '2026-03-04T08:00:00.000Z',
      record: { id: 'A', end: '2026-03-02', status: 'Approved' },
    });
    const fired = events.find((e) => e.type === 'business-timer.fired');
    expect(fired).toMatchObject({ recipe: 'reminder', key: 'A', offset: '2', date: '2026-03-02' });
    // The log names the timer run by the record's key, not by its dedup key (timer:A:2:2026-03-02).
    expect(events.find((e) => e.type === 'run.completed')).toMatchObject({ recipe: 'reminder', key: 'A' });
    await advanceTime(fx.engine, fx.clock, 30 * 86_400_000);
    expect(fx.system.effects.map((e) => e.key)).toEqual(['A:2', 'A:14']);
  });

  it('while false cancels the pending timers; an event with while true again brings them back', async () => {
    fx = await engineFixture([reminder], { calendar: BERLIN });
    await deliver(fx, { id: 'A', end: '2026-03-02', status: 'Approved' });
    await deliver(fx, { id: 'A', end: '2026-03-02', status: 'Canceled' });
    expect(await fx.engine.nextWakeAt()).toBeNull();
    await advanceTime(fx.engine, fx.clock, 20 * 86_400_000);
    expect(fx.system.effects).toEqual([]);
    // Reinstated on day 20: day 2 and day 14 are both past; only day 14 fires, at once.
    await deliver(fx, { id: 'A', end: '2026-03-02', status: 'Approved' });
    await fx.engine.runUntilIdle();
    expect(fx.system.effects.map((e) => e.key)).toEqual(['A:14']);
  });

  it('a stop_on event (a claim) ends the timers for good, also against later record events', async () => {
    fx = await engineFixture([reminder], { calendar: BERLIN });
    await deliver(fx, { id: 'A', end: '2026-03-02', status: 'Approved' });
    await deliver(fx, { id: 'A', status: 'Claimed' });
    await deliver(fx, { id: 'A', end: '2026-03-02', status: 'Approved' });
    await advanceTime(fx.engine, fx.clock, 30 * 86_400_000);
    expect(fx.system.effects).toEqual([]);
  });

  it('an event whose date is missing or not a date cancels the pending timers and logs why; the delivery is accepted', async () => {
    const lines: string[] = [];
    const log = { debug() {}, info: (_: unknown, m: string) => lines.push(m), warn: (_: unknown, m: string) => lines.push(m), error() {} };
    fx = await engineFixture([reminder], { calendar: BERLIN, log });
    await deliver(fx, { id: 'A', end: '2026-03-02', status: 'Approved' });
    const result = await deliver(fx, { id: 'A', end: 'soon', status: 'Approved' });
    expect(result.duplicate).toBe(false);
    expect(await fx.engine.nextWakeAt()).toBeNull();
    expect(lines.some((l) => l.includes('timers of A canceled (2 pending)') && l.includes('"soon", not a date'))).toBe(true);
    await deliver(fx, { id: 'A', status: 'Approved' });
    expect(lines.some((l) => l.includes('is missing'))).toBe(true);
  });

  it('a timer computed after the business calendar\'s last day is logged, naming the table and the day', async () => {
    const lines: string[] = [];
    const log = { debug() {}, info() {}, warn: (_: unknown, m: string) => lines.push(m), error() {} };
    fx = await engineFixture([reminder], { calendar: BERLIN, log });
    await deliver(fx, { id: 'A', end: '2026-12-10', status: 'Approved' });
    expect(lines).toEqual([]);
    await deliver(fx, { id: 'B', end: '2026-12-28', status: 'Approved' });
    expect(lines).toEqual([
      "timer reminder for B, offset 14 after 2026-12-28, falls on 2027-01-11, after the last day of recipes/tables/business-calendar.json (2026-12-31): holidays of that day are not known, only weekends move it; add the next year's holidays",
    ]);
  });

  it('pending timers live in the store only: a new engine on the same store fires them, and two engines fire a timer once', async () => {
    fx = await engineFixture([reminder], { calendar: BERLIN });
    await deliver(fx, { id: 'A', end: '2026-03-02', status: 'Approved' });
    const second = await engineFixture([reminder], { calendar: BERLIN, store: fx.store, clock: fx.clock });
    expect(await second.engine.nextWakeAt()).toBe(DateTime.fromISO('2026-03-04T09:00', { zone: 'Europe/Berlin' }).toMillis());
    fx.clock.advance(3 * 86_400_000);
    await Promise.all([fx.engine.tick(), second.engine.tick()]);
    await Promise.all([fx.engine.runUntilIdle(), second.engine.runUntilIdle()]);
    expect([...fx.system.effects, ...second.system.effects].map((e) => e.key)).toEqual(['A:2']);
    expect(await fx.store.listRuns({ recipe: 'reminder', limit: 10 })).toHaveLength(1);
  });
});

describe('a changed offsets table at start (D14: "changing a number there changes behaviour with no code change")', () => {
  const fromTable: RecipeInput = { ...reminder, trigger: { ...(reminder.trigger as object), offsets: { table: 'claim-reminders', column: 'days_after_end' } } as RecipeInput['trigger'] };
  const days = (...d: number[]) => ({ 'claim-reminders': d.map((days_after_end) => ({ days_after_end })) });

  it('a restart with day 7 added and day 28 removed: the pending timers of a record that does not change follow, and the log says so', async () => {
    const first = await engineFixture([fromTable], { calendar: BERLIN, tables: days(2, 14, 28) });
    await first.engine.deliver({ source: 'fake', event: 'thing.happened', deliveryId: 'd1', data: { id: 'A', end: '2026-03-02', status: 'Approved' } });
    await first.engine.stop();
    const lines: string[] = [];
    const log = { debug() {}, info: (_: unknown, m: string) => lines.push(m), warn() {}, error: (_: unknown, m: string) => lines.push(m) };
    const second = await engineFixture([fromTable], { calendar: BERLIN, tables: days(2, 7, 14), store: first.store, clock: first.clock, log });
    try {
      second.engine.start();
      await vi.waitFor(() => expect(lines.some((l) => l.startsWith('timers of reminder follow the claim-reminders table'))).toBe(true));
      await second.engine.stop();
      const timers = await second.store.recordBusinessTimers({ recipe: 'reminder', key: 'A' });
      expect(Object.fromEntries(timers.map((t) => [t.offset, t.status]))).toEqual({ '2': 'pending', '7': 'pending', '14': 'pending', '28': 'canceled' });
      await advanceTime(second.engine, second.clock, 40 * 86_400_000);
      expect(second.system.effects.map((e) => e.key)).toEqual(['A:2', 'A:7', 'A:14']);
    } finally {
      await second.close();
    }
  });
});

describe('an offsets table of the user\'s own (review 6)', () => {
  it('refuses at start a day written twice: the two rows would be one timer where ops meant two', async () => {
    const fromTable: RecipeInput = { ...reminder, trigger: { ...(reminder.trigger as object), offsets: { table: 'followup-days', column: 'days_after_start' } } as RecipeInput['trigger'] };
    const rows = (...d: number[]) => ({ 'followup-days': d.map((days_after_start) => ({ days_after_start })) });
    await expect(engineFixture([fromTable], { calendar: BERLIN, tables: rows(3, 7, 7) })).rejects.toThrow(
      'recipe reminder: table followup-days: rows[2].days_after_start: 7 is already in rows[1]; a day fires one timer, so write each day once',
    );
    const fine = await engineFixture([fromTable], { calendar: BERLIN, tables: rows(3, 7) });
    await fine.close();
  });
});

describe('the claim-reminders table (D14)', () => {
  it('is checked at start: whole days above zero, each day once, the bad row named', async () => {
    const { createTables } = await import('./tables.ts');
    expect(() => createTables({ 'claim-reminders': [{ days_after_end: 2 }, { days_after_end: 14 }, { days_after_end: 2 }] })).toThrow(
      'tables/claim-reminders: rows[2].days_after_end: 2 is already in rows[0]; each reminder day once',
    );
    expect(() => createTables({ 'claim-reminders': [{ days_after_end: 0 }] })).toThrow(/tables\/claim-reminders: rows\[0\]\.days_after_end/);
    expect(() => createTables({ 'claim-reminders': [{ days_after_end: 2.5 }] })).toThrow(/rows\[0\]\.days_after_end/);
  });
});

describe('late timers wait for the trigger\'s catch-up window (D14, README "Late timers")', () => {
  const withCatchUp = (offsets: number[] = [2, 14]): RecipeInput => ({
    ...reminder,
    trigger: { ...(reminder.trigger as object), offsets, catch_up: { until: '17:00', wait: 'PT10M' } } as RecipeInput['trigger'],
  });
  let fx: EngineFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });
  const deliver = (f: EngineFixture, data: Record<string, unknown>) => f.engine.deliver({ source: 'fake', event: 'thing.happened', deliveryId: `d-${Math.random()}`, data });
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const statuses = async (f: EngineFixture) => Object.fromEntries((await f.store.recordBusinessTimers({ recipe: 'reminder', key: 'A' })).map((t) => [t.offset, t.status]));

  it('a record first seen at 02:00 with days 2 and 14 past: day 14 only, at 09:00 that business day, not at night', async () => {
    fx = await engineFixture([withCatchUp()], { calendar: BERLIN, clock: new VirtualClock('2026-03-19T01:00:00Z') }); // Thursday 02:00 in Berlin
    await deliver(fx, { id: 'A', end: '2026-03-02', status: 'Approved' });
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([]);
    expect(iso(await fx.engine.nextWakeAt())).toBe('2026-03-19T08:00:00.000Z');
    await advanceTime(fx.engine, fx.clock, 7 * 3_600_000);
    expect(fx.system.effects.map((e) => [e.key, (e.value as { due_at: string }).due_at])).toEqual([['A:14', '2026-03-19T08:00:00.000Z']]);
    expect(await statuses(fx)).toEqual({ '2': 'skipped', '14': 'fired' });
  });

  it('an offset armed less than catch_up.wait before its time goes out the wait after the event; an echo of the record does not push it on', async () => {
    fx = await engineFixture([withCatchUp()], { calendar: BERLIN, clock: new VirtualClock('2026-03-04T07:55:00Z') }); // day 2 is at 08:00Z
    await deliver(fx, { id: 'A', end: '2026-03-02', status: 'Approved' });
    expect(iso(await fx.engine.nextWakeAt())).toBe('2026-03-04T08:05:00.000Z');
    await advanceTime(fx.engine, fx.clock, 8 * 60_000);
    await deliver(fx, { id: 'A', end: '2026-03-02', status: 'Approved' });
    expect(iso(await fx.engine.nextWakeAt())).toBe('2026-03-04T08:05:00.000Z');
    await advanceTime(fx.engine, fx.clock, 2 * 60_000);
    expect(fx.system.effects.map((e) => e.key)).toEqual(['A:2']);
  });

  it('a late offset whose catch-up time is not before the next offset\'s is skipped: one reminder, the later one', async () => {
    // End Wednesday 2026-03-04: day 2 is Friday 09:00 (past at 18:00), day 4 is Sunday, so Monday 09:00, the catch-up time too.
    fx = await engineFixture([withCatchUp([2, 4])], { calendar: BERLIN, clock: new VirtualClock('2026-03-06T17:00:00Z') });
    await deliver(fx, { id: 'A', end: '2026-03-04', status: 'Approved' });
    await advanceTime(fx.engine, fx.clock, 4 * 86_400_000);
    expect(fx.system.effects.map((e) => [e.key, (e.value as { due_at: string }).due_at])).toEqual([['A:4', '2026-03-09T08:00:00.000Z']]);
    expect(await statuses(fx)).toEqual({ '2': 'skipped', '4': 'fired' });
  });

  it('a timer due while the runtime was down: back at 21:00 it waits for 09:00 of the next business day (logged); back within the window it fires at once', async () => {
    const lines: string[] = [];
    const log = { debug() {}, info: (_: unknown, m: string) => lines.push(m), warn() {}, error() {} };
    fx = await engineFixture([withCatchUp()], { calendar: BERLIN, log });
    await deliver(fx, { id: 'A', end: '2026-03-02', status: 'Approved' }); // day 2: Wednesday 2026-03-04 09:00
    fx.clock.advance(Date.parse('2026-03-04T20:00:00Z') - fx.clock.now()); // down until Wednesday 21:00
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([]);
    expect(iso(await fx.engine.nextWakeAt())).toBe('2026-03-05T08:00:00.000Z');
    expect(lines).toContain('timer reminder for A (offset 2, due 2026-03-04T08:00:00.000Z) is late and outside its catch-up window: it fires at 2026-03-05T08:00:00.000Z');
    await advanceTime(fx.engine, fx.clock, 12 * 3_600_000);
    expect(fx.system.effects.map((e) => e.key)).toEqual(['A:2']);
    // Day 14 (Monday 2026-03-16 09:00): down until 11:30 that day, within the window.
    fx.clock.advance(Date.parse('2026-03-16T10:30:00Z') - fx.clock.now());
    await fx.engine.runUntilIdle();
    expect(fx.system.effects.map((e) => e.key)).toEqual(['A:2', 'A:14']);
  });

  it('down across days 2 and 14, back on a Saturday: day 14 only, on Monday at 09:00', async () => {
    fx = await engineFixture([withCatchUp()], { calendar: BERLIN });
    await deliver(fx, { id: 'A', end: '2026-03-02', status: 'Approved' });
    fx.clock.advance(Date.parse('2026-03-21T10:00:00Z') - fx.clock.now()); // Saturday
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([]);
    expect(await statuses(fx)).toEqual({ '2': 'skipped', '14': 'pending' });
    await advanceTime(fx.engine, fx.clock, 3 * 86_400_000);
    expect(fx.system.effects.map((e) => [e.key, (e.value as { due_at: string }).due_at])).toEqual([['A:14', '2026-03-23T08:00:00.000Z']]);
  });

  it('without catch_up a late timer fires at once, as before (whatever the hour)', async () => {
    fx = await engineFixture([reminder], { calendar: BERLIN, clock: new VirtualClock('2026-03-19T01:00:00Z') });
    await deliver(fx, { id: 'A', end: '2026-03-02', status: 'Approved' });
    await fx.engine.runUntilIdle();
    expect(fx.system.effects.map((e) => e.key)).toEqual(['A:14']);
  });
});
