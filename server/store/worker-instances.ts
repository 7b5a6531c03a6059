import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.ts';

/**
 * Which process holds each PARTNERFLOW_WORKER_ID now (engine/worker-id-claim.ts). A process frees the
 * run leases of its own worker id at start, so that a replica restarted after a kill resumes its runs
 * at once; that is only right when no live process still holds those leases. So each process keeps a
 * row for its worker id, with an instance id of its own (random, new at every start) and a heartbeat
 * time it refreshes every few seconds; a start takes the id over only from no one, or from an instance
 * whose heartbeat stopped. Heartbeat times are wall-clock epoch ms (never a virtual clock: liveness is
 * about processes, not business time).
 */
export interface WorkerInstance {
  workerId: string;
  /** The process holding the id: random, new at each start. */
  instanceId: string;
  /** Its last heartbeat (wall-clock epoch ms, its own clock). */
  beatAt: number;
}

export interface TakeWorkerIdInput {
  workerId: string;
  instanceId: string;
  now: number;
  /**
   * The holder this start replaces, exactly as it was read (instance and heartbeat): taken only if the
   * row still holds that heartbeat, i.e. the holder did not beat since. Null: only if no one holds the id.
   */
  from: { instanceId: string; beatAt: number } | null;
}

/** Taken: the id is this instance's now, and the leases of its previous holder are freed (how many). */
export type TakeWorkerIdOutcome = { taken: true; freedLeases: number } | { taken: false };

export async function workerInstanceQuery(db: Kysely<Database> | Transaction<Database>, workerId: string): Promise<WorkerInstance | undefined> {
  const row = await db.selectFrom('worker_instances').selectAll().where('worker_id', '=', workerId).executeTakeFirst();
  return row && { workerId: row.worker_id, instanceId: row.instance_id, beatAt: Number(row.beat_at) };
}

/**
 * Compare-and-set of the id's row, and in the same transaction the release of every run lease of the
 * id (`<worker id>` or `<worker id>~…`, unfinished runs): two processes starting at once under one id
 * take it once, and only the one that took it frees the leases, before it claims anything itself.
 */
export async function takeWorkerIdWork(trx: Transaction<Database>, input: TakeWorkerIdInput): Promise<TakeWorkerIdOutcome> {
  let taken: boolean;
  if (input.from === null) {
    const r = await trx
      .insertInto('worker_instances')
      .values({ worker_id: input.workerId, instance_id: input.instanceId, beat_at: input.now, started_at: input.now })
      .onConflict((oc) => oc.column('worker_id').doNothing())
      .executeTakeFirst();
    taken = Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  } else {
    const r = await trx
      .updateTable('worker_instances')
      .set({ instance_id: input.instanceId, beat_at: input.now, started_at: input.now })
      .where('worker_id', '=', input.workerId)
      .where('instance_id', '=', input.from.instanceId)
      .where('beat_at', '=', input.from.beatAt)
      .executeTakeFirst();
    taken = Number(r.numUpdatedRows) > 0;
  }
  if (!taken) return { taken: false };
  return { taken: true, freedLeases: await releaseLeasesWork(trx, input.workerId, input.now) };
}

/** Frees every lease of worker `workerId` on unfinished runs (Store.releaseLeases); how many. */
export async function releaseLeasesWork(db: Kysely<Database> | Transaction<Database>, workerId: string, now: number): Promise<number> {
  const prefix = `${workerId}~`;
  const r = await db
    .updateTable('runs')
    .set({ lease_owner: null, lease_until: null, updated_at: now })
    // substr, not LIKE: a worker id may hold % or _, and SQLite's LIKE ignores case.
    .where((eb) => eb.or([eb('lease_owner', '=', workerId), eb(sql<string>`substr(lease_owner, 1, ${sql.lit(prefix.length)})`, '=', prefix)]))
    .where('finished_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** A heartbeat: false when the id is no longer this instance's (another process took it over, or the row is gone). */
export async function beatWorkerIdWork(db: Kysely<Database>, input: { workerId: string; instanceId: string; now: number }): Promise<boolean> {
  const r = await db
    .updateTable('worker_instances')
    .set({ beat_at: input.now })
    .where('worker_id', '=', input.workerId)
    .where('instance_id', '=', input.instanceId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** A clean stop: the id is free at once for the next start (a rolling restart does not wait). Only this instance's row. */
export async function leaveWorkerIdWork(db: Kysely<Database>, input: { workerId: string; instanceId: string }): Promise<void> {
  await db.deleteFrom('worker_instances').where('worker_id', '=', input.workerId).where('instance_id', '=', input.instanceId).execute();
}
