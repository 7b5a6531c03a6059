/**
 * Polls `probe` until it gives a value (not `undefined`), for tests that watch a runtime in another
 * process, where no virtual clock can be advanced. A probe that throws (the process is not listening yet)
 * counts as no value; the timeout error names what was awaited and the last error seen.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** Waits until the runtime at `base` answers `GET /healthz` (a process just started is not listening yet). */
export async function untilServing(base: string, timeoutMs?: number): Promise<void> {
  await until('the runtime to be ready', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), timeoutMs);
}
