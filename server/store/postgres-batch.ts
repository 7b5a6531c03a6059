import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.ts';
import type { PreparedQuery } from './prepared-query.ts';
import type { StoreQueries } from './store-queries.ts';
import { runWorkAsync, type StatementResult, type StoreStatement, type StoreWork } from './store-work.ts';

/** How one hot statement is run for several units of work at once: one multi-row statement, and each one's result. */
interface MultiRow {
  compile(values: readonly object[]): CompiledQuery<unknown>;
  /** Rows changed per unit of work, in the order of `values`, from the rows the statement returned. */
  changes(values: readonly object[], returned: readonly unknown[]): RowOutcome[];
  /** False when these values cannot share one statement (an upsert touching the same row twice). */
  fits?(values: readonly object[]): boolean;
}

/** PostgreSQL takes at most 65,535 parameters a statement: rows a multi-row statement holds at most. */
const MAX_ROWS = 1000;

/** A unit of work's result of a multi-row statement: rows it changed, or that it lost to an earlier unit of the batch. */
type RowOutcome = 0 | 1 | 'collided';

/**
 * Each item changed a row when a returned row carries its key; of several items with one key (the same
 * delivery twice in a batch) the first one inserted, as PostgreSQL inserts VALUES rows in their order,
 * and the others collided with it.
 */
function insertedByKey<V>(values: readonly V[], returned: readonly unknown[], keyOfValue: (v: V) => string, keyOfRow: (row: never) => string): RowOutcome[] {
  const left = new Map<string, number>();
  for (const row of returned) {
    const key = keyOfRow(row as never);
    left.set(key, (left.get(key) ?? 0) + 1);
  }
  return values.map((v) => {
    const key = keyOfValue(v);
    const n = left.get(key);
    if (n === undefined) return 0;
    if (n === 0) return 'collided';
    left.set(key, n - 1);
    return 1;
  });
}

type Values<Q> = Q extends PreparedQuery<infer P, unknown> ? P : never;
export type DeliveryValues = Values<StoreQueries['insertDelivery']>;
export type RunValues = Values<StoreQueries['insertRun']>;
export type JournalValues = Values<StoreQueries['upsertJournal']>;
export type FinishTurnValues = Values<StoreQueries['finishTurn']>;

/**
 * The SQL of a multi-row statement for `rows` rows, written once per row count: `head`, then
 * `(<row 1>), (<row 2>), ...` with a placeholder per column (`casts[i]` appended to the i-th), then
 * `tail`. The hot statements were built and compiled with Kysely's builder for every batch, which cost
 * more than the rest of the batch's work in this process.
 */
function multiRowSql(head: string, casts: readonly string[], tail: string): (rows: number) => string {
  const texts = new Map<number, string>();
  return (rows) => {
    let text = texts.get(rows);
    if (text === undefined) {
      const tuples: string[] = [];
      for (let r = 0, n = 0; r < rows; r++) tuples.push(`(${casts.map((cast) => `$${++n}${cast}`).join(', ')})`);
      text = `${head} ${tuples.join(', ')} ${tail}`;
      if (texts.size < MAX_ROWS) texts.set(rows, text);
    }
    return text;
  };
}

/** The parameters of a multi-row statement: `columns(value)` gives one row's, in the order of its columns. */
function rowParameters<V>(values: readonly V[], width: number, columns: (v: V) => readonly unknown[]): unknown[] {
  const out = new Array<unknown>(values.length * width);
  let n = 0;
  for (const v of values) for (const c of columns(v)) out[n++] = c;
  return out;
}

export const RUN_COLUMNS = ['id', 'recipe', 'recipe_version', 'recipe_hash', 'trigger', 'dedup_key', 'correlation_key', 'cancel_on_event', 'concurrency_key', 'held_back', 'status', 'wake_at', 'lease_owner', 'lease_until', 'error', 'created_at', 'updated_at', 'finished_at'] as const;
export const JOURNAL_COLUMNS = ['run_id', 'step_key', 'step_id', 'step_type', 'status', 'input', 'output', 'error', 'attempts', 'started_at', 'finished_at', 'next_attempt_at', 'wait', 'wait_signal', 'wait_event', 'wait_key', 'notes'] as const;
export const quoted = (columns: readonly string[]) => columns.map((c) => `"${c}"`).join(', ');
/** The journal upsert's conflict clause: a step written again replaces its row (store-queries.ts upsertJournal). */
export const JOURNAL_UPSERT_TAIL = `on conflict ("run_id", "step_key") do update set ${JOURNAL_COLUMNS.slice(2)
  .map((c) => `"${c}" = "excluded"."${c}"`)
  .join(', ')}`;
/** finishTurn's SET for rows `v` of (id, owner, status, done, wake_at, error, now, finished_at), and its lease check. */
export const FINISH_TURN_SET =
  'set status = v.status, wake_at = case when v.done = 1 then null when runs.poked = 1 then v.now else v.wake_at end, error = v.error, lease_owner = null, lease_until = null, updated_at = v.now, finished_at = v.finished_at';
export const FINISH_TURN_WHERE = "where runs.id = v.id and runs.lease_owner = v.owner and runs.status = 'running' returning runs.id";
const none = (n: number) => new Array<string>(n).fill('');

/**
 * The multi-row forms of the writes concurrent ingests and turns make, each the same statement as its
 * one-row form in store-queries.ts for several rows: a batch of 50 deliveries costs PostgreSQL two
 * statements, not a hundred round trips (and the `runs` trigger's NOTIFY fires once a statement).
 */
export function multiRowForms(_db: Kysely<Database>, q: StoreQueries): Map<PreparedQuery<object, unknown>, MultiRow> {
  const forms = new Map<PreparedQuery<object, unknown>, MultiRow>();
  const add = <P extends object>(query: PreparedQuery<P, unknown>, form: MultiRow) => forms.set(query as PreparedQuery<object, unknown>, form);
  const raw = (text: string, parameters: unknown[]) => CompiledQuery.raw(text, parameters) as CompiledQuery<unknown>;

  const deliveriesSql = multiRowSql('insert into "deliveries" ("source", "delivery_id", "event", "received_at", "run_ids", "event_hash") values', none(6), 'on conflict ("source", "delivery_id") do nothing returning "source", "delivery_id"');
  add(q.insertDelivery, {
    // A delivery that collides with an earlier one of the batch is run again alone (runInLockstep), and
    // reads that one's event hash: same event, a duplicate; another, refused as ingestWork says.
    compile: (values) => raw(deliveriesSql(values.length), rowParameters(values as DeliveryValues[], 6, (v) => [v.source, v.deliveryId, v.event, v.receivedAt, v.runIds, v.eventHash])),
    changes: (values, returned) =>
      insertedByKey(values as DeliveryValues[], returned, (v) => `${v.source}\u0000${v.deliveryId}`, (r: { source: string; delivery_id: string }) => `${r.source}\u0000${r.delivery_id}`),
  });
  const runsSql = multiRowSql(`insert into "runs" (${quoted(RUN_COLUMNS)}) values`, none(RUN_COLUMNS.length), 'on conflict do nothing returning "id"');
  add(q.insertRun, {
    compile: (values) => raw(runsSql(values.length), rowParameters(values as RunValues[], RUN_COLUMNS.length, (v) => RUN_COLUMNS.map((c) => v[c]))),
    changes: (values, returned) => insertedByKey(values as RunValues[], returned, (v) => v.id, (r: { id: string }) => r.id),
  });
  const journalSql = multiRowSql(`insert into "journal" (${quoted(JOURNAL_COLUMNS)}) values`, none(JOURNAL_COLUMNS.length), JOURNAL_UPSERT_TAIL);
  add(q.upsertJournal, {
    // ON CONFLICT DO UPDATE may not touch one row twice in a statement: such a batch runs row by row.
    fits: (values) => new Set((values as JournalValues[]).map((v) => `${v.run_id}\u0000${v.step_key}`)).size === values.length,
    compile: (values) => raw(journalSql(values.length), rowParameters(values as JournalValues[], JOURNAL_COLUMNS.length, (v) => JOURNAL_COLUMNS.map((c) => v[c]))),
    // An upsert writes its row, inserted or updated.
    changes: (values) => values.map((): RowOutcome => 1),
  });
  // The one-row form's SET, with each run's values from a VALUES list; the lease check is the same.
  const finishSql = multiRowSql(
    `update runs ${FINISH_TURN_SET} from (values`,
    ['::text', '::text', '::text', '::int', '::bigint', '::text', '::bigint', '::bigint'],
    `) as v(id, owner, status, done, wake_at, error, now, finished_at) ${FINISH_TURN_WHERE}`,
  );
  add(q.finishTurn, {
    // UPDATE ... FROM may match a row once only: two turns of one run in a batch run one by one.
    fits: (values) => new Set((values as FinishTurnValues[]).map((v) => v.id)).size === values.length,
    compile: (values) => raw(finishSql(values.length), rowParameters(values as FinishTurnValues[], 8, (v) => [v.id, v.owner, v.status, v.done, v.wakeAt, v.error, v.now, v.finishedAt])),
    changes: (values, returned) => insertedByKey(values as FinishTurnValues[], returned, (v) => v.id, (r: { id: string }) => r.id),
  });
  return forms;
}

/**
 * Runs the units of work of one group commit in lockstep inside its transaction: each round takes the
 * next statement of every unfinished unit, runs those of one kind that have a multi-row form as one
 * statement, the others one by one in the units' order, and gives each unit its own result. One
 * transaction either way: the units see each other's writes. A unit whose first statement collided
 * with an earlier unit's (the same delivery twice in a batch) is run again alone after the others, so
 * it sees that unit's writes complete, as it would have one after the other. A batch whose statements
 * fail is retried unit by unit by the caller.
 */
export async function runInLockstep(
  factories: ReadonlyArray<() => StoreWork<unknown>>,
  trx: Transaction<Database>,
  forms: ReadonlyMap<PreparedQuery<object, unknown>, MultiRow>,
): Promise<unknown[]> {
  const results = new Array<unknown>(factories.length);
  const works = factories.map((f) => f());
  const statementsRun = new Array<number>(factories.length).fill(0);
  const again: number[] = [];
  let pending: Array<{ i: number; statement: StoreStatement }> = [];
  const advance = (i: number, result?: StatementResult) => {
    const step = result === undefined ? works[i]!.next() : works[i]!.next(result);
    if (step.done) results[i] = step.value;
    else pending.push({ i, statement: step.value });
  };
  works.forEach((_, i) => advance(i));
  while (pending.length > 0) {
    const round = pending;
    pending = [];
    const answers = new Map<number, StatementResult | 'again'>();
    const done = new Set<PreparedQuery<object, unknown>>();
    for (const { i, statement } of round) {
      const form = forms.get(statement.query);
      if (form && !done.has(statement.query)) {
        done.add(statement.query);
        const group = round.filter((p) => p.statement.query === statement.query);
        if (group.length > 1) {
          for (let from = 0; from < group.length; from += MAX_ROWS) {
            const chunk = group.slice(from, from + MAX_ROWS);
            const values = chunk.map((p) => p.statement.values);
            if (form.fits && !form.fits(values)) {
              for (const p of chunk) answers.set(p.i, await one(trx, p.statement));
              continue;
            }
            const { rows } = await trx.executeQuery(form.compile(values));
            form.changes(values, rows).forEach((outcome, k) => {
              const unit = chunk[k]!.i;
              // A later statement that collided still runs on: this unit already wrote, and reads what the other wrote.
              answers.set(unit, outcome === 'collided' ? (statementsRun[unit] === 0 ? 'again' : { rows: [], changes: 0 }) : { rows: [], changes: outcome });
            });
          }
          continue;
        }
      }
      if (!answers.has(i)) answers.set(i, await one(trx, statement));
    }
    for (const { i } of round) {
      const answer = answers.get(i)!;
      statementsRun[i]! += 1;
      if (answer === 'again') {
        works[i]!.return(undefined);
        again.push(i);
      } else advance(i, answer);
    }
  }
  for (const i of again) results[i] = await runWorkAsync(factories[i]!(), trx);
  return results;
}

async function one(trx: Transaction<Database>, { query, values }: StoreStatement): Promise<StatementResult> {
  const result = await trx.executeQuery(query.compile(values));
  return { rows: result.rows as unknown[], changes: Number(result.numAffectedRows ?? 0n) };
}
