import { afterEach, expect, it } from 'vitest';
import { engineFixture, recipeWith, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';

/**
 * A wait_for step whose event key a recipe computes with a NUL character (U+0000) in it: no event can
 * carry such a key (refused at intake), and PostgreSQL cannot store it. The step fails at once, saying
 * why, the same on both stores, instead of the run's turn failing in the store at every attempt.
 */
const open: EngineFixture[] = [];
afterEach(async () => {
  for (const fx of open.splice(0)) await fx.close();
});

for (const kind of ['sqlite', 'postgres'] as const) {
  it(`on ${kind}: a wait_for key with a NUL fails its step with an error naming the step`, async () => {
    const store = kind === 'postgres' ? await openTestPostgresStore() : undefined;
    const fx = await engineFixture(
      [recipeWith([{ id: 'answer', type: 'wait_for', event: { name: 'fake.thing.happened', key: '{% trigger.data.ref %}' }, timeout: 'P1D' } as never])],
      store ? { store } : {},
    );
    open.push(fx);
    const { runIds } = await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-1', ref: 'R-\u0000' } });
    await fx.engine.runUntilIdle();
    const run = await fx.store.getRun(runIds[0]!);
    expect(run?.status).toBe('failed');
    expect(run?.error?.message).toBe('wait_for answer: its event key contains a NUL character (\\u0000)');
  });
}
