import { afterEach, describe, expect, it } from 'vitest';
import { Recipe } from '../../schemas/recipe.ts';
import { engineFixture, recipeWith, retryableError, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { nextAttemptWithin } from './retry-budget.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('retry budget (give_up_after)', () => {
  it('without give_up_after: 3 attempts by default, or max_attempts', () => {
    expect(nextAttemptWithin({ policy: {}, attempts: 2, firstAttemptAt: 0, now: 10, delayMs: 5 })).toBe(15);
    expect(nextAttemptWithin({ policy: {}, attempts: 3, firstAttemptAt: 0, now: 10, delayMs: 5 })).toBeNull();
    expect(nextAttemptWithin({ policy: { max_attempts: 5 }, attempts: 4, firstAttemptAt: 0, now: 10, delayMs: 5 })).toBe(15);
  });

  it('D1: with give_up_after alone, attempts are unbounded until the budget from the first attempt ends; the last attempt is made at its end', () => {
    const policy = { give_up_after: 'P30D' };
    expect(nextAttemptWithin({ policy, attempts: 10_000, firstAttemptAt: 0, now: 29 * DAY, delayMs: HOUR })).toBe(29 * DAY + HOUR);
    expect(nextAttemptWithin({ policy, attempts: 10_000, firstAttemptAt: 0, now: 30 * DAY - 10, delayMs: HOUR })).toBe(30 * DAY);
    expect(nextAttemptWithin({ policy, attempts: 10_000, firstAttemptAt: 0, now: 30 * DAY, delayMs: HOUR })).toBeNull();
  });

  it('with both, whichever limit comes first', () => {
    expect(nextAttemptWithin({ policy: { give_up_after: 'P30D', max_attempts: 4 }, attempts: 4, firstAttemptAt: 0, now: HOUR, delayMs: HOUR })).toBeNull();
  });

  /** A recipe of one step whose retry budget is `giveUpAfter`, as the schema reads it. */
  const withBudget = (giveUpAfter: string) =>
    Recipe.safeParse({ name: 'r-budget', version: 1, description: 'd', trigger: { type: 'run' }, steps: [{ id: 'a', type: 'action', action: 'x.y', retry: { give_up_after: giveUpAfter } }] });

  it('refuses a budget of zero, naming the field', () => {
    const bad = withBudget('PT0S');
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('give_up_after is a duration longer than zero');
  });

  it('refuses a budget that is no ISO 8601 duration with that message only', () => {
    const bad = withBudget('30d');
    expect(bad.error?.issues.map((i) => i.message)).toEqual(['an ISO 8601 duration such as P2D or PT30M']);
  });
});

describe('engine: a step with a retry budget (D1)', () => {
  let fx: EngineFixture;
  afterEach(async () => fx?.close());

  it('retries far beyond 3 attempts for the whole budget, succeeds when the system is back, and fails only once the budget is spent', async () => {
    const policy = { give_up_after: 'P2D', initial_interval: 'PT1M', max_interval: 'PT1H' };
    fx = await engineFixture([recipeWith([{ id: 'sync', type: 'action', action: 'fake.record', input: { key: '{% $trigger.data.id %}' }, retry: policy }])]);
    const down = () => Array.from({ length: 500 }, () => retryableError('Salesforce is down'));
    fx.system.failNext('record', ...down().slice(0, 30));
    await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-1' } });
    for (let i = 0; i < 47 && (await fx.store.listRuns({ limit: 10 }))[0]!.status !== 'completed'; i++) {
      await fx.engine.runUntilIdle();
      fx.clock.advance(HOUR);
    }
    const [back] = await fx.store.listRuns({ limit: 10 });
    expect(back!.status).toBe('completed');
    expect((await fx.store.getJournal(back!.id))[0]).toMatchObject({ status: 'completed', attempts: 31 });

    fx.system.failNext('record', ...down());
    const started = fx.clock.now();
    await fx.engine.deliver({ source: 'fake', deliveryId: 'd-2', event: 'thing.happened', data: { id: 'T-2' } });
    const second = async () => (await fx.store.listRuns({ limit: 10 })).find((r) => r.id !== back!.id)!;
    while (fx.clock.now() < started + 2 * DAY - HOUR) {
      await fx.engine.runUntilIdle();
      fx.clock.advance(HOUR / 2);
    }
    expect((await second()).status).toBe('waiting');
    fx.clock.advance(2 * HOUR);
    await fx.engine.runUntilIdle();
    const failed = await second();
    expect(failed.status).toBe('failed');
    const [step] = await fx.store.getJournal(failed.id);
    expect(step!.attempts).toBeGreaterThan(40);
    // The last attempt was due at the budget's end (the test clock moves in steps, so it ran at the next one).
    expect(step!.finishedAt).toBeGreaterThanOrEqual(started + 2 * DAY);
    expect(step!.nextAttemptAt).toBeNull();
  });
});
