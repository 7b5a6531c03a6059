import { asRunId, type RunId } from '../engine/ids.ts';
import type { Run, RunStatus, Store } from '../store/store.ts';

/**
 * A `before` cursor is a run id (`nextBefore` of the previous page). Anything else sorts after every
 * id and would list from the newest, as if no cursor was given: refused instead (400), as /timers does.
 */
export const RUN_ID_CURSOR = /^run_[A-Za-z0-9_-]{1,100}$/;

/** A page of runs, newest first, and the cursor of the next page (null on the last one). */
export interface RunsPage {
  runs: Run[];
  nextBefore: RunId | null;
}

/**
 * The one runs listing of the runtime: `GET /runs` and the console's runs page both read it. Keyset
 * paging on the id (newest first), each filter on an index of its own (migration 0011_console), and one
 * extra row instead of a count to tell whether another page follows.
 */
export async function runsPage(store: Store, q: { limit: number; before?: string | undefined; status?: RunStatus | undefined; recipe?: string | undefined; key?: string | undefined }): Promise<RunsPage> {
  const rows = await store.listRuns({
    limit: q.limit + 1,
    ...(q.before && { before: asRunId(q.before) }),
    ...(q.status && { status: q.status }),
    ...(q.recipe && { recipe: q.recipe }),
    ...(q.key && { correlationKey: q.key }),
  });
  const runs = rows.slice(0, q.limit);
  return { runs, nextBefore: rows.length > q.limit ? runs[runs.length - 1]!.id : null };
}
