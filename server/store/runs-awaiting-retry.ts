import { sql, type Kysely } from 'kysely';
import type { Database } from './database.ts';

/** Unfinished runs of one recipe that wait to retry a failed step (e.g. a Salesforce sync while Salesforce is down). */
export interface RunsAwaitingRetry {
  recipe: string;
  runs: number;
  /** When the oldest of them was created: how far behind the recipe is. */
  since: number;
}

/**
 * Per recipe, the unfinished runs with a failed step that has a next attempt planned. A step that later
 * succeeds replaces its failed entry, so only runs still behind are counted.
 */
export async function runsAwaitingRetryQuery(db: Kysely<Database>): Promise<RunsAwaitingRetry[]> {
  const rows = await db
    .selectFrom('runs')
    .innerJoin('journal', 'journal.run_id', 'runs.id')
    .where('runs.finished_at', 'is', null)
    .where('journal.status', '=', 'failed')
    .where('journal.next_attempt_at', 'is not', null)
    .groupBy('runs.recipe')
    .select(['runs.recipe', sql<number>`count(distinct runs.id)`.as('runs'), sql<number>`min(runs.created_at)`.as('since')])
    .orderBy('runs.recipe')
    .execute();
  return rows.map((r) => ({ recipe: r.recipe, runs: Number(r.runs), since: Number(r.since) }));
}
