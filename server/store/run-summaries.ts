import { sql, type Kysely } from 'kysely';
import { asRunId } from '../engine/ids.ts';
import type { Database } from './database.ts';
import { parse, toRun, type RunRow } from './store-rows.ts';
import { runQueryFilter } from './run-query-filter.ts';
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

/**
 * A trigger of at most this many bytes is read whole and summarised by the runtime (an MDF request, a
 * poll's item: a few KB at most); a larger one is summarised by the database, which sends its fields
 * but the data, and the data's size.
 */
const READ_WHOLE_MAX_BYTES = 65_536;

interface SummaryRow {
  /** The trigger's JSON, when it is at most READ_WHOLE_MAX_BYTES. */
  trigger_whole: string | null;
  /** Else the trigger without its `data` (a JSON object). */
  trigger_meta: string | null;
  /** Else the bytes of the JSON text of its `data` (null: it has none). */
  trigger_data_bytes: number | string | null;
}

/**
 * A page of runs, newest first, as a list shows them (`GET /runs`, the console): each run's trigger
 * without its data, the data's size, and the data itself only when small. A large trigger is measured
 * and cut in the database: the runtime receives a few hundred bytes a run, not a lead import's every
 * CSV row, and parses none of it. SQLite: `octet_length` reads no value, `json_remove` parses the text
 * once in C (its output, the trigger without its data, gives the data's size by difference: the store
 * writes triggers as JSON.stringify does, without spaces, and json_remove keeps every other token as
 * written); no `->`, which would write the data out again. PostgreSQL: `octet_length` of a TOASTed text
 * reads only its header, and `json_each` over `json` (not jsonb) lexes it once and gives each field as
 * written. The filters and keyset paging are listRuns's (runQueryFilter), on the same indexes.
 */
export async function listRunSummariesQuery(db: Kysely<Database>, kind: 'sqlite' | 'postgres', q: RunQuery): Promise<RunSummary[]> {
  if (q.ids?.length === 0) return [];
  const whole = sql.lit(READ_WHOLE_MAX_BYTES);
  const query = db
    .selectFrom('runs')
    .select(COLUMNS)
    .select(sql<string | null>`case when octet_length(runs.trigger) <= ${whole} then runs.trigger end`.as('trigger_whole'))
    .select(
      kind === 'sqlite'
        ? [
            sql<string | null>`case when octet_length(runs.trigger) > ${whole} then json_remove(runs.trigger, '$.data') end`.as('trigger_meta'),
            sql<number | string | null>`case when octet_length(runs.trigger) > ${whole} and json_type(runs.trigger, '$.data') is not null then octet_length(runs.trigger) - octet_length(json_remove(runs.trigger, '$.data')) - length('"data":') - (json_remove(runs.trigger, '$.data') <> '{}') end`.as('trigger_data_bytes'),
          ]
        : [
            sql<string | null>`case when octet_length(runs.trigger) > ${whole} then (select json_object_agg(e.key, e.value) from json_each(runs.trigger::json) e where e.key <> 'data')::text end`.as('trigger_meta'),
            sql<number | string | null>`case when octet_length(runs.trigger) > ${whole} then (select octet_length(e.value::text) from json_each(runs.trigger::json) e where e.key = 'data') end`.as('trigger_data_bytes'),
          ],
    )
    .where(runQueryFilter(q))
    .orderBy('id', 'desc')
    .limit(q.limit);
  const rows = await query.execute();
  return rows.map((row) => toRunSummary(row as unknown as Omit<RunRow, 'trigger'> & SummaryRow));
}

function toRunSummary(row: Omit<RunRow, 'trigger'> & SummaryRow): RunSummary {
  const { trigger: _none, ...run } = toRun({ ...row, trigger: 'null' });
  if (row.trigger_whole !== null) {
    const { data, ...meta } = parse<TriggerRecord>(row.trigger_whole);
    const text = data === undefined ? undefined : JSON.stringify(data);
    const dataBytes = text === undefined ? 0 : Buffer.byteLength(text);
    return { ...run, id: asRunId(row.id), trigger: { ...meta, dataBytes, ...(text !== undefined && dataBytes <= LISTED_TRIGGER_DATA_MAX_BYTES ? { data } : {}) } };
  }
  const meta = parse<Omit<TriggerRecord, 'data'>>(row.trigger_meta);
  return { ...run, id: asRunId(row.id), trigger: { ...meta, dataBytes: row.trigger_data_bytes === null ? 0 : Number(row.trigger_data_bytes) } };
}
