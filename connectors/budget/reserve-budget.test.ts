import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';
import type { Store } from '../../server/store/store.ts';
import { testContext } from '../kit/action-test-context.ts';
import { releaseBudget, reserveBudget } from './reserve-budget.ts';

describe('budget.reserve and budget.release (D13)', () => {
  let store: Store;
  const clock = new VirtualClock(Date.parse('2026-03-02T09:00:00Z'));
  beforeEach(async () => {
    store = await openSqliteStore({ path: ':memory:' });
  });
  afterEach(async () => {
    await store.close();
  });
  const run = (action: typeof reserveBudget | typeof releaseBudget, input: unknown) => action.run(action.input.parse(input), testContext({ store }, clock).ctx as never);

  it('answers in USD with the numbers a partner is told: requested, already reserved, cap, left', async () => {
    const pool = 'flexi:EMEA:2026-Q2';
    // 5% of USD 200,000, as the recipe computes it.
    expect(await run(reserveBudget, { pool, holder: 'mdf-request:MDF-1', amount_usd: 6000.5, cap_usd: 0.05 * 200000 })).toEqual({
      reserved: true, pool, requested_usd: 6000.5, already_reserved_usd: 0, cap_usd: 10000, left_usd: 3999.5,
    });
    expect(await run(reserveBudget, { pool, holder: 'mdf-request:MDF-2', amount_usd: 4000, cap_usd: 10000 })).toEqual({
      reserved: false, pool, requested_usd: 4000, already_reserved_usd: 6000.5, cap_usd: 10000, left_usd: 3999.5,
    });
    expect(await run(releaseBudget, { holder: 'mdf-request:MDF-1' })).toEqual({ released_usd: 6000.5, pools: [pool] });
    expect(await run(releaseBudget, { holder: 'mdf-request:MDF-1' })).toEqual({ released_usd: 0, pools: [] });
  });

  it('a cap that is a share of a budget counts whole cents only: 7% of USD 123,456.78 is USD 8,641.97, not 8,641.98', async () => {
    const answer = await run(reserveBudget, { pool: 'p', holder: 'h', amount_usd: 8641.98, cap_usd: 0.07 * 123456.78 });
    expect(answer).toMatchObject({ reserved: false, cap_usd: 8641.97 });
  });

  it('D13: whatever_the_cap reserves money already spent (an approved claim) even over the cap, says so, and counts it for the next request', () => whateverTheCap(run));
});

// The largest cap the store is given for it (Number.MAX_SAFE_INTEGER cents) is a bigint parameter on PostgreSQL.
describe('budget.reserve whatever_the_cap on PostgreSQL (D13)', () => {
  let store: Store;
  const clock = new VirtualClock(Date.parse('2026-03-02T09:00:00Z'));
  beforeEach(async () => {
    store = await openTestPostgresStore();
  });
  afterEach(async () => {
    await store.close();
  });
  const run = (action: typeof reserveBudget | typeof releaseBudget, input: unknown) => action.run(action.input.parse(input), testContext({ store }, clock).ctx as never);

  it('D13: reserves over the cap, says so, and the next request finds the pool full', () => whateverTheCap(run));
});

type Run = (action: typeof reserveBudget | typeof releaseBudget, input: unknown) => Promise<unknown>;

async function whateverTheCap(run: Run): Promise<void> {
    const pool = 'flexi:EMEA:2026-Q2';
    expect(await run(reserveBudget, { pool, holder: 'mdf-request:MDF-2', amount_usd: 6000, cap_usd: 10000 })).toMatchObject({ reserved: true, left_usd: 4000 });
    expect(await run(reserveBudget, { pool, holder: 'mdf-request:MDF-1', amount_usd: 6000, cap_usd: 10000, whatever_the_cap: true })).toEqual({
      reserved: true, pool, requested_usd: 6000, already_reserved_usd: 6000, cap_usd: 10000, left_usd: 0, over_cap: true, answered_before: false,
    });
    // Asked again (a retried step): the same numbers, nothing reserved twice.
    expect(await run(reserveBudget, { pool, holder: 'mdf-request:MDF-1', amount_usd: 6000, cap_usd: 10000, whatever_the_cap: true })).toMatchObject({ already_reserved_usd: 6000, over_cap: true, answered_before: true });
    // The next request finds the pool full.
    expect(await run(reserveBudget, { pool, holder: 'mdf-request:MDF-3', amount_usd: 1, cap_usd: 10000 })).toMatchObject({ reserved: false, already_reserved_usd: 12000, left_usd: 0 });
    // Within the cap it is not over.
    expect(await run(reserveBudget, { pool: 'flexi:APAC:2026-Q2', holder: 'mdf-request:MDF-4', amount_usd: 10000, cap_usd: 10000, whatever_the_cap: true })).toMatchObject({ over_cap: false, left_usd: 0 });
  }
