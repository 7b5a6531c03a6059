import { expect } from 'vitest';
import type { Clock } from '../../server/engine/clock.ts';
import { asRunId, type RunId } from '../../server/engine/ids.ts';
import type { Store } from '../../server/store/store.ts';

/**
 * A run claimed under `owner`'s lease (`<worker id>~<nonce>`): the turn an email send belongs to, as
 * the email outbox tests need it (the outbox records the lease of the attempt that takes a message).
 */
export async function leasedRun(store: Store, clock: Clock, owner: string): Promise<RunId> {
  const id = asRunId('run_01');
  await store.createRun({ id, recipe: 'r', recipeVersion: 1, recipeHash: 'h', trigger: { type: 'manual', receivedAt: clock.now(), data: {} }, dedupKey: 'd', correlationKey: null, cancelOnEvent: null, wakeAt: clock.now(), createdAt: clock.now() });
  const [run] = await store.claimDueRuns({ now: clock.now(), owner, leaseMs: 60_000, limit: 1 });
  expect(run?.leaseOwner).toBe(owner);
  return id;
}
