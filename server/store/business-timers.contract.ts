import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { timerDedupKey } from './business-timers-store.ts';
import { asRunId } from '../engine/ids.ts';
import type { BusinessTimer, LiftTimerStopOutcome, NewRun, RecomputeTimersInput, Store, TimersPlan, TimerStop } from './store.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-10T08:00:00Z');
let seq = 0;

/** Day offsets 2, 14, 28 after T0's day, at T0's time. */
function offsets(base = T0, days = [2, 14, 28]): RecomputeTimersInput['offsets'] {
  return days.map((d) => ({ offset: String(d), fireAt: base + d * DAY }));
}

function input(over: Partial<RecomputeTimersInput> = {}): RecomputeTimersInput {
  return { recipe: 'reminder', key: 'MDF-1', date: '2026-03-10', data: { status: 'Approved' }, asOf: null, offsets: offsets(), now: T0, ...over };
}

/** The run a due timer starts, as the engine makes it. */
function runFor(timer: BusinessTimer): NewRun {
  seq += 1;
  return {
    id: asRunId(`run_t${String(seq).padStart(6, '0')}`),
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

/**
 * Business timers (the `timer` trigger, D14) in a Store: the recompute rules, and that a timer fires
 * exactly once with several workers or replicas and across a crash. `open` opens a fresh store;
 * `openSecond`, when given, a second store on the same database (a replica).
 */
export function describeBusinessTimersContract(name: string, open: () => Promise<Store>): void {
  describe(`Business timers: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    const statuses = async (key = 'MDF-1') => Object.fromEntries((await store.recordBusinessTimers({ recipe: 'reminder', key })).map((t) => [t.offset, t.status]));
    const fire = (now: number, limit = 500) => store.fireDueBusinessTimers({ now, limit, runFor });

    it('D14: keeps one pending timer per offset, lists them soonest first and knows the next fire time', async () => {
      await store.recomputeBusinessTimers(input({ key: 'MDF-2', offsets: offsets(T0 + DAY) }));
      await store.recomputeBusinessTimers(input());
      expect(await store.nextBusinessTimerAt()).toBe(T0 + 2 * DAY);
      const listed = await store.listBusinessTimers({ limit: 3 });
      expect(listed.map((t) => `${t.key}:${t.offset}`)).toEqual(['MDF-1:2', 'MDF-2:2', 'MDF-1:14']);
      const next = await store.listBusinessTimers({ limit: 10, after: { fireAt: listed[2]!.fireAt, id: listed[2]!.id } });
      expect(next.map((t) => `${t.key}:${t.offset}`)).toEqual(['MDF-2:14', 'MDF-1:28', 'MDF-2:28']);
    });

    it('D14: fires a due timer into a run once; a fired offset never fires again when the date moves, the others move', async () => {
      await store.recomputeBusinessTimers(input());
      const [fired] = await fire(T0 + 2 * DAY);
      expect(fired?.timer.offset).toBe('2');
      const run = await store.getRun(fired!.runId);
      expect(run).toMatchObject({ status: 'queued', dedupKey: 'timer:MDF-1:2:2026-03-10', correlationKey: 'MDF-1' });
      expect(await fire(T0 + 2 * DAY)).toEqual([]);
      // The end date moves a week later: day 2 stays fired, days 14 and 28 follow.
      const later = T0 + 7 * DAY;
      await store.recomputeBusinessTimers(input({ date: '2026-03-17', offsets: offsets(later), now: T0 + 3 * DAY }));
      expect(await statuses()).toEqual({ '2': 'fired', '14': 'pending', '28': 'pending' });
      expect(await store.nextBusinessTimerAt()).toBe(later + 14 * DAY);
      expect(await fire(later + 9 * DAY)).toEqual([]);
    });

    it('D14: of several offsets already past, only the latest fires (at once); the earlier are skipped', async () => {
      const now = T0 + 20 * DAY;
      const outcome = await store.recomputeBusinessTimers(input({ now }));
      expect(outcome).toEqual({ kind: 'applied', pending: 2, skipped: ['2'] });
      expect(await statuses()).toEqual({ '2': 'skipped', '14': 'pending', '28': 'pending' });
      const fired = await fire(now);
      expect(fired.map((f) => f.timer.offset)).toEqual(['14']);
    });

    it('D14, late timers: with catchUpAt the latest past offset waits until then (reason says when it was due), an echo keeps that time, a new catchUpAt after a later offset skips it', async () => {
      const now = T0 + 20 * DAY;
      const catchUpAt = now + 0.5 * DAY;
      expect(await store.recomputeBusinessTimers(input({ now, catchUpAt }))).toEqual({ kind: 'applied', pending: 2, skipped: ['2'] });
      const day14 = (await store.recordBusinessTimers({ recipe: 'reminder', key: 'MDF-1' })).find((t) => t.offset === '14');
      expect(day14).toMatchObject({ status: 'pending', fireAt: catchUpAt, reason: `late (due ${new Date(T0 + 14 * DAY).toISOString()}): sent at the trigger's catch-up time` });
      expect(await fire(now)).toEqual([]);
      // The record's echo an hour later, with a later catch-up time of its own: the timer keeps its time.
      await store.recomputeBusinessTimers(input({ now: now + 3_600_000, catchUpAt: catchUpAt + 3_600_000 }));
      expect(await store.nextBusinessTimerAt()).toBe(catchUpAt);
      expect((await fire(catchUpAt)).map((f) => f.timer.offset)).toEqual(['14']);
      // Another record first seen on day 27 with a catch-up time after day 28's: day 28 only.
      const late = await store.recomputeBusinessTimers(input({ key: 'MDF-2', now: T0 + 27.9 * DAY, catchUpAt: T0 + 28 * DAY }));
      expect(late).toEqual({ kind: 'applied', pending: 1, skipped: ['2', '14'] });
    });

    it('D14, late timers: a due timer the engine defers (outside its catch-up window) stays pending at its new time, then fires once', async () => {
      await store.recomputeBusinessTimers(input());
      const now = T0 + 2 * DAY + 12 * 3_600_000;
      const later = now + 11 * 3_600_000;
      const deferred = await store.fireDueBusinessTimers({ now, limit: 500, runFor: () => ({ deferTo: later, reason: 'late: the window opens later' }) });
      expect(deferred).toEqual([]);
      const day2 = (await store.recordBusinessTimers({ recipe: 'reminder', key: 'MDF-1' })).find((t) => t.offset === '2');
      expect(day2).toMatchObject({ status: 'pending', fireAt: later, reason: 'late: the window opens later' });
      expect(await store.nextBusinessTimerAt()).toBe(later);
      expect(await fire(later - 1)).toEqual([]);
      expect((await fire(later)).map((f) => f.timer.offset)).toEqual(['2']);
      expect(await statuses()).toEqual({ '2': 'fired', '14': 'pending', '28': 'pending' });
    });

    it('D14: the runtime down across day 2 and day 14: only day 14 fires, day 2 is skipped "overtaken by day 14", also when a batch reads only day 2', async () => {
      await store.recomputeBusinessTimers(input({ key: 'MDF-1' }));
      await store.recomputeBusinessTimers(input({ key: 'MDF-2' }));
      // Batches of one: the first read holds only day-2 rows, whose day 14 comes in a later read.
      const fired = [...(await fire(T0 + 15 * DAY, 1)), ...(await fire(T0 + 15 * DAY, 1)), ...(await fire(T0 + 15 * DAY, 1))];
      expect(fired.map((f) => `${f.timer.key}:${f.timer.offset}`).sort()).toEqual(['MDF-1:14', 'MDF-2:14']);
      const day2 = (await store.recordBusinessTimers({ recipe: 'reminder', key: 'MDF-1' })).find((t) => t.offset === '2');
      expect(day2).toMatchObject({ status: 'skipped', reason: 'overtaken by day 14' });
      expect(await statuses('MDF-2')).toEqual({ '2': 'skipped', '14': 'fired', '28': 'pending' });
    });

    it('D14, D12: cancel ends the pending timers; a later recompute (request reinstated) brings them back, fired ones stay fired', async () => {
      await store.recomputeBusinessTimers(input());
      await fire(T0 + 2 * DAY);
      expect(await store.cancelBusinessTimers({ recipe: 'reminder', key: 'MDF-1', reason: 'status is Canceled', stop: false, now: T0 + 10 * DAY })).toEqual({ kind: 'canceled', canceled: 2 });
      expect(await statuses()).toEqual({ '2': 'fired', '14': 'canceled', '28': 'canceled' });
      expect(await store.nextBusinessTimerAt()).toBeNull();
      await store.recomputeBusinessTimers(input({ now: T0 + 11 * DAY }));
      expect(await statuses()).toEqual({ '2': 'fired', '14': 'pending', '28': 'pending' });
    });

    it('D14: a stop (a claim exists) ends the timers for good: a later event recomputes nothing', async () => {
      await store.recomputeBusinessTimers(input());
      await store.cancelBusinessTimers({ recipe: 'reminder', key: 'MDF-1', reason: 'stopped by prm.mdf_claim.submitted', stop: true, now: T0 + DAY });
      expect(await store.recomputeBusinessTimers(input({ now: T0 + 2 * DAY }))).toEqual({ kind: 'stopped', reason: 'stopped by prm.mdf_claim.submitted' });
      expect(await statuses()).toEqual({ '2': 'canceled', '14': 'canceled', '28': 'canceled' });
      expect(await store.listBusinessTimers({ limit: 10 })).toEqual([]);
    });

    /** Lifts a stopper's stops from every key but `keepKey` (every key when null) as the engine does: each with the timers recomputed from the state its marker holds. */
    const lift = async (stopper: string, keepKey: string | null, now: number, plan: (stop: TimerStop) => TimersPlan | null = (stop) => recomputeFrom(stop, now)) => {
      const outcomes: Array<{ key: string } & LiftTimerStopOutcome> = [];
      for (const stop of await store.listBusinessTimerStops({ recipe: 'reminder', stopper, keepKey })) {
        outcomes.push({ key: stop.key, ...(await store.liftBusinessTimerStop({ recipe: 'reminder', stopper, key: stop.key, revision: stop.revision, then: plan(stop), now })) });
      }
      return outcomes;
    };
    const recomputeFrom = (stop: TimerStop, now: number): Extract<TimersPlan, { kind: 'recompute' }> => ({
      kind: 'recompute',
      input: input({ key: stop.key, date: stop.date, data: stop.data, asOf: stop.asOf, offsets: offsets(Date.parse(`${stop.date}T08:00:00Z`)), now }),
    });
    const stopBy = (key: string, stopper: string, now: number) => store.cancelBusinessTimers({ recipe: 'reminder', key, reason: 'stopped by prm.mdf_claim.submitted', stop: true, stopper, now });

    it('D14: a stop kept per stopper (a claim) is lifted when the claim moves to another record: the timers are recomputed from the record\'s last state, unless another claim still stops it', async () => {
      await store.recomputeBusinessTimers(input({ asOf: 1000 }));
      await stopBy('MDF-1', 'claim-7', T0 + DAY);
      await stopBy('MDF-1', 'claim-8', T0 + DAY);
      // While stopped, the record's newer state is kept, not applied.
      const moved = { status: 'Approved', endDate: '2026-03-11' };
      expect(await store.recomputeBusinessTimers(input({ date: '2026-03-11', data: moved, asOf: 2000, offsets: offsets(T0 + DAY), now: T0 + DAY }))).toMatchObject({ kind: 'stopped' });
      expect(await statuses()).toEqual({ '2': 'canceled', '14': 'canceled', '28': 'canceled' });
      // Claim 7 moves to MDF-2: claim 8 still stops MDF-1.
      expect(await store.listBusinessTimerStops({ recipe: 'reminder', stopper: 'claim-7', keepKey: 'MDF-2' })).toEqual([
        { key: 'MDF-1', date: '2026-03-11', data: moved, asOf: 2000, revision: expect.any(String) },
      ]);
      expect(await lift('claim-7', 'MDF-2', T0 + DAY)).toEqual([{ key: 'MDF-1', kind: 'still-stopped' }]);
      expect(await lift('claim-7', 'MDF-2', T0 + DAY)).toEqual([]);
      expect(await statuses()).toEqual({ '2': 'canceled', '14': 'canceled', '28': 'canceled' });
      // Claim 8 moves too: nothing stops MDF-1, its timers follow its latest state; staying on its key lifts nothing.
      expect(await lift('claim-8', 'MDF-1', T0 + DAY)).toEqual([]);
      expect(await lift('claim-8', 'MDF-3', T0 + DAY)).toEqual([{ key: 'MDF-1', kind: 'lifted', applied: { kind: 'applied', pending: 3, skipped: [] } }]);
      expect(await statuses()).toEqual({ '2': 'pending', '14': 'pending', '28': 'pending' });
      expect((await store.listBusinessTimers({ limit: 1 }))[0]).toMatchObject({ key: 'MDF-1', date: '2026-03-11', data: moved });
      expect(await lift('claim-8', 'MDF-3', T0 + DAY)).toEqual([]);
    });

    it('D14: a stopper that stops nothing any more (a claim Denied) has its stops lifted from every key, the one its event carries included', async () => {
      await store.recomputeBusinessTimers(input());
      await store.recomputeBusinessTimers(input({ key: 'MDF-2' }));
      await stopBy('MDF-1', 'claim-7', T0 + DAY);
      await stopBy('MDF-2', 'claim-7', T0 + DAY);
      expect((await store.listBusinessTimerStops({ recipe: 'reminder', stopper: 'claim-7', keepKey: null })).map((s) => s.key)).toEqual(['MDF-1', 'MDF-2']);
      expect(await lift('claim-7', null, T0 + DAY)).toEqual([
        { key: 'MDF-1', kind: 'lifted', applied: { kind: 'applied', pending: 3, skipped: [] } },
        { key: 'MDF-2', kind: 'lifted', applied: { kind: 'applied', pending: 3, skipped: [] } },
      ]);
      expect(await store.listBusinessTimerStops({ recipe: 'reminder', stopper: 'claim-7', keepKey: null })).toEqual([]);
    });

    it('D14: a stopper\'s events are taken newest first (stop_on as_of, migration 0024): an older one than taken is refused, an equal one (a redelivery) and a newer one taken, per recipe and stopper', async () => {
      const take = (stopper: string, asOf: number, recipe = 'reminder') => store.takeBusinessTimerStopperStamp({ recipe, stopper, asOf, now: T0 });
      expect(await take('claim-7', 3000)).toBe(true);
      // The claim's change from before its denial, delivered late: refused.
      expect(await take('claim-7', 2000)).toBe(false);
      expect(await take('claim-7', 3000)).toBe(true);
      expect(await take('claim-7', 4000)).toBe(true);
      expect(await take('claim-7', 3000)).toBe(false);
      // Another claim, or the same claim in another recipe, has a stamp of its own.
      expect(await take('claim-8', 1000)).toBe(true);
      expect(await take('claim-7', 1000, 'other-reminder')).toBe(true);
    });

    it('D14: a stop takes its stopper\'s stamp in its own transaction: an older event that passed its first check after a newer one was applied stops nothing (stale), an equal or newer one stops', async () => {
      await store.recomputeBusinessTimers(input());
      // The claim's denial (stamp 4000) was applied meanwhile: the late change from before it (3000) stops nothing.
      expect(await store.takeBusinessTimerStopperStamp({ recipe: 'reminder', stopper: 'claim-7', asOf: 4000, now: T0 })).toBe(true);
      const stop = (asOf: number) => store.cancelBusinessTimers({ recipe: 'reminder', key: 'MDF-1', reason: 'stopped by claim', stop: true, stopper: 'claim-7', stopperAsOf: asOf, now: T0 + DAY });
      expect(await stop(3000)).toEqual({ kind: 'stale' });
      expect(await store.listBusinessTimerStops({ recipe: 'reminder', stopper: 'claim-7', keepKey: null })).toEqual([]);
      expect(await statuses()).toEqual({ '2': 'pending', '14': 'pending', '28': 'pending' });
      expect(await stop(4000)).toEqual({ kind: 'canceled', canceled: 3 });
      expect((await store.listBusinessTimerStops({ recipe: 'reminder', stopper: 'claim-7', keepKey: null })).map((s) => s.key)).toEqual(['MDF-1']);
    });

    it('D14: a lift whose timers cannot be written lifts nothing: the stop stays for the next delivery of the event, which lifts it', async () => {
      await store.recomputeBusinessTimers(input());
      await stopBy('MDF-1', 'claim-7', T0 + DAY);
      // The write fails inside the lift's transaction (a value the store cannot keep stands for any store error).
      const unwritable = (stop: TimerStop): TimersPlan => ({ kind: 'recompute', input: { ...recomputeFrom(stop, T0 + DAY).input, data: { amount: 10n } } });
      await expect(lift('claim-7', 'MDF-2', T0 + DAY, unwritable)).rejects.toThrow();
      expect(await statuses()).toEqual({ '2': 'canceled', '14': 'canceled', '28': 'canceled' });
      expect(await lift('claim-7', 'MDF-2', T0 + 2 * DAY)).toMatchObject([{ key: 'MDF-1', kind: 'lifted', applied: { kind: 'applied' } }]);
      expect(await statuses()).toEqual({ '2': 'pending', '14': 'pending', '28': 'pending' });
    });

    it('D14: a stop whose record changed between the read and the lift lifts nothing; read again, it lifts with the newer state', async () => {
      await store.recomputeBusinessTimers(input({ asOf: 1000 }));
      await stopBy('MDF-1', 'claim-7', T0 + DAY);
      const [read] = await store.listBusinessTimerStops({ recipe: 'reminder', stopper: 'claim-7', keepKey: 'MDF-2' });
      // The end date moves while the claim still stops the record: the marker keeps the newer state.
      expect(await store.recomputeBusinessTimers(input({ date: '2026-03-17', data: { status: 'Approved', endDate: '2026-03-17' }, asOf: 2000, offsets: offsets(T0 + 7 * DAY), now: T0 + DAY }))).toMatchObject({ kind: 'stopped' });
      expect(await store.liftBusinessTimerStop({ recipe: 'reminder', stopper: 'claim-7', key: 'MDF-1', revision: read!.revision, then: recomputeFrom(read!, T0 + DAY), now: T0 + DAY })).toEqual({ kind: 'changed' });
      expect(await statuses()).toEqual({ '2': 'canceled', '14': 'canceled', '28': 'canceled' });
      expect(await lift('claim-7', 'MDF-2', T0 + DAY)).toMatchObject([{ key: 'MDF-1', kind: 'lifted', applied: { kind: 'applied', pending: 3 } }]);
      expect((await store.listBusinessTimers({ limit: 1 }))[0]).toMatchObject({ date: '2026-03-17', fireAt: T0 + 9 * DAY });
    });

    it('D14: a lifted stop whose record asks for no timers (while false) cancels them; one that held no state lifts only the stop', async () => {
      await store.recomputeBusinessTimers(input());
      await stopBy('MDF-1', 'claim-7', T0 + DAY);
      await stopBy('MDF-9', 'claim-7', T0 + DAY);
      const outcomes = await lift('claim-7', 'MDF-2', T0 + DAY, (stop) => (stop.date === '' ? null : { kind: 'cancel', input: { recipe: 'reminder', key: stop.key, reason: 'status is Canceled', stop: false, now: T0 + DAY } }));
      expect(outcomes).toEqual([
        { key: 'MDF-1', kind: 'lifted', applied: { kind: 'canceled', canceled: 0 } },
        { key: 'MDF-9', kind: 'lifted', applied: null },
      ]);
      expect(await store.listBusinessTimerStops({ recipe: 'reminder', stopper: 'claim-7', keepKey: 'MDF-2' })).toEqual([]);
      expect(await statuses()).toEqual({ '2': 'canceled', '14': 'canceled', '28': 'canceled' });
    });

    it('D14: a request canceled while a claim stopped its timers is not re-armed when the claim moves away (the cancel is newer than the state kept)', async () => {
      await store.recomputeBusinessTimers(input({ asOf: 1000 }));
      await stopBy('MDF-1', 'claim-7', T0 + DAY);
      expect(await store.cancelBusinessTimers({ recipe: 'reminder', key: 'MDF-1', reason: 'status is Canceled', stop: false, asOf: 3000, now: T0 + DAY })).toEqual({ kind: 'canceled', canceled: 0 });
      const [stop] = await store.listBusinessTimerStops({ recipe: 'reminder', stopper: 'claim-7', keepKey: 'MDF-2' });
      expect(stop).toMatchObject({ key: 'MDF-1', date: '2026-03-10', data: { status: 'Approved' }, asOf: 1000 });
      // The engine recomputes from the state kept, with its stamp: older than the cancel, so stale.
      expect(await lift('claim-7', 'MDF-2', T0 + DAY)).toEqual([{ key: 'MDF-1', kind: 'lifted', applied: { kind: 'stale' } }]);
      expect(await store.listBusinessTimers({ limit: 10 })).toEqual([]);
    });

    it('an event older than the state already applied (its as_of) changes nothing', async () => {
      await store.recomputeBusinessTimers(input({ date: '2026-03-17', offsets: offsets(T0 + 7 * DAY), asOf: 2000 }));
      expect(await store.recomputeBusinessTimers(input({ asOf: 1000 }))).toEqual({ kind: 'stale' });
      expect((await store.listBusinessTimers({ limit: 1 }))[0]?.date).toBe('2026-03-17');
    });

    it('D14: a cancel older than the state applied (its as_of) cancels nothing; a newer cancel is kept, so an older event does not re-arm', async () => {
      await store.recomputeBusinessTimers(input({ asOf: 2000 }));
      const cancel = (asOf: number) => store.cancelBusinessTimers({ recipe: 'reminder', key: 'MDF-1', reason: 'status is Canceled', stop: false, asOf, now: T0 + DAY });
      expect(await cancel(1000)).toEqual({ kind: 'stale' });
      expect(await statuses()).toEqual({ '2': 'pending', '14': 'pending', '28': 'pending' });
      expect(await cancel(3000)).toEqual({ kind: 'canceled', canceled: 3 });
      expect(await store.recomputeBusinessTimers(input({ asOf: 2500 }))).toEqual({ kind: 'stale' });
      expect(await statuses()).toEqual({ '2': 'canceled', '14': 'canceled', '28': 'canceled' });
      // A record whose first event cancels has no timer row, and still keeps the stamp.
      expect(await store.cancelBusinessTimers({ recipe: 'reminder', key: 'MDF-9', reason: 'status is Canceled', stop: false, asOf: 3000, now: T0 })).toEqual({ kind: 'canceled', canceled: 0 });
      expect(await store.recomputeBusinessTimers(input({ key: 'MDF-9', asOf: 2000 }))).toEqual({ kind: 'stale' });
      expect(await store.recordBusinessTimers({ recipe: 'reminder', key: 'MDF-9' })).toEqual([]);
    });

    it('an offset the trigger no longer has (ops changed the reminder days) is canceled', async () => {
      await store.recomputeBusinessTimers(input());
      await store.recomputeBusinessTimers(input({ offsets: offsets(T0, [7]) }));
      expect(await statuses()).toEqual({ '2': 'canceled', '7': 'pending', '14': 'canceled', '28': 'canceled' });
    });

    it('D14: ops change the offsets table: new days reach records with pending timers (a day already past is skipped, not sent late), removed days are canceled, an unchanged table changes nothing', async () => {
      const sync = (days: number[], now: number) =>
        store.syncBusinessTimerOffsets({
          recipe: 'reminder',
          offsets: days.map(String),
          fireTimes: (date) => (date === '2026-03-10' ? offsets(T0, days) : null),
          source: 'claim-reminders table',
          now,
        });
      await store.recomputeBusinessTimers(input({ key: 'MDF-1' }));
      await store.recomputeBusinessTimers(input({ key: 'MDF-2' }));
      await store.cancelBusinessTimers({ recipe: 'reminder', key: 'MDF-2', reason: 'status is Canceled', stop: false, now: T0 });
      await fire(T0 + 2 * DAY);
      expect(await sync([2, 14, 28], T0 + 2 * DAY)).toMatchObject({ kind: 'applied', added: ['2', '14', '28'], pending: 0, skipped: 0, firstSync: true });
      expect(await sync([2, 14, 28], T0 + 2 * DAY)).toEqual({ kind: 'unchanged' });
      // Day 3: ops add day 7 (still to come) and day 1 (already past), and remove day 14.
      expect(await sync([1, 2, 7, 28], T0 + 3 * DAY)).toEqual({ kind: 'applied', added: ['1', '7'], removed: ['14'], canceled: 1, pending: 1, skipped: 1, records: 1, firstSync: false });
      expect(await statuses('MDF-1')).toEqual({ '1': 'skipped', '2': 'fired', '7': 'pending', '14': 'canceled', '28': 'pending' });
      const day1 = (await store.recordBusinessTimers({ recipe: 'reminder', key: 'MDF-1' })).find((t) => t.offset === '1');
      expect(day1?.reason).toBe('added to the claim-reminders table after its time had passed; not sent late');
      // The canceled request gets nothing new.
      expect(await statuses('MDF-2')).toEqual({ '2': 'canceled', '14': 'canceled', '28': 'canceled' });
      expect((await fire(T0 + 7 * DAY)).map((f) => `${f.timer.key}:${f.timer.offset}`)).toEqual(['MDF-1:7']);
      // Day 14 back in the table: its canceled timer comes back.
      expect(await sync([2, 14, 28], T0 + 8 * DAY)).toMatchObject({ added: ['14'], removed: ['1', '7'], pending: 1, canceled: 0 });
      expect(await statuses('MDF-1')).toMatchObject({ '14': 'pending', '28': 'pending' });
    });

    it('two workers firing at once fire each timer once', async () => {
      for (let i = 0; i < 50; i++) await store.recomputeBusinessTimers(input({ key: `MDF-${i}`, offsets: offsets(T0, [2]) }));
      const [a, b] = await Promise.all([fire(T0 + 2 * DAY, 30), fire(T0 + 2 * DAY, 30)]);
      const again = await fire(T0 + 2 * DAY, 100);
      const runIds = [...a!, ...b!, ...again].map((f) => f.runId);
      expect(new Set([...a!, ...b!, ...again].map((f) => f.timer.key)).size).toBe(50);
      expect(runIds).toHaveLength(50);
      expect(await store.listRuns({ recipe: 'reminder', limit: 100 })).toHaveLength(50);
    });

    it('a crash while firing (one run made and its timer marked, the next not yet) leaves neither: the next pass fires each once', async () => {
      await store.recomputeBusinessTimers(input({ key: 'MDF-1', offsets: offsets(T0, [2]) }));
      await store.recomputeBusinessTimers(input({ key: 'MDF-2', offsets: offsets(T0 + 1000, [2]) }));
      let made = 0;
      await expect(
        store.fireDueBusinessTimers({
          now: T0 + 3 * DAY,
          limit: 10,
          runFor: (timer) => {
            // The first timer's run is made and the timer marked; the process dies on the second.
            if (++made % 2 === 0) throw new Error('process died');
            return runFor(timer);
          },
        }),
      ).rejects.toThrow('process died');
      expect(await statuses('MDF-1')).toEqual({ '2': 'pending' });
      expect(await store.listRuns({ recipe: 'reminder', limit: 10 })).toHaveLength(0);
      expect(await fire(T0 + 3 * DAY)).toHaveLength(2);
      expect(await fire(T0 + 3 * DAY)).toHaveLength(0);
      expect(await store.listRuns({ recipe: 'reminder', limit: 10 })).toHaveLength(2);
    });

    it('a run already made for the timer (its dedup key) is not made twice', async () => {
      await store.recomputeBusinessTimers(input({ offsets: offsets(T0, [2]) }));
      const [due] = await store.listBusinessTimers({ limit: 1 });
      await store.createRun(runFor(due!));
      await fire(T0 + 2 * DAY);
      expect(await store.listRuns({ recipe: 'reminder', limit: 10 })).toHaveLength(1);
    });
  });
}

/** Two stores on one database (two replicas): a due timer fires once between them. */
export function describeBusinessTimersReplicas(name: string, openPair: () => Promise<[Store, Store]>): void {
  describe(`Business timers on two replicas: ${name}`, () => {
    it('two replicas firing the same due timers at once start one run per timer', async () => {
      const [a, b] = await openPair();
      try {
        for (let i = 0; i < 40; i++) await a.recomputeBusinessTimers(input({ key: `MDF-${i}`, offsets: offsets(T0, [2]) }));
        // On SQLite a replica may find the file busy (the engine's loop tries again); a pass never fires twice.
        const fired = await Promise.allSettled([
          a.fireDueBusinessTimers({ now: T0 + 2 * DAY, limit: 25, runFor }),
          b.fireDueBusinessTimers({ now: T0 + 2 * DAY, limit: 25, runFor }),
        ]);
        const rest = await b.fireDueBusinessTimers({ now: T0 + 2 * DAY, limit: 100, runFor });
        const keys = [...fired.flatMap((f) => (f.status === 'fulfilled' ? f.value : [])), ...rest].map((f) => f.timer.key);
        expect(new Set(keys).size).toBe(40);
        expect(keys).toHaveLength(40);
        expect(await a.listRuns({ recipe: 'reminder', limit: 100 })).toHaveLength(40);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
