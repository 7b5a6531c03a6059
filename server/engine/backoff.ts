import { Duration } from 'luxon';
import { fullJitterDelay } from '../../connectors/kit/full-jitter.ts';
import type { RetryPolicy } from '../../schemas/recipe.ts';

/** The waits of a step without a `retry` (how many attempts: retry-budget.ts). */
export const DEFAULT_RETRY: RetryPolicy = { initial_interval: 'PT2S', backoff_rate: 2, max_interval: 'PT10M' };

const ms = (iso: string) => Duration.fromISO(iso).toMillis();

/** The wait before attempt `failedAttempts + 1` of a step, under its retry policy. */
export function backoffDelay(failedAttempts: number, policy: RetryPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  return fullJitterDelay({
    failedAttempts,
    initialMs: ms(policy.initial_interval),
    rate: policy.backoff_rate,
    maxMs: ms(policy.max_interval),
    retryAfterMs,
    random,
  });
}
