import { describe, expect, it } from 'vitest';
import { fullJitterDelay } from './full-jitter.ts';

const policy = { initialMs: 2000, rate: 2, maxMs: 60_000 };

describe('fullJitterDelay', () => {
  it('waits up to initial × rate^(failures-1), capped at the maximum', () => {
    const ceiling = (failedAttempts: number) => fullJitterDelay({ ...policy, failedAttempts, random: () => 1 });
    expect([1, 2, 3, 4, 5, 6, 7].map(ceiling)).toEqual([2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });

  it('spreads the wait over [0, ceiling] (full jitter), so callers failing together do not retry together', () => {
    expect(fullJitterDelay({ ...policy, failedAttempts: 3, random: () => 0 })).toBe(0);
    expect(fullJitterDelay({ ...policy, failedAttempts: 3, random: () => 0.25 })).toBe(2000);
  });

  it("never waits less than the server's Retry-After", () => {
    expect(fullJitterDelay({ ...policy, failedAttempts: 1, random: () => 0.5, retryAfterMs: 30_000 })).toBe(30_000);
    expect(fullJitterDelay({ ...policy, failedAttempts: 5, random: () => 1, retryAfterMs: 1000 })).toBe(32_000);
  });
});
