import type { Engine } from './engine.ts';

/** A clock that tests and mock mode can move forward. */
export interface MovableClock {
  now(): number;
  advance(ms: number): void;
}

/**
 * Moves a virtual clock forward by `ms`, stopping at every timer on the way so that each one fires
 * at its own time (an escalation two business days in sees that day's date, not the end of the jump).
 * Thirty simulated days take as long as the turns they contain.
 */
export async function advanceTime(engine: Engine, clock: MovableClock, ms: number): Promise<void> {
  const target = clock.now() + ms;
  await engine.runUntilIdle();
  for (let stalls = 0; stalls < 200; ) {
    const next = await engine.nextWakeAt();
    if (next === null || next > target) break;
    if (next > clock.now()) clock.advance(next - clock.now());
    const before = clock.now();
    await engine.runUntilIdle();
    // A run due now but leased by another worker (mock mode's background loop): give it a moment.
    const after = await engine.nextWakeAt();
    if (after !== null && after <= before) {
      stalls += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  if (target > clock.now()) clock.advance(target - clock.now());
  await engine.runUntilIdle();
  // A worker loop's wake timer was armed in real milliseconds before the jump.
  engine.clockMoved();
}
