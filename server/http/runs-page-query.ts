import type { Issue } from '../../schemas/format-issues.ts';
import { asRunId, type RunId } from '../engine/ids.ts';
import { didYouMean } from '../recipes/closest-name.ts';
import type { RunStatus, RunSummary, Store } from '../store/store.ts';

/**
 * A `before` cursor is a run id (`nextBefore` of the previous page). Anything else sorts after every
 * id and would list from the newest, as if no cursor was given: refused instead (400), as /timers does.
 */
export const RUN_ID_CURSOR = /^run_[A-Za-z0-9_-]{1,100}$/;

/** A page of runs, newest first, and the cursor of the next page (null on the last one). */
export interface RunsPage {
  runs: RunSummary[];
  nextBefore: RunId | null;
}

/**
 * The one runs listing of the runtime: `GET /runs` and the console's runs page both read it. Keyset
 * paging on the id (newest first), each filter on an index of its own (migration 0011_console), and one
 * extra row instead of a count to tell whether another page follows.
 */
export async function runsPage(store: Store, q: { limit: number; before?: string | undefined; status?: RunStatus | undefined; recipe?: string | undefined; key?: string | undefined }): Promise<RunsPage> {
  // Summaries: a trigger's data (a lead import's every row) is measured and left out by the store's query.
  const rows = await store.listRunSummaries({
    limit: q.limit + 1,
    ...(q.before && { before: asRunId(q.before) }),
    ...(q.status && { status: q.status }),
    ...(q.recipe && { recipe: q.recipe }),
    ...(q.key && { correlationKey: q.key }),
  });
  const runs = rows.slice(0, q.limit);
  return { runs, nextBefore: rows.length > q.limit ? runs[runs.length - 1]!.id : null };
}

/**
 * What is wrong with a runs listing's `before` cursor, null when it is fine: a value not shaped like a
 * run id, or a run id that is no run. Either would sort above every id and list from the newest, as if
 * it were the first page. One lookup by primary key. `GET /runs` (runsQueryIssue) and the console's
 * lists (page-cursor.ts) each say it in their own words.
 */
export async function cursorIssue(store: Store, before: string): Promise<'not-run-id' | 'no-run' | null> {
  if (!RUN_ID_CURSOR.test(before)) return 'not-run-id';
  // A summary: the cursor is often a lead import's run, whose trigger holds every row of its CSV.
  return (await store.listRunSummaries({ ids: [asRunId(before)], limit: 1 })).length > 0 ? null : 'no-run';
}

/**
 * What a runs listing's filters would silently get wrong, as an issue of the query (400), else null: a
 * cursor shaped like a run id that is no run (it would sort above every id and list from the newest),
 * and a recipe that is neither served nor has any run stored (a typo would list nothing and look like
 * "no runs"). A recipe no longer served whose runs are stored is listed: its runs stay readable. Two
 * index lookups at most (the primary key; the runs_recipe index), only for the filters given.
 */
export async function runsQueryIssue(store: Store, served: readonly string[], q: { before?: string | undefined; recipe?: string | undefined }): Promise<Issue | null> {
  // The query's schema refuses a cursor not shaped like a run id before this; here it is one more run that is not.
  if (q.before && (await cursorIssue(store, q.before))) {
    return { path: 'before', message: `no run ${q.before}: give the nextBefore of the previous page (a run id), or no before for the newest runs` };
  }
  if (q.recipe && !served.includes(q.recipe) && (await store.listRunSummaries({ limit: 1, recipe: q.recipe })).length === 0) {
    const names = [...served].sort();
    return { path: 'recipe', message: `no recipe ${q.recipe} is served and no run of it is stored${didYouMean(q.recipe, names)}; recipes served: ${names.length > 0 ? names.join(', ') : 'none'}` };
  }
  return null;
}
