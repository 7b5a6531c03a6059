import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture, recipeWith, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { asRunId } from './ids.ts';

/**
 * A step whose input expression computes nothing (a field the event lacks, a lookup that found no row)
 * fails naming the expression (review10): the run's error said "input.to[0]: Invalid input: expected
 * string, received undefined", and the author had to work out which expression of the recipe it was.
 */
let fx: EngineFixture;
afterEach(async () => fx?.close());

async function failedWith(input: Record<string, unknown>): Promise<string | undefined> {
  fx = await engineFixture([recipeWith([{ id: 'keep', type: 'action', action: 'fake.record', input }])]);
  const { runIds } = await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-1' } });
  await fx.engine.runUntilIdle();
  const run = await fx.store.getRun(asRunId(runIds[0]!));
  expect(run!.status).toBe('failed');
  return run!.error?.message;
}

describe('a step input an expression computed nothing for', () => {
  it('names the expression that computed nothing', async () => {
    expect(await failedWith({ key: '{% $trigger.data.owner %}' })).toBe('input of fake.record does not match its schema: input.key: required, but {% $trigger.data.owner %} computed nothing');
  });

  it('names the expression beside a value of the wrong kind, and says "required" for a literal left out', async () => {
    expect(await failedWith({ key: '{% 42 %}' })).toBe('input of fake.record does not match its schema: input.key: Invalid input: expected string, received number (computed by {% 42 %})');
    await fx.close();
    expect(await failedWith({})).toBe('input of fake.record does not match its schema: input.key: required');
  });
});
