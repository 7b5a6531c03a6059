import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.ts';
import { insertRunWork } from './store-operations.ts';
import type { StoreQueries } from './store-queries.ts';
import { runWorkAsync } from './store-work.ts';
import type { NewRun } from './store.ts';

/**
 * Where a `poll` recipe stands (engine/polls.ts): the watermark of the items it has turned into runs,
 * when it polls next, and who is polling it now. One row per recipe, in the store, never in memory, so
 * a restart or another replica carries on from the same watermark.
 */
export interface PollCursor {
  recipe: string;
  /** The highest cursor of the items turned into runs (e.g. a LastModifiedDate); null before the first item. */
  watermark: string | null;
  /** When the recipe is next polled (epoch ms). */
  nextPollAt: number;
  /** The process polling it now, while `leaseUntil` has not passed. */
  leaseOwner: string | null;
  leaseUntil: number | null;
  /** Polls that failed in a row (0 after a poll that worked). */
  failures: number;
  /** Why the last poll failed, or null once one worked. */
  lastError: string | null;
  lastPolledAt: number | null;
}

/** Takes a poll that is due: `{ watermark }` to poll from, or null (not due, or another process has it). */
export interface TakePollInput {
  recipe: string;
  now: number;
  /** Who polls: `<worker id>~<nonce>`, new for every poll. */
  owner: string;
  /** How long the poll stays this owner's unless it saves a page or finishes. */
  leaseMs: number;
}

/** One page of a poll: its runs and the watermark after it, written together or not at all. */
export interface SavePollPageInput {
  recipe: string;
  owner: string;
  runs: readonly NewRun[];
  /** The watermark after this page (never lower than the one the poll was given). */
  watermark: string | null;
  now: number;
  /** The lease is extended to this, so a long poll of many pages keeps it. */
  leaseUntil: number;
}

/** Ends a poll: when the next one is due, and why it failed (the watermark stays where the last page left it). */
export interface FinishPollInput {
  recipe: string;
  owner: string;
  now: number;
  nextPollAt: number;
  error?: string;
}

/**
 * The compare-and-set that takes a poll: the row is created on first sight (due at once, no watermark),
 * then leased only if it is due and no live lease holds it. Two replicas asking at once: one gets it.
 */
export async function takePollWork(trx: Transaction<Database>, input: TakePollInput): Promise<{ watermark: string | null } | null> {
  await trx
    .insertInto('poll_cursors')
    .values({ recipe: input.recipe, watermark: null, next_poll_at: input.now, lease_owner: null, lease_until: null, last_error: null, last_polled_at: null, updated_at: input.now })
    .onConflict((oc) => oc.column('recipe').doNothing())
    .execute();
  const taken = await trx
    .updateTable('poll_cursors')
    .set({ lease_owner: input.owner, lease_until: input.now + input.leaseMs, updated_at: input.now })
    .where('recipe', '=', input.recipe)
    .where('next_poll_at', '<=', input.now)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', input.now)]))
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) === 0) return null;
  const row = await trx.selectFrom('poll_cursors').select('watermark').where('recipe', '=', input.recipe).executeTakeFirstOrThrow();
  return { watermark: row.watermark };
}

/**
 * Writes a page's runs (deduplicated on the recipe's dedup key) and the new watermark in one
 * transaction, fenced by the lease: a poll that lost its lease (it stalled and another process took
 * over) writes nothing. A crash before the commit leaves the old watermark: the next poll reads the
 * page again, and the dedup keys make its runs the same runs.
 */
export async function savePollPageWork(trx: Transaction<Database>, q: StoreQueries, input: SavePollPageInput): Promise<{ created: number } | null> {
  const held = await trx
    .updateTable('poll_cursors')
    .set({ watermark: input.watermark, lease_until: input.leaseUntil, updated_at: input.now })
    .where('recipe', '=', input.recipe)
    .where('lease_owner', '=', input.owner)
    .executeTakeFirst();
  if (Number(held.numUpdatedRows) === 0) return null;
  let created = 0;
  for (const run of input.runs) if ((await runWorkAsync(insertRunWork(q, run), trx)).created) created += 1;
  return { created };
}

/** Releases the lease and sets the next poll time; false (nothing written) when the lease was lost. */
export async function finishPollWork(trx: Transaction<Database>, input: FinishPollInput): Promise<boolean> {
  const failed = input.error !== undefined;
  const result = await trx
    .updateTable('poll_cursors')
    .set((eb) => ({
      lease_owner: null,
      lease_until: null,
      next_poll_at: input.nextPollAt,
      failures: failed ? eb('failures', '+', 1) : 0,
      last_error: failed ? input.error!.slice(0, 2000) : null,
      last_polled_at: input.now,
      updated_at: input.now,
    }))
    .where('recipe', '=', input.recipe)
    .where('lease_owner', '=', input.owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Every poll recipe's cursor (the engine's next wake time, `/metrics`). */
export async function listPollCursorsWork(trx: Kysely<Database> | Transaction<Database>): Promise<PollCursor[]> {
  const rows = await trx.selectFrom('poll_cursors').selectAll().orderBy('recipe').execute();
  return rows.map((r) => ({
    recipe: r.recipe,
    watermark: r.watermark,
    nextPollAt: r.next_poll_at,
    leaseOwner: r.lease_owner,
    leaseUntil: r.lease_until,
    failures: r.failures,
    lastError: r.last_error,
    lastPolledAt: r.last_polled_at,
  }));
}
