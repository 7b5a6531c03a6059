import { addIsoDuration } from '../engine/business-calendar.ts';
import type { MockDeps } from './app.ts';

/** The outcome of moving the mock clock: the new time, or why it did not move (the input's fault). */
export type ClockAdvance = { ok: true; now: number } | { ok: false; message: string; problem: 'not an ISO 8601 duration' | 'must be positive' | `longer than ${typeof MAX_ADVANCE}` };

/**
 * The longest move at once. Every timer, poll and schedule on the way fires in order, so a century
 * (`P100Y`) kept the runtime busy for hours; two years covers every walkthrough and scenario many
 * times over (the longest waits are D14's 28 days and D25's 30), and a longer jump is a few calls.
 */
export const MAX_ADVANCE = 'P2Y';

/** One advance at a time per mock runtime, whoever asks (`POST /_mock/clock/advance`, the console's clock page). */
const inFlight = new WeakMap<MockDeps, Promise<unknown>>();

/**
 * Moves the mock runtime's virtual clock forward by an ISO 8601 duration and runs the work that falls
 * due on the way. Two overlapping jumps would interleave their timers, so each waits for the one before.
 */
export async function advanceMockClock(mock: MockDeps, by: string): Promise<ClockAdvance> {
  let target: number;
  try {
    target = addIsoDuration(mock.clock.now(), by);
  } catch {
    return { ok: false, message: `"${by}" is not an ISO 8601 duration (e.g. P2D, PT36H)`, problem: 'not an ISO 8601 duration' };
  }
  if (!(target > mock.clock.now())) return { ok: false, message: `"${by}" does not move the clock forward; it only goes forward`, problem: 'must be positive' };
  if (target > addIsoDuration(mock.clock.now(), MAX_ADVANCE)) {
    return { ok: false, message: `"${by}" moves the clock more than ${MAX_ADVANCE} (2 years) at once; advance it in steps of at most ${MAX_ADVANCE}`, problem: `longer than ${MAX_ADVANCE}` };
  }
  const done = (inFlight.get(mock) ?? Promise.resolve()).then(() => mock.advance(by));
  inFlight.set(mock, done.catch(() => {}));
  await done;
  return { ok: true, now: mock.clock.now() };
}
