import { addIsoDuration } from '../engine/business-calendar.ts';
import type { MockDeps } from './app.ts';

/** The outcome of moving the mock clock: the new time, or why it did not move (the input's fault). */
export type ClockAdvance = { ok: true; now: number } | { ok: false; message: string; problem: 'not an ISO 8601 duration' | 'must be positive' };

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
  const done = (inFlight.get(mock) ?? Promise.resolve()).then(() => mock.advance(by));
  inFlight.set(mock, done.catch(() => {}));
  await done;
  return { ok: true, now: mock.clock.now() };
}
