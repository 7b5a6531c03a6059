import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture, recipeWith, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { asRunId } from './ids.ts';

let fx: EngineFixture;
afterEach(async () => fx?.close());

describe('engine: a stop step says why the run ended', () => {
  it('journals a completed run\'s stop reason, which ops read in the run\'s journal (a completed run has no error to carry it)', async () => {
    fx = await engineFixture([recipeWith([{ id: 'undecided', type: 'stop', status: 'completed', reason: 'No decision within 12 business days; ops were told.' }])]);
    const { runIds } = await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-1' } });
    await fx.engine.runUntilIdle();
    const id = asRunId(runIds[0]!);
    expect(await fx.store.getRun(id)).toMatchObject({ status: 'completed', error: null });
    expect((await fx.store.getJournal(id)).find((e) => e.stepKey === 'undecided')).toMatchObject({
      status: 'completed',
      output: { status: 'completed', reason: 'No decision within 12 business days; ops were told.' },
    });
  });
});
