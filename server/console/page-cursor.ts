import { cursorIssue } from '../http/runs-page-query.ts';
import type { Store } from '../store/store.ts';

/** Why a page of a console list cannot be shown from its `before` cursor: a title and the words a person reads. */
export interface CursorProblem {
  title: string;
  words: string;
}

/**
 * What is wrong with the `before` cursor of a console list of runs (the runs page, the waiting page),
 * undefined when it is fine or absent: cursorIssue, as `GET /runs` decides it (400 there too), in the
 * console's words. The console's "Older" links only give ids of runs it listed, and runs are never
 * deleted: such a link was made for another store (reset or replaced since) or changed by hand. A run
 * that no longer is in the list (it stopped waiting) is still a good cursor: the next page goes on from
 * where it was.
 */
export async function cursorProblem(store: Store, before: string | undefined): Promise<CursorProblem | undefined> {
  if (!before) return undefined;
  switch (await cursorIssue(store, before)) {
    case null:
      return undefined;
    case 'not-run-id':
      return { title: 'Not a page link', words: `"${before}" is not a run id: the "Older" link of a page gives one.` };
    case 'no-run':
      return {
        title: 'This page link is stale',
        words: `This link goes on from run ${before}, which is not in this runtime's store (the store was reset or replaced since the link was made, or the link was changed), so there is no older page to show from it.`,
      };
  }
}
