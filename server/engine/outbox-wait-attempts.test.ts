import { afterEach, describe, expect, it } from 'vitest';
import { OutboxBusyError } from '../../connectors/email/outbox-sender.ts';
import { engineFixture, recipeWith, retryableError, type EngineFixture } from '../../test/support/engine-fixture.ts';

/**
 * Issue 10: waiting for the outbox spends no attempt. A step whose message another attempt is still
 * sending (an attempt that died mid-send, seen inside the send window) waits and tries again with the
 * attempts it had, so a provider blip after the wait still has the step's whole retry budget.
 */
let fx: EngineFixture;
afterEach(() => fx?.close());

async function stepOf(runId: string, stepKey: string) {
  return (await fx.store.getJournal(runId as never)).find((e) => e.stepKey === stepKey);
}

describe('waiting for the outbox (issue 10)', () => {
  it('D10: a step that finds its message still being sent waits without spending attempts, and a provider blip afterwards is retried', async () => {
    fx = await engineFixture([recipeWith([{ id: 'notify', type: 'action', action: 'fake.record', input: { key: 'k' }, retry: { max_attempts: 3, initial_interval: 'PT1S' } }])]);
    // Three waits for a send under way, then one 503, then the call goes through.
    fx.system.failNext('record', new OutboxBusyError('run:notify', 30_000), new OutboxBusyError('run:notify', 30_000), new OutboxBusyError('run:notify', 30_000), retryableError('503 from the provider'));
    const { runIds } = await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-1' } });
    const runId = runIds[0]!;
    await fx.engine.runUntilIdle();
    expect(await stepOf(runId, 'notify')).toMatchObject({ status: 'failed', attempts: 0 });

    for (let i = 0; i < 5; i++) {
      fx.clock.advance(30_000);
      await fx.engine.runUntilIdle();
    }
    const run = await fx.store.getRun(runId);
    expect(run?.status).toBe('completed');
    const step = await stepOf(runId, 'notify');
    expect(step).toMatchObject({ status: 'completed', attempts: 2 });
    expect(step!.notes.filter((n) => n.includes('(no attempt spent)'))).toHaveLength(3);
    expect(fx.system.effects).toHaveLength(1);
  });
});
