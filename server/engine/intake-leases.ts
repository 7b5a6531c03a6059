import type { IngestResult, NewRun, Run } from '../store/store.ts';

/**
 * Runs a replica starts itself as it stores them (issue 14). On a store that notifies, every replica
 * hears of every run made due and would query for it, N−1 of them for nothing; a webhook's run stored
 * already leased to the replica that received it, while that replica has a free slot, is announced to
 * nobody (the wake triggers skip leased rows) and claimed by no query. Should that replica die before
 * the turn ends, the lease lapses and another replica takes the run over at its end (wake-timer.ts).
 */

/** Leases the first `slots` of `runs` (in place) to `lease`; returns how many. */
export function leaseAtIntake(runs: NewRun[], slots: number, lease: { owner: string; until: number }): number {
  const taken = Math.min(runs.length, Math.max(0, slots));
  for (let i = 0; i < taken; i++) runs[i] = { ...runs[i]!, lease };
  return taken;
}

/**
 * The runs of `leased` (the first runs of an ingest) as stored, leased, to start a turn of; a run
 * deduplicated onto an earlier one, or a repeated delivery, stored nothing and is left out.
 */
export function storedLeasedRuns(leased: readonly NewRun[], result: IngestResult): Run[] {
  if (result.duplicate) return [];
  return leased.flatMap((newRun, i): Run[] => {
    const { lease, ...fields } = newRun;
    if (!lease || result.runIds[i] !== newRun.id) return [];
    return [{ ...fields, status: 'running', leaseOwner: lease.owner, leaseUntil: lease.until, error: null, updatedAt: fields.createdAt, finishedAt: null }];
  });
}
