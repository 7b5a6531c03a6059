import type { Store } from '../store/store.ts';

/**
 * The newest slot before `at` that a schedule recipe fired (a run with a schedule trigger exists for
 * it), or null when none is stored among its last 50 runs: `previous_scheduled_at` of the run for `at`
 * (D23: a window from there to `at` tiles time). Read from the store when the run is made, not kept by
 * each replica: replicas on different versions of the cron during a rolling deploy, a restart, a
 * caught-up downtime and `partnerflow run --event` all see the slots every replica fired.
 */
export async function previousScheduledSlot(store: Pick<Store, 'listRuns'>, recipe: string, at: number): Promise<number | null> {
  let previous: number | null = null;
  for (const run of await store.listRuns({ recipe, limit: 50 })) {
    const fired = run.trigger.type === 'schedule' ? run.trigger.receivedAt : null;
    if (fired !== null && fired < at && (previous === null || fired > previous)) previous = fired;
  }
  return previous;
}
