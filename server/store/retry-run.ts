import type { Kysely, Transaction } from 'kysely';
import type { RunId } from '../engine/ids.ts';
import type { Database } from './database.ts';
import { retryRefusalOf, type RetryOutcome, type RetryRefusal } from './retry-refusal.ts';
import type { RunError, RunStatus } from './store.ts';
import { keyHolderWork } from './store-operations.ts';
import type { StoreQueries } from './store-queries.ts';
import { parse } from './store-rows.ts';
import { runWorkAsync } from './store-work.ts';

/** A run as retryRunIn reads it: what its refusal and its requeue need. */
type RetriedRow = { status: RunStatus; error: RunError | null; recipe: string; concurrency_key: string | null };

/**
 * Why `Store.retryRun` would refuse the run now, read in `db` (the store's own for
 * `Store.retryRefusal`, the retry's transaction in retryRunIn): the reasons the run gives itself from
 * retryRefusalOf, the one the store alone can tell (another run holds its concurrency key) from
 * keyHolderWork, the query that also holds a new run of the key back. `row` is the run read, for the retry.
 */
export async function retryRefusalIn(db: Kysely<Database>, q: StoreQueries, id: RunId): Promise<{ refusal: RetryRefusal; row?: undefined } | { refusal: undefined; row: RetriedRow }> {
  const row = await readRetried(db, id);
  if (!row) return { refusal: { refused: 'no-run' } };
  const refusal = retryRefusalOf(row);
  if (refusal) return { refusal };
  // Another run of its concurrency key started after it failed (a resubmission) and is still going:
  // this one stays failed rather than run beside it.
  if (row.concurrency_key !== null) {
    const holder = await runWorkAsync(keyHolderWork(q, row.recipe, row.concurrency_key), db);
    if (holder) return { refusal: { refused: 'held-by-live-run', runId: holder, concurrencyKey: row.concurrency_key } };
  }
  return { refusal: undefined, row };
}

async function readRetried(db: Kysely<Database>, id: RunId): Promise<RetriedRow | undefined> {
  const row = await db.selectFrom('runs').select(['status', 'error', 'recipe', 'concurrency_key']).where('id', '=', id).executeTakeFirst();
  return row && { ...row, status: row.status as RunStatus, error: parse<RunError | null>(row.error) };
}

/**
 * `Store.retryRun` in the transaction `trx`: puts a failed run back in the queue from its failed step,
 * or says why not (RetryRefusal, from retryRefusalIn).
 */
export async function retryRunIn(trx: Transaction<Database>, q: StoreQueries, id: RunId, now: number, onVersion?: { recipeHash: string; recipeVersion: number }): Promise<RetryOutcome> {
  const refused = (refusal: RetryRefusal): RetryOutcome => ({ retried: false, refusal });
  const checked = await retryRefusalIn(trx, q, id);
  if (checked.refusal !== undefined) return refused(checked.refusal);
  const { row } = checked;
  const requeued = await trx
    .updateTable('runs')
    .set({
      status: 'queued',
      wake_at: now,
      error: null,
      lease_owner: null,
      lease_until: null,
      updated_at: now,
      finished_at: null,
      ...(onVersion ? { recipe_hash: onVersion.recipeHash, recipe_version: onVersion.recipeVersion } : {}),
    })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .executeTakeFirst();
  if (requeued.numUpdatedRows === 0n) {
    // Retried or canceled meanwhile (PostgreSQL, another transaction): refused as it is now.
    const current = await readRetried(trx, id);
    if (!current) return refused({ refused: 'no-run' });
    return refused(retryRefusalOf(current) ?? { refused: 'not-failed', status: current.status });
  }
  // Only the step that failed the run runs again: a failure an `on_error` handled stays as it was.
  // A step that kept progress (ActionContext.saveProgress, its entry's output: the D25 recall's
  // report so far) keeps it for its next attempt, with a new retry budget from now; any other
  // failed entry is removed, so the step starts afresh.
  let resumed = trx.updateTable('journal').set({ attempts: 0, started_at: now, finished_at: null, next_attempt_at: now }).where('run_id', '=', id).where('status', '=', 'failed').where('output', '!=', 'null');
  let failed = trx.deleteFrom('journal').where('run_id', '=', id).where('status', '=', 'failed').where('output', '=', 'null');
  if (row.error?.stepKey !== undefined) {
    resumed = resumed.where('step_key', '=', row.error.stepKey);
    failed = failed.where('step_key', '=', row.error.stepKey);
  }
  await resumed.execute();
  await failed.execute();
  return { retried: true };
}
