import { sql, type Kysely } from 'kysely';
import type { Database } from './database.ts';

/**
 * What waits for an operator, as `/metrics` shows it: runs that are failed now (until a retry or a
 * cancel ends that), per recipe, and emails whose send through a relay that cannot be asked (SMTP) was
 * cut off, which are never sent again by themselves (`POST /outbox/:key/resend` or `mark-sent`).
 */
export interface AwaitingOperator {
  failedRuns: Array<{ recipe: string; runs: number }>;
  /** Outbox messages `failed`: each waits for an operator's decision (connectors/email/outbox-sender.ts, 3). */
  emailsAwaitingDecision: number;
}

/**
 * Two counts through indexes, never a scan of every run or every email sent: the failed runs through
 * runs_status (its partial form on PostgreSQL, `status <> 'completed'`), the outbox through
 * outbox_awaiting_decision (partial: `status = 'failed'`, migration 0027). The statuses are literals in
 * the SQL, as a partial index is used only for a condition it implies at planning time.
 */
export async function awaitingOperatorQuery(db: Kysely<Database>): Promise<AwaitingOperator> {
  const failed = await db
    .selectFrom('runs')
    .where('status', '=', sql.lit('failed'))
    .groupBy('recipe')
    .select(['recipe', (eb) => eb.fn.countAll<number | string>().as('n')])
    .orderBy('recipe')
    .execute();
  const emails = await db
    .selectFrom('outbox')
    .where('status', '=', sql.lit('failed'))
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return { failedRuns: failed.map((r) => ({ recipe: r.recipe, runs: Number(r.n) })), emailsAwaitingDecision: Number(emails.n) };
}
