import { describe, expect, it } from 'vitest';
import { TokenCache } from './token-cache.ts';

/** An issuer that counts its grants and can be told to fail. */
function issuer(lifetimeMs: number | null, now: () => number) {
  const state = { grants: 0, fail: false };
  const fetchToken = async () => {
    await new Promise((r) => setTimeout(r, 5));
    if (state.fail) throw new Error('token endpoint down');
    state.grants += 1;
    return { value: `token-${state.grants}`, expiresAt: lifetimeMs === null ? null : now() + lifetimeMs };
  };
  return { state, fetchToken };
}

describe('TokenCache', () => {
  it('gives concurrent callers one shared token from a single grant', async () => {
    let now = 0;
    const { state, fetchToken } = issuer(3_600_000, () => now);
    const cache = new TokenCache({ fetchToken, now: () => now });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => cache.get()));
    expect(new Set(tokens)).toEqual(new Set(['token-1']));
    expect(state.grants).toBe(1);
  });

  it('reuses the token until shortly before it expires, then fetches a new one', async () => {
    let now = 0;
    const { fetchToken } = issuer(3_600_000, () => now);
    const cache = new TokenCache({ fetchToken, now: () => now, refreshMarginMs: 60_000 });
    expect(await cache.get()).toBe('token-1');
    now = 3_500_000;
    expect(await cache.get()).toBe('token-1');
    now = 3_545_000; // inside the last minute
    expect(await cache.get()).toBe('token-2');
  });

  it('fetches a new token after invalidate, and ignores invalidation of a token already replaced', async () => {
    const { fetchToken } = issuer(null, () => 0);
    const cache = new TokenCache({ fetchToken });
    const first = await cache.get();
    cache.invalidate(first);
    const second = await cache.get();
    expect(second).toBe('token-2');
    // A second call refused with the old token must not throw away the fresh one.
    cache.invalidate(first);
    expect(await cache.get()).toBe('token-2');
    cache.invalidate();
    expect(await cache.get()).toBe('token-3');
  });

  it('does not cache a failed grant: every waiter sees the error and the next call tries again', async () => {
    const { state, fetchToken } = issuer(null, () => 0);
    const cache = new TokenCache({ fetchToken });
    state.fail = true;
    const results = await Promise.allSettled([cache.get(), cache.get()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    state.fail = false;
    expect(await cache.get()).toBe('token-1');
  });
});
