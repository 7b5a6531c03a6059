import { Duration } from 'luxon';
import type { RetryPolicy } from '../../schemas/recipe.ts';

export const DEFAULT_RETRY: RetryPolicy = { max_attempts: 3, initial_interval: 'PT2S', backoff_rate: 2, max_interval: 'PT10M' };

const ms = (iso: string) => Duration.fromISO(iso).toMillis();

/**
 * The wait before attempt `failedAttempts + 1`: exponential with full jitter (AWS's recommendation, so
 * that many runs failing together do not retry together), never shorter than the server's Retry-After.
 */
export function backoffDelay(failedAttempts: number, policy: RetryPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(ms(policy.max_interval), ms(policy.initial_interval) * policy.backoff_rate ** Math.max(0, failedAttempts - 1));
  const jittered = Math.round(random() * ceiling);
  return Math.max(jittered, retryAfterMs ?? 0);
}
