import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture, recipeWith, retryableError, type EngineFixture } from '../../test/support/engine-fixture.ts';

let fx: EngineFixture;
afterEach(async () => fx?.close());

describe('metrics: ops see a recipe that is behind (D1: a sync while Salesforce is down)', () => {
  it('counts the unfinished runs waiting to retry a failed step, per recipe, with the age of the oldest; a run that catches up leaves the gauge', async () => {
    fx = await engineFixture([
      recipeWith([{ id: 'sync', type: 'action', action: 'fake.record', input: { key: 'k' }, retry: { max_attempts: 100, initial_interval: 'PT1M', max_interval: 'PT1H' } }], { name: 'slow-sync' }),
    ]);
    fx.system.failNext('record', retryableError('Salesforce is down'), retryableError('Salesforce is down'), retryableError('Salesforce is down'));
    await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-1' } });
    await fx.engine.runUntilIdle();
    fx.clock.advance(10 * 60_000);
    let text = await fx.engine.metrics.registry.metrics();
    expect(text).toContain(`partnerflow_runs_awaiting_retry{recipe="slow-sync",worker="${fx.engine.workerId}"} 1`);
    expect(text).toContain(`partnerflow_runs_awaiting_retry_oldest_seconds{recipe="slow-sync",worker="${fx.engine.workerId}"} 600\n`);
    for (let i = 0; i < 20; i++) {
      fx.clock.advance(3_600_000);
      await fx.engine.runUntilIdle();
    }
    text = await fx.engine.metrics.registry.metrics();
    expect(text).not.toContain('partnerflow_runs_awaiting_retry{recipe="slow-sync",');
  });
});
