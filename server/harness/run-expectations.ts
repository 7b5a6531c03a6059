import type { z } from 'zod';
import type { ExpectedRun } from '../../schemas/scenario.ts';
import { didYouMean } from '../recipes/closest-name.ts';
import type { Run } from '../store/store.ts';
import type { Store } from '../store/store.ts';

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * A scenario's `runs` expectations: how many runs of a recipe have a status, and (`error_contains`)
 * whose error says what a user must read: a failed run's error, or the error of a step that waits to
 * try again (the journal's, as `GET /runs/:id` shows it), e.g. Marketo's daily quota and its reset time.
 * An expectation of a recipe that does not exist always fails, naming the closest recipe.
 */
export async function checkRuns(store: Store, expectations: ReadonlyArray<z.output<typeof ExpectedRun>>, recipeNames: readonly string[]): Promise<string[]> {
  const failures: string[] = [];
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
    failures.push(`expected ${expected.count ?? 'at least 1'} ${expected.status} run(s) of ${expected.recipe}${withError}, found ${count}; its runs: ${statuses.length ? statuses.join('; ') : 'none'}${unknown}`);
  }
  return failures;
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
