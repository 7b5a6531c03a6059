import { sql, type Kysely } from 'kysely';
import { asRunId } from '../engine/ids.ts';
import type { Database } from './database.ts';
import { parse, toRun, type RunRow } from './store-rows.ts';
import type { RunQuery, RunSummary, TriggerRecord } from './store.ts';

/**
 * Trigger data of at most this many bytes (its JSON text, UTF-8) is listed whole with its run; larger
 * data (a lead import's every CSV row) is left out of a list, its size given: `GET /runs/:id` has it.
 * A cut of the text would be no JSON, and could not be redacted as the API redacts trigger data.
 */
export const LISTED_TRIGGER_DATA_MAX_BYTES = 4096;

/** The runs columns a list reads: every one but `trigger`, whose data may be megabytes. */
const COLUMNS = [
  'id', 'recipe', 'recipe_version', 'recipe_hash', 'dedup_key', 'correlation_key', 'cancel_on_event', 'concurrency_key', 'status', 'wake_at', 'poked',
  'held_back', 'lease_owner', 'lease_until', 'error', 'created_at', 'updated_at', 'finished_at', 'parked_on', 'parked_since',
] as const;

interface SummaryRow {
  /** The trigger without its `data` (a JSON object). */
  trigger_meta: string;
  /** Bytes of the JSON text of the trigger's `data`; null when it has none. */
  trigger_data_bytes: number | string | null;
  /** That text when it is at most LISTED_TRIGGER_DATA_MAX_BYTES, else null. */
  trigger_data: string | null;
}

/**
 * A page of runs, newest first, as a list shows them (`GET /runs`, the console): each run's trigger
 * without its data, the data's size, and the data itself only when small. The database measures the
 * data and cuts it out (SQLite's JSON functions; PostgreSQL's `json`, which only lexes the text), so
 * a list of large lead imports sends the runtime a few hundred bytes a run, not every CSV row, and the
 * runtime parses none of it. The filters and keyset paging are listRuns's, on the same indexes.
 */
export async function listRunSummariesQuery(db: Kysely<Database>, kind: 'sqlite' | 'postgres', q: RunQuery): Promise<RunSummary[]> {
  const max = LISTED_TRIGGER_DATA_MAX_BYTES;
  let query = db
    .selectFrom('runs')
    .select(COLUMNS)
    .select(
      kind === 'sqlite'
        ? [
            sql<string>`json_remove(runs.trigger, '$.data')`.as('trigger_meta'),
            sql<number | string | null>`octet_length(runs.trigger -> '$.data')`.as('trigger_data_bytes'),
            sql<string | null>`case when octet_length(runs.trigger -> '$.data') <= ${sql.lit(max)} then runs.trigger -> '$.data' end`.as('trigger_data'),
          ]
        : [
            // One lexing of the text (json, not jsonb: nothing is built), each top-level field kept as written.
            sql<string>`(select json_object_agg(e.key, e.value) filter (where e.key <> 'data') from json_each(runs.trigger::json) e)::text`.as('trigger_meta'),
            sql<number | string | null>`(select max(octet_length(e.value::text)) from json_each(runs.trigger::json) e where e.key = 'data')`.as('trigger_data_bytes'),
            sql<string | null>`(select max(e.value::text) from json_each(runs.trigger::json) e where e.key = 'data' and octet_length(e.value::text) <= ${sql.lit(max)})`.as('trigger_data'),
          ],
    )
    .orderBy('id', 'desc')
    .limit(q.limit);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.recipe) query = query.where('recipe', '=', q.recipe);
  if (q.correlationKey) query = query.where('correlation_key', '=', q.correlationKey);
  if (q.before) query = query.where('id', '<', q.before);
  const rows = await query.execute();
  return rows.map((row) => toRunSummary(row as unknown as Omit<RunRow, 'trigger'> & SummaryRow));
}

function toRunSummary(row: Omit<RunRow, 'trigger'> & SummaryRow): RunSummary {
  const { trigger: _none, ...run } = toRun({ ...row, trigger: 'null' });
  const meta = parse<Omit<TriggerRecord, 'data'>>(row.trigger_meta);
  const bytes = row.trigger_data_bytes === null ? 0 : Number(row.trigger_data_bytes);
  return {
    ...run,
    id: asRunId(row.id),
    trigger: { ...meta, dataBytes: bytes, ...(row.trigger_data !== null ? { data: parse<unknown>(row.trigger_data) } : {}) },
  };
}
