import { sql, type Kysely } from 'kysely';
import type { Database } from './database.ts';
import { toApproval, toJournalEntry } from './store-rows.ts';
import type { Approval, JournalEntry, RunStatus } from './store.ts';

/**
 * What the ops console reads besides the runs list (which is `Store.listRuns`, as for `GET /runs`):
 * the waits of a page of runs, their open approval links, runs per status of the last days, and the
 * console's login sessions. Each read goes through an index; none counts the whole runs table.
 */

/** The `waiting` journal entries of these runs (what each waits for), in journal order. */
export async function waitingStepsQuery(db: Kysely<Database>, runIds: readonly string[]): Promise<JournalEntry[]> {
  if (runIds.length === 0) return [];
  // `status = 'waiting'` is a literal, as the store writes it elsewhere; the unique (run_id, step_key) index finds each run's rows.
  const rows = await db.selectFrom('journal').selectAll().where('run_id', 'in', [...runIds]).where('status', '=', sql.lit('waiting')).orderBy('seq').execute();
  return rows.map(toJournalEntry);
}

/** The steps of these runs that failed and wait for another attempt (`nextAttemptAt` set). */
export async function retryingStepsQuery(db: Kysely<Database>, runIds: readonly string[]): Promise<JournalEntry[]> {
  if (runIds.length === 0) return [];
  const rows = await db.selectFrom('journal').selectAll().where('run_id', 'in', [...runIds]).where('status', '=', sql.lit('failed')).where('next_attempt_at', 'is not', null).orderBy('seq').execute();
  return rows.map(toJournalEntry);
}

/** Approval links of these runs that nobody used yet, oldest first (the first link of a signal, then its reminders and escalations). */
export async function openApprovalsQuery(db: Kysely<Database>, runIds: readonly string[]): Promise<Approval[]> {
  if (runIds.length === 0) return [];
  const rows = await db.selectFrom('approvals').selectAll().where('run_id', 'in', [...runIds]).where('used_at', 'is', null).orderBy('created_at').execute();
  return rows.map(toApproval);
}

/** How many runs of a recipe have a status. */
export interface RecipeStatusCount {
  recipe: string;
  status: RunStatus;
  count: number;
}

/**
 * Runs per recipe and status created since `since`: a range of the primary key, since a run id starts
 * with its creation time in base 36 (engine `newRunId`), so no full scan of older runs.
 */
export async function runCountsSinceQuery(db: Kysely<Database>, since: number): Promise<RecipeStatusCount[]> {
  const fromId = `run_${Math.max(0, since).toString(36).padStart(10, '0')}`;
  const rows = await db
    .selectFrom('runs')
    .select(['recipe', 'status', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('id', '>=', fromId)
    .groupBy(['recipe', 'status'])
    .execute();
  return rows.map((r) => ({ recipe: r.recipe, status: r.status as RunStatus, count: Number(r.n) }));
}

/** A console login as the store keeps it. */
export interface ConsoleSession {
  idHash: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

export async function createConsoleSessionQuery(db: Kysely<Database>, session: ConsoleSession): Promise<void> {
  // Expired sessions go when a new one is made: the table stays as small as the logins of a day.
  await db.deleteFrom('console_sessions').where('expires_at', '<', session.createdAt).execute();
  await db
    .insertInto('console_sessions')
    .values({ id_hash: session.idHash, csrf_token: session.csrfToken, created_at: session.createdAt, expires_at: session.expiresAt })
    .execute();
}

/** The live session with this id hash, or undefined (none, logged out, or expired at `now`). */
export async function consoleSessionQuery(db: Kysely<Database>, idHash: string, now: number): Promise<ConsoleSession | undefined> {
  const row = await db.selectFrom('console_sessions').selectAll().where('id_hash', '=', idHash).where('expires_at', '>', now).executeTakeFirst();
  return row && { idHash: row.id_hash, csrfToken: row.csrf_token, createdAt: row.created_at, expiresAt: row.expires_at };
}

export async function deleteConsoleSessionQuery(db: Kysely<Database>, idHash: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute();
}
