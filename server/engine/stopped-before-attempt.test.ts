import { afterEach, describe, expect, it } from 'vitest';
import { StoppedBeforeAttemptError } from '../../connectors/kit/http-errors.ts';
import { engineFixture, recipeWith, retryableError, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { asRunId } from './ids.ts';

/**
 * SIGTERM while a step's call waits for its system's rate budget, before its first attempt: the HTTP
 * client gives the wait up and throws StoppedBeforeAttemptError (nothing was sent). The turn is not
 * done, as when the shutdown comes before the action: no failure is journaled or counted, the step's
 * attempts are as they were, and the run is due at once for the next start or another replica.
 */
let fx: EngineFixture;
afterEach(async () => fx?.close());

const notSent = () => new StoppedBeforeAttemptError({ system: 'fake', method: 'POST', url: 'https://fake.test/v1/things' });

describe('engine: a call the stop gave up before it was sent', () => {
  it('leaves a step not safe to repeat as it was: the run due at once, nothing failed; the next turn makes the call once', async () => {
    fx = await engineFixture([recipeWith([{ id: 'make', type: 'action', action: 'fake.create', input: { key: '{% trigger.data.id %}' } }])]);
    fx.system.failNext('create', notSent());
    const { runIds } = await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-1' } });
    const id = asRunId(runIds[0]!);
    await fx.engine.tick();

    const run = await fx.store.getRun(id);
    expect({ status: run?.status, error: run?.error, dueNow: run!.wakeAt! <= fx.clock.now() }).toEqual({ status: 'waiting', error: null, dueNow: true });
    const journal = await fx.store.getJournal(id);
    expect(journal.filter((e) => e.status === 'failed')).toEqual([]);
    expect(journal.find((e) => e.stepKey === 'make')?.notes).toEqual(['fake POST /v1/things not sent: the runtime was stopping while the call waited for fake rate budget']);
    expect(fx.system.effects).toEqual([]);

    await fx.engine.runUntilIdle();
    expect(await fx.store.getRun(id)).toMatchObject({ status: 'completed', error: null });
    // Not an interrupted call whose outcome is unknown (OutcomeUnknownError): it was never sent.
    expect((await fx.store.getJournal(id)).find((e) => e.stepKey === 'make')).toMatchObject({ status: 'completed', attempts: 1 });
    expect(fx.system.effects).toEqual([{ key: 'T-1', value: 'created' }]);
    expect(await fx.engine.metrics.registry.getSingleMetricAsString('partnerflow_runs_finished_total')).not.toMatch(/status="failed"[^}]*\} [1-9]/);
  });

  it('leaves a step waiting for its retry as it was: the attempt made counts, the one given up does not', async () => {
    fx = await engineFixture([recipeWith([{ id: 'save', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' }, retry: { max_attempts: 5, initial_interval: 'PT10S' } }])]);
    fx.system.failNext('record', retryableError('fake answered 503'), notSent());
    const { runIds } = await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-2' } });
    const id = asRunId(runIds[0]!);
    await fx.engine.runUntilIdle();
    expect((await fx.store.getJournal(id)).find((e) => e.stepKey === 'save')).toMatchObject({ status: 'failed', attempts: 1 });

    fx.clock.advance(10_000);
    await fx.engine.tick();
    expect(await fx.store.getRun(id)).toMatchObject({ status: 'waiting', error: null });
    expect((await fx.store.getJournal(id)).find((e) => e.stepKey === 'save')).toMatchObject({ status: 'failed', attempts: 1, error: { message: 'fake answered 503' } });

    await fx.engine.runUntilIdle();
    expect((await fx.store.getJournal(id)).find((e) => e.stepKey === 'save')).toMatchObject({ status: 'completed', attempts: 2 });
    expect(fx.system.effects).toEqual([{ key: 'T-2', value: undefined }]);
  });
});
