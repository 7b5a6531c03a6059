/**
 * The phases of `partnerflow serve`'s start before it listens, as its log names the one a SIGTERM or
 * SIGINT stopped (README "During the start too"). After them the HTTP server listens and the start
 * takes its worker id, which the runtime's close stops (serve-command.ts).
 */
export type StartPhase =
  | 'loading the recipes and tables'
  | 'opening the store'
  /** PostgreSQL: another replica migrates (or checks the schema) and holds the migration lock. */
  | 'waiting for the migration lock'
  | 'migrating the schema'
  | 'storing the recipe versions';

/** Reports each phase as the start enters it. */
export type OnStartPhase = (phase: StartPhase) => void;

/**
 * The start was asked to stop (serve's SIGTERM/SIGINT) and did so at a safe point: whatever it had
 * opened is closed again, no migration was cut off. Not a failure: serve exits 0.
 */
export class StartStoppedError extends Error {
  override name = 'StartStoppedError';
  constructor() {
    super('the start was stopped by a signal before the runtime listened');
  }
}

/**
 * A safe point of the start: throws StartStoppedError when `signal` was aborted. Lets the event loop
 * poll first, so that a SIGTERM that arrived while the start ran without yielding (reading files
 * synchronously, a chain of promises) is handled here rather than at some later point: Node reads a
 * signal in the loop's poll phase, and the second of two immediates runs after the next one.
 */
export async function startSafePoint(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return;
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  if (signal.aborted) throw new StartStoppedError();
}
