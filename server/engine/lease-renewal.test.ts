import { expect, it } from 'vitest';
import { createDueRun, recipeWith } from '../../test/support/engine-fixture.ts';
import { useEngineReplicas } from '../../test/support/engine-replicas.ts';
import { until } from '../../test/support/until.ts';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { OffsetClock } from './clock.ts';

/**
 * A turn renews its run's lease while its call is in flight, often enough that a short lease
 * (PARTNERFLOW_LEASE_MS) never runs out under a live replica. Renewing at most once a second let a
 * 1 s lease lapse between renewals: the other replica took the run over, each aborted the other's
 * call, and the warning blamed a shared worker id.
 */
const replicas = useEngineReplicas();
const LEASE_MS = 1000;

it('two replicas, a 1 s lease and a call that takes 2.5 s: the replica that started the call finishes it, nobody takes the run over', async () => {
  await replicas.schema();
  const recipe = recipeWith([{ id: 'slow', type: 'action', action: 'fake.slow', input: { key: '{% trigger.data.id %}' } }]);
  const warnings: string[] = [];
  const logOf = (name: string): Logger => {
    const note = (_fields: unknown, message?: string) => void warnings.push(`${name}: ${message}`);
    return { debug() {}, info() {}, warn: note, error: note };
  };
  const clock = new OffsetClock() as never;
  const a = await replicas.replica([recipe], { clock, workerId: 'replica-a', leaseMs: LEASE_MS, pollMs: 50, log: logOf('replica-a') });
  const b = await replicas.replica([recipe], { clock, workerId: 'replica-b', leaseMs: LEASE_MS, pollMs: 50, log: logOf('replica-b') });
  const answerA = a.system.hold('call-1');
  const answerB = b.system.hold('call-1');
  a.engine.start();
  const id = await createDueRun(a, { key: 'call-1', at: Date.now() });
  await until('replica A to start the call', async () => ((await a.store.getRun(id))?.leaseOwner?.startsWith('replica-a~') ? true : undefined), 5000);
  b.engine.start();
  await new Promise((r) => setTimeout(r, 2500));
  answerA();
  await until('the run to complete', async () => ((await a.store.getRun(id))?.status === 'completed' ? true : undefined), 5000);
  answerB();
  expect(a.system.effects.map((e) => e.key)).toEqual(['call-1']);
  expect(b.system.effects).toEqual([]);
  expect(warnings).toEqual([]);
}, 20_000);
