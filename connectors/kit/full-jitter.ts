/**
 * The wait before the next attempt after `failedAttempts` failures: exponential, with full jitter
 * (AWS's recommendation, so that many callers failing together do not retry together), and never
 * shorter than the server's Retry-After. Used by the HTTP client's own retries and by step retries.
 */
export function fullJitterDelay(o: { failedAttempts: number; initialMs: number; rate: number; maxMs: number; retryAfterMs?: number; random: () => number }): number {
  const ceiling = Math.min(o.maxMs, o.initialMs * o.rate ** Math.max(0, o.failedAttempts - 1));
  return Math.max(Math.round(o.random() * ceiling), o.retryAfterMs ?? 0);
}
