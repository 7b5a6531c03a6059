import { CompiledQuery } from 'kysely';
import { FINISH_TURN_SET, FINISH_TURN_WHERE, JOURNAL_COLUMNS, JOURNAL_UPSERT_TAIL, quoted, RUN_COLUMNS, type DeliveryValues, type FinishTurnValues, type JournalValues, type RunValues } from './postgres-batch.ts';
import type { StoreQueries } from './store-queries.ts';
import type { StatementResult, StoreWork } from './store-work.ts';

/**
 * A group commit of ingests and ended turns as ONE autocommit statement: the common batch (new
 * deliveries, their runs, turns that still hold their lease, their journal entries) costs PostgreSQL
 * one round trip instead of BEGIN, two multi-row rounds and COMMIT. Under webhook load each round trip
 * to an idle backend cost the runtime about 0.1 ms of system time (bench/profile-postgres.ts: the
 * socket writes were the runtime's first cost).
 *
 * How it stays exactly-once: each unit of work is run ahead in memory on the outcome it has when
 * nothing collides (every delivery and run new, every turn still leased), which gives the statements
 * it would send and the answer it would give. All of the batch's rows go into one statement of
 * writable CTEs, which checks that every row was applied as assumed; when one was not (a delivery seen
 * before, a dedup key taken, a lease lost, a conflict with another transaction), the statement raises
 * and PostgreSQL applies none of it, and the batch runs again the careful way: statement by statement
 * in a transaction (runInLockstep), where each unit reads what it finds. A unit that asks for any
 * other statement (a read, a park, a held-back run to release) sends its batch the careful way.
 */

/** The outcome each statement here is assumed to have (the statement checks it): one row written, none read. */
const APPLIED: StatementResult = Object.freeze({ rows: [], changes: 1 }) as StatementResult;

/** Each column's PostgreSQL type: its rows go as one array parameter of it, so one statement text serves every batch size. */
const RUN_TYPES: Record<(typeof RUN_COLUMNS)[number], string> = {
  id: 'text',
  recipe: 'text',
  recipe_version: 'int',
  recipe_hash: 'text',
  trigger: 'text',
  dedup_key: 'text',
  correlation_key: 'text',
  cancel_on_event: 'text',
  concurrency_key: 'text',
  held_back: 'int',
  status: 'text',
  wake_at: 'bigint',
  lease_owner: 'text',
  lease_until: 'bigint',
  error: 'text',
  created_at: 'bigint',
  updated_at: 'bigint',
  finished_at: 'bigint',
};
const JOURNAL_TYPES: Record<(typeof JOURNAL_COLUMNS)[number], string> = {
  run_id: 'text',
  step_key: 'text',
  step_id: 'text',
  step_type: 'text',
  status: 'text',
  input: 'text',
  output: 'text',
  error: 'text',
  attempts: 'int',
  started_at: 'bigint',
  finished_at: 'bigint',
  next_attempt_at: 'bigint',
  wait: 'text',
  wait_signal: 'text',
  wait_event: 'text',
  wait_key: 'text',
  notes: 'text',
};
const DELIVERY_TYPES = ['text', 'text', 'text', 'bigint', 'text', 'text'];
const FINISH_TYPES = ['text', 'text', 'text', 'int', 'bigint', 'text', 'bigint', 'bigint'];

/** The message the statement raises when a row was not applied as assumed (then nothing of it was). */
export const NOT_AS_ASSUMED = 'partnerflow group commit: a row was not as expected (a delivery seen before, a dedup key taken, a lease lost), so nothing of this statement was written; the batch is committed again statement by statement';

const oneStatementSql = (() => {
  let n = 0;
  const arrays = (types: readonly string[]) => types.map((type) => `$${++n}::${type}[]`).join(', ');
  const deliveries = arrays(DELIVERY_TYPES);
  const deliveriesFirst = `$${n - DELIVERY_TYPES.length + 1}`;
  const runs = arrays(RUN_COLUMNS.map((c) => RUN_TYPES[c]));
  const runsFirst = `$${n - RUN_COLUMNS.length + 1}`;
  const finishes = arrays(FINISH_TYPES);
  const finishesFirst = `$${n - FINISH_TYPES.length + 1}`;
  const journal = arrays(JOURNAL_COLUMNS.map((c) => JOURNAL_TYPES[c]));
  // The same statements as their one-row forms in store-queries.ts (and the multi-row forms of
  // postgres-batch.ts), each fed by unnest of its column arrays.
  return `with d as (
  insert into "deliveries" ("source", "delivery_id", "event", "received_at", "run_ids", "event_hash")
  select * from unnest(${deliveries}) on conflict ("source", "delivery_id") do nothing returning 1
), r as (
  insert into "runs" (${quoted(RUN_COLUMNS)}) select * from unnest(${runs}) on conflict do nothing returning 1
), f as (
  update runs ${FINISH_TURN_SET}
  from unnest(${finishes}) as v(id, owner, status, done, wake_at, error, now, finished_at)
  ${FINISH_TURN_WHERE}
), j as (
  insert into "journal" (${quoted(JOURNAL_COLUMNS)}) select * from unnest(${journal}) ${JOURNAL_UPSERT_TAIL}
)
select case
  when (select count(*) from d) = cardinality(${deliveriesFirst}::text[])
   and (select count(*) from r) = cardinality(${runsFirst}::text[])
   and (select count(*) from f) = cardinality(${finishesFirst}::text[])
  then 0
  -- Not a constant (it reads d), so evaluated only here: the cast fails, and the whole statement with it.
  else ('${NOT_AS_ASSUMED}' || repeat('.', least((select count(*) from d), 0)::int))::int
end as applied`;
})();

/** One batch as one statement, and each unit's answer should the statement succeed. */
export interface OneStatementCommit {
  query: CompiledQuery<unknown>;
  results: unknown[];
}

/**
 * The batch's one statement, or undefined when a unit asks for a statement other than the four here,
 * or two units write the same journal row or end the same run's turn (one statement may not touch a
 * row twice): those batches go the careful way.
 */
export function planOneStatementCommit(factories: ReadonlyArray<() => StoreWork<unknown>>, q: StoreQueries): OneStatementCommit | undefined {
  const deliveries: DeliveryValues[] = [];
  const runs: RunValues[] = [];
  const finishes: FinishTurnValues[] = [];
  const journal: JournalValues[] = [];
  const results: unknown[] = [];
  for (const factory of factories) {
    const work = factory();
    let step = work.next();
    while (!step.done) {
      const { query, values } = step.value;
      if (query === q.insertDelivery) deliveries.push(values as DeliveryValues);
      else if (query === q.insertRun) runs.push(values as RunValues);
      else if (query === q.finishTurn) finishes.push(values as FinishTurnValues);
      else if (query === q.upsertJournal) journal.push(values as JournalValues);
      else {
        work.return(undefined);
        return undefined;
      }
      step = work.next(APPLIED);
    }
    results.push(step.value);
  }
  if (new Set(finishes.map((v) => v.id)).size !== finishes.length) return undefined;
  if (new Set(journal.map((v) => `${v.run_id}\u0000${v.step_key}`)).size !== journal.length) return undefined;
  const parameters = [
    ...columns(deliveries, [(v) => v.source, (v) => v.deliveryId, (v) => v.event, (v) => v.receivedAt, (v) => v.runIds, (v) => v.eventHash]),
    ...columns(runs, RUN_COLUMNS.map((c) => (v: RunValues) => v[c])),
    ...columns(finishes, [(v) => v.id, (v) => v.owner, (v) => v.status, (v) => v.done, (v) => v.wakeAt, (v) => v.error, (v) => v.now, (v) => v.finishedAt]),
    ...columns(journal, JOURNAL_COLUMNS.map((c) => (v: JournalValues) => v[c])),
  ];
  return { query: CompiledQuery.raw(oneStatementSql, parameters) as CompiledQuery<unknown>, results };
}

function columns<V>(rows: readonly V[], of: ReadonlyArray<(v: V) => unknown>): unknown[][] {
  return of.map((value) => rows.map(value));
}

/** Whether the statement failed because a row was not applied as assumed: nothing of it was, and the batch runs the careful way. */
export function isNotAsAssumed(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (e.message.includes(NOT_AS_ASSUMED)) return true;
  return false;
}
