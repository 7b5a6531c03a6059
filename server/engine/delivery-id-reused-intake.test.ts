import { expect, it } from 'vitest';
import { recipeWith } from '../../test/support/engine-fixture.ts';
import { useEngineReplicas } from '../../test/support/engine-replicas.ts';
import { until } from '../../test/support/until.ts';
import { DeliveryIdReusedError } from './delivery-event-hash.ts';

/**
 * On PostgreSQL a webhook's runs are stored leased to the replica that received it, each taking one
 * of its slots before the ingest (intake-leases.ts). A delivery refused for a used id stored nothing:
 * its slots must come back, or a sender reusing ids would leave the replica with none, and the next
 * webhooks' runs would wait forever (a replica whose slots are all busy does not claim).
 */
const replicaSet = useEngineReplicas();
const recipe = recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' } }]);

it('deliveries refused for a used delivery id give back the slots they took at intake: the next webhook’s run still starts and completes', async () => {
  await replicaSet.schema();
  const fx = await replicaSet.replica([recipe], { workerId: 'replica-1', concurrency: 1, maxConcurrency: 2, pollMs: 600_000 });
  fx.engine.start();
  const deliver = (deliveryId: string, id: string) => fx.engine.deliver({ source: 'fake', deliveryId, event: 'thing.happened', data: { id } });
  const completed = async (runId: string) =>
    until(`run ${runId} to complete`, async () => ((await fx.store.getRun(runId as never))?.status === 'completed' ? true : undefined), 10_000);

  const first = await deliver('d-1', 'T-1');
  await completed(first.runIds[0]!);
  for (let i = 0; i < 5; i++) await expect(deliver('d-1', `other-${i}`)).rejects.toBeInstanceOf(DeliveryIdReusedError);

  const next = await deliver('d-2', 'T-2');
  await completed(next.runIds[0]!);
  expect(fx.system.effects.map((e) => e.key)).toEqual(['T-1', 'T-2']);
});
