import { asRunId } from '../engine/ids.ts';
import { RUN_ID_CURSOR } from '../http/runs-page-query.ts';
import type { Store } from '../store/store.ts';

/** Why a page of a console list cannot be shown from its `before` cursor: a title and the words a person reads. */
export interface CursorProblem {
  title: string;
  words: string;
}

/**
 * What is wrong with the `before` cursor of a console list of runs (the runs page, the waiting page),
 * undefined when it is fine or absent. `GET /runs` answers 400 for the same cursors
 * (runsQueryIssue): a value not shaped like a run id, or a run id that is no run, would sort above
 * every id and list from the newest, as if the link were the first page. The console's "Older" links
 * only give ids of runs it listed, and runs are never deleted: such a link was made for another
 * store (reset or replaced since) or changed by hand. A run that no longer is in the list (it stopped
 * waiting) is still a good cursor: the next page goes on from where it was.
 */
export async function cursorProblem(store: Store, before: string | undefined): Promise<CursorProblem | undefined> {
  if (!before) return undefined;
  if (!RUN_ID_CURSOR.test(before)) return { title: 'Not a page link', words: `"${before}" is not a run id: the "Older" link of a page gives one.` };
  if (await store.getRun(asRunId(before))) return undefined;
  return {
    title: 'This page link is stale',
    words: `This link goes on from run ${before}, which is not in this runtime's store (the store was reset or replaced since the link was made, or the link was changed), so there is no older page to show from it.`,
  };
}
