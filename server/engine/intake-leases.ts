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
 * deduplicated onto an earlier one, or a repeated delivery, stored nothing and is left out; one held
 * back behind another run of its concurrency key was stored without the lease and is left out too.
 */
export function storedLeasedRuns(leased: readonly NewRun[], result: IngestResult): Run[] {
  if (result.duplicate) return [];
  const runs: Run[] = [];
  for (let i = 0; i < leased.length; i++) {
    const r = leased[i]!;
    const lease = r.lease;
    if (!lease || result.runIds[i] !== r.id) continue;
    // Stored held back behind another run of its concurrency key: stored without the lease, not due.
    if (result.heldBack?.some((h) => h.runId === r.id)) continue;
    // Field by field, not `{ lease, ...fields }`: that object rest copy was over 1% of a replica's CPU
    // (issue 14). NEW_RUN_FIELDS_LISTED stops the build when NewRun gains a field not copied here.
    runs.push({
      id: r.id,
      recipe: r.recipe,
      recipeVersion: r.recipeVersion,
      recipeHash: r.recipeHash,
      trigger: r.trigger,
      dedupKey: r.dedupKey,
      correlationKey: r.correlationKey,
      cancelOnEvent: r.cancelOnEvent,
      concurrencyKey: r.concurrencyKey ?? null,
      heldBack: false,
      wakeAt: r.wakeAt,
      createdAt: r.createdAt,
      status: 'running',
      leaseOwner: lease.owner,
      leaseUntil: lease.until,
      error: null,
      updatedAt: r.createdAt,
      finishedAt: null,
      parkedOn: null,
      parkedSince: null,
    });
  }
  return runs;
}

type CopiedNewRunFields = 'id' | 'recipe' | 'recipeVersion' | 'recipeHash' | 'trigger' | 'dedupKey' | 'correlationKey' | 'cancelOnEvent' | 'concurrencyKey' | 'wakeAt' | 'createdAt' | 'lease';
const NEW_RUN_FIELDS_LISTED: [Exclude<keyof NewRun, CopiedNewRunFields>] extends [never] ? true : false = true;
void NEW_RUN_FIELDS_LISTED;
