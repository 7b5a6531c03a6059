/** The only thing the simulated systems need from a clock: the time to stamp records and messages with. */
export interface MockClock {
  now(): number;
}

/** An ISO 8601 UTC time from the clock (`2026-04-20T09:00:00.000Z`), the form every record stores. */
export function isoNow(clock: MockClock): string {
  return new Date(clock.now()).toISOString();
}
