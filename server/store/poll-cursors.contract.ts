import { expect, it } from 'vitest';
import { asRunId } from '../engine/ids.ts';
import type { NewRun, Store } from './store.ts';

/**
 * The poll cursor's part of the store contract (poll-cursors.ts), run inside `describeStoreContract`
 * for every Store implementation: a poll is taken by one caller at a time, runs and watermark are
 * written together, and a poll that lost its lease writes nothing.
 */
export function describePollCursorContract(store: () => Store, T0: number): void {
  const run = (dedupKey: string): NewRun => ({
    id: asRunId(`run_poll_${dedupKey}`),
    recipe: 'sf-sync',
    recipeVersion: 1,
    recipeHash: 'hash-poll',
    trigger: { type: 'poll', event: 'salesforce.list_changed_fund_records', receivedAt: T0, data: { key: dedupKey } },
    dedupKey,
    correlationKey: null,
    cancelOnEvent: null,
    wakeAt: T0,
    createdAt: T0,
  });

  it('poll cursor: a new recipe is due at once with no watermark; two callers at once take it once (replicas poll once)', async () => {
    const takes = await Promise.all([
      store().takePoll({ recipe: 'sf-sync', now: T0, owner: 'a~1', leaseMs: 60_000 }),
      store().takePoll({ recipe: 'sf-sync', now: T0, owner: 'b~1', leaseMs: 60_000 }),
    ]);
    expect(takes.filter((t) => t !== null)).toEqual([{ watermark: null }]);
    // Held: not taken again until its lease runs out (the holder died).
    expect(await store().takePoll({ recipe: 'sf-sync', now: T0 + 59_999, owner: 'c~1', leaseMs: 60_000 })).toBeNull();
    expect(await store().takePoll({ recipe: 'sf-sync', now: T0 + 60_000, owner: 'c~1', leaseMs: 60_000 })).toEqual({ watermark: null });
  });

  it('poll cursor: a page writes its runs (deduplicated) and watermark together; finishing sets the next poll time', async () => {
    await store().takePoll({ recipe: 'sf-sync', now: T0, owner: 'a~1', leaseMs: 60_000 });
    expect(await store().savePollPage({ recipe: 'sf-sync', owner: 'a~1', runs: [run('k1'), run('k2')], watermark: '2026-03-02T09:00:00.000+0000', now: T0, leaseUntil: T0 + 60_000 })).toEqual({ created: 2 });
    expect(await store().finishPoll({ recipe: 'sf-sync', owner: 'a~1', now: T0, nextPollAt: T0 + 300_000 })).toBe(true);
    expect(await store().takePoll({ recipe: 'sf-sync', now: T0 + 299_999, owner: 'a~2', leaseMs: 60_000 })).toBeNull();
    expect(await store().takePoll({ recipe: 'sf-sync', now: T0 + 300_000, owner: 'a~2', leaseMs: 60_000 })).toEqual({ watermark: '2026-03-02T09:00:00.000+0000' });
    // The same item read again (inclusive watermark): its run exists, nothing new is created.
    expect(await store().savePollPage({ recipe: 'sf-sync', owner: 'a~2', runs: [run('k2'), run('k3')], watermark: '2026-03-02T09:05:00.000+0000', now: T0, leaseUntil: T0 + 360_000 })).toEqual({ created: 1 });
    expect((await store().listRuns({ recipe: 'sf-sync', limit: 10 })).map((r) => r.dedupKey).sort()).toEqual(['k1', 'k2', 'k3']);
  });

  it('poll cursor: a poll whose lease was taken over writes no runs and no watermark', async () => {
    await store().takePoll({ recipe: 'sf-sync', now: T0, owner: 'a~1', leaseMs: 1000 });
    await store().takePoll({ recipe: 'sf-sync', now: T0 + 1000, owner: 'b~1', leaseMs: 60_000 });
    expect(await store().savePollPage({ recipe: 'sf-sync', owner: 'a~1', runs: [run('late')], watermark: 'Z', now: T0 + 1001, leaseUntil: T0 + 2000 })).toBeNull();
    expect(await store().finishPoll({ recipe: 'sf-sync', owner: 'a~1', now: T0 + 1001, nextPollAt: T0 })).toBe(false);
    expect(await store().listRuns({ recipe: 'sf-sync', limit: 10 })).toEqual([]);
    expect((await store().listPollCursors())[0]).toMatchObject({ recipe: 'sf-sync', watermark: null, leaseOwner: 'b~1' });
  });

  it('poll cursor: a failed poll keeps its watermark, counts the failure and is due again at the next interval', async () => {
    await store().takePoll({ recipe: 'sf-sync', now: T0, owner: 'a~1', leaseMs: 60_000 });
    await store().savePollPage({ recipe: 'sf-sync', owner: 'a~1', runs: [], watermark: 'W1', now: T0, leaseUntil: T0 + 60_000 });
    await store().finishPoll({ recipe: 'sf-sync', owner: 'a~1', now: T0, nextPollAt: T0 + 1000 });
    await store().takePoll({ recipe: 'sf-sync', now: T0 + 1000, owner: 'a~2', leaseMs: 60_000 });
    await store().finishPoll({ recipe: 'sf-sync', owner: 'a~2', now: T0 + 1000, nextPollAt: T0 + 2000, error: 'salesforce: 503' });
    expect((await store().listPollCursors())[0]).toMatchObject({ watermark: 'W1', nextPollAt: T0 + 2000, failures: 1, lastError: 'salesforce: 503', leaseOwner: null });
    await store().takePoll({ recipe: 'sf-sync', now: T0 + 2000, owner: 'a~3', leaseMs: 60_000 });
    await store().finishPoll({ recipe: 'sf-sync', owner: 'a~3', now: T0 + 2000, nextPollAt: T0 + 3000 });
    expect((await store().listPollCursors())[0]).toMatchObject({ watermark: 'W1', failures: 0, lastError: null });
  });
}
