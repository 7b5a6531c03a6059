import type { z } from 'zod';
import type { ExpectedRun } from '../../schemas/scenario.ts';
import { didYouMean } from '../recipes/closest-name.ts';
import type { PollCursor, Run } from '../store/store.ts';
import type { Store } from '../store/store.ts';

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * A scenario's `runs` expectations: how many runs of a recipe have a status, and (`error_contains`)
 * whose error says what a user must read: a failed run's error, or the error of a step that waits to
 * try again (the journal's, as `GET /runs/:id` shows it), e.g. Marketo's daily quota and its reset time.
 * An expectation of a recipe that does not exist always fails, naming the closest recipe. A poll
 * recipe whose last poll failed (its action failed, or its cursor or dedup_key computed nothing for an
 * item: no run started) is said so after its runs, with the poll's error, as `serve` logs it and the
 * Timers page shows it: "its runs: none" alone would hide why.
 */
export async function checkRuns(store: Store, expectations: ReadonlyArray<z.output<typeof ExpectedRun>>, recipeNames: readonly string[]): Promise<string[]> {
  const failures: string[] = [];
  let polls: Map<string, PollCursor> | undefined;
  for (const expected of expectations) {
    const runs = await store.listRuns({ recipe: expected.recipe, limit: 1000 });
    const wanted = list(expected.error_contains);
    const errors = new Map<Run, string>();
    for (const run of runs) errors.set(run, await errorText(store, run));
    const count = runs.filter((r) => r.status === expected.status && wanted.every((s) => errors.get(r)!.includes(s))).length;
    const ok = expected.count === undefined ? count > 0 : count === expected.count;
    // A misspelt recipe has no runs, so "count: 0" of it would hold whatever the recipes do.
    const known = recipeNames.includes(expected.recipe);
    if (ok && known) continue;
    const statuses = runs.map((r) => `${r.status}${errors.get(r) ? ` (${errors.get(r)})` : ''}`);
    const unknown = known ? '' : `; no recipe is named "${expected.recipe}"${didYouMean(expected.recipe, recipeNames)}`;
    const withError = wanted.length ? ` with an error containing ${wanted.map((s) => `"${s}"`).join(', ')}` : '';
    polls ??= new Map((await store.listPollCursors()).map((cursor) => [cursor.recipe, cursor]));
    const poll = pollFailure(polls.get(expected.recipe));
    failures.push(`expected ${expected.count ?? 'at least 1'} ${expected.status} run(s) of ${expected.recipe}${withError}, found ${count}; its runs: ${statuses.length ? statuses.join('; ') : 'none'}${poll}${unknown}`);
  }
  return failures;
}

/** `; poll of <recipe> failed at <time>: <error>` while the recipe's last poll failed, else nothing. */
function pollFailure(cursor: PollCursor | undefined): string {
  if (!cursor?.lastError) return '';
  const at = cursor.lastPolledAt === null ? '' : new Date(cursor.lastPolledAt).toISOString();
  const when = cursor.failures > 1 ? ` ${cursor.failures} times in a row, the last at ${at}` : ` at ${at}`;
  return `; poll of ${cursor.recipe} failed${when}: ${cursor.lastError}`;
}

/** The run's error, else the errors of its steps that failed and wait to try again, as one text. */
async function errorText(store: Store, run: Run): Promise<string> {
  if (run.error) return `${run.error.stepKey ? `${run.error.stepKey}: ` : ''}${run.error.message}`;
  const journal = await store.getJournal(run.id);
  return journal
    .filter((entry) => entry.status === 'failed' && entry.error)
    .map((entry) => `${entry.stepKey}: ${entry.error!.message}`)
    .join('; ');
}
