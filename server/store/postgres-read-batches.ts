import { sql, type Kysely } from 'kysely';
import { asRunId, asStepKey, type RunId, type StepKey } from '../engine/ids.ts';
import type { Database } from './database.ts';
import { toJournalEntry, type JournalRow } from './store-rows.ts';
import type { JournalEntry } from './store.ts';

/**
 * Calls of one read asked for in the same turn of the event loop, answered by one statement: on
 * PostgreSQL each statement is a round trip, and under load every delivery asks which runs its event
 * cancels or answers, every claimed run reads its journal. Like the group commit, the batch is taken
 * at setImmediate: a quiet moment adds no wait. A read asked for after a write resolved is sent after
 * that write committed, so it sees it, as a read of its own would.
 */
export class ReadBatch<K, Row> {
  #pending: Array<{ key: K; resolve: (rows: Row[]) => void; reject: (error: unknown) => void }> = [];
  #scheduled = false;

  constructor(
    private readonly keyOf: (key: K) => string,
    /** One statement for these keys (distinct); its rows grouped by key. */
    private readonly run: (keys: K[]) => Promise<Map<string, Row[]>>,
  ) {}

  get(key: K): Promise<Row[]> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ key, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      setImmediate(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    const keys = new Map<string, K>();
    for (const { key } of batch) keys.set(this.keyOf(key), key);
    try {
      const rows = await this.run([...keys.values()]);
      for (const { key, resolve } of batch) resolve(rows.get(this.keyOf(key)) ?? []);
    } catch (error) {
      for (const { reject } of batch) reject(error);
    }
  }
}

const groupBy = <Row>(rows: readonly Row[], keyOf: (row: Row) => string): Map<string, Row[]> => {
  const out = new Map<string, Row[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const list = out.get(key);
    if (list) list.push(row);
    else out.set(key, [row]);
  }
  return out;
};

type EventKey = { event: string; key: string };
const eventKey = (k: EventKey) => `${k.event}\u0000${k.key}`;

/** The hot reads of the PostgreSQL store, each batched (the same queries as store-queries.ts, for many keys). */
export function postgresReadBatches(db: Kysely<Database>) {
  const journal = new ReadBatch<string, JournalRow>(
    (runId) => runId,
    async (runIds) => {
      const { rows } = await sql<JournalRow>`select * from journal where run_id = any(${runIds}::text[]) order by run_id, seq`.execute(db);
      return groupBy(rows, (r) => r.run_id);
    },
  );
  // What an event does to live runs, asked for by every delivery with a correlation key: the runs it
  // cancels and the waits it answers, both in one statement (the engine asks for both at once).
  // One index lookup (runs_cancel_on) per key, whatever the planner thinks of the table's statistics,
  // and one (runs_correlation) for its failed runs, which a cancel also ends (D12: no retry after it);
  // `status = 'waiting'` is a literal, as in the partial index journal_wait_event.
  const liveRuns = new ReadBatch<EventKey, { kind: 'cancel' | 'wait'; run_id: string; step_key: string | null; event: string; key: string }>(eventKey, async (all) => {
    // Only events some run was ever stored to cancel on or a step waited for (awaited_events, kept by
    // triggers in the writing transaction, never shrinking) can have a run to cancel or a wait to
    // answer: for the others the answer is none, as of this statement, and the read below (longer to
    // plan than to run) is not sent. A webhook's event is most often awaited by nothing.
    const events = [...new Set(all.map((k) => k.event))];
    const awaited = await sql<{ event: string }>`select event from awaited_events where event = any(${events}::text[])`.execute(db);
    if (awaited.rows.length === 0) return new Map();
    const live = new Set(awaited.rows.map((r) => r.event));
    const keys = all.filter((k) => live.has(k.event));
    const { rows } = await sql<{ kind: 'cancel' | 'wait'; run_id: string; step_key: string | null; event: string; key: string }>`with k(event, key) as (
        select * from unnest(${keys.map((k) => k.event)}::text[], ${keys.map((k) => k.key)}::text[])
      )
      select 'cancel' as kind, r.id as run_id, null as step_key, k.event, k.key from k
      cross join lateral (
        select id from runs where cancel_on_event = k.event and correlation_key = k.key and finished_at is null
        union all
        select id from runs where cancel_on_event = k.event and correlation_key = k.key and status = 'failed'
      ) r
      union all
      select 'wait' as kind, w.run_id, w.step_key, k.event, k.key from k
      cross join lateral (
        select journal.run_id, journal.step_key from journal inner join runs on runs.id = journal.run_id
        where journal.status = 'waiting' and journal.wait_event = k.event and journal.wait_key = k.key and runs.finished_at is null
      ) w`.execute(db);
    return groupBy(rows, (r) => eventKey(r));
  });
  return {
    /** A run's journal, in the order it was written. */
    getJournal: async (runId: RunId): Promise<JournalEntry[]> => (await journal.get(runId)).map(toJournalEntry),
    findRunsToCancel: async (event: string, key: string): Promise<RunId[]> =>
      (await liveRuns.get({ event, key })).flatMap((r) => (r.kind === 'cancel' ? [asRunId(r.run_id)] : [])),
    findWaitingForEvent: async (event: string, key: string): Promise<Array<{ runId: RunId; stepKey: StepKey }>> =>
      (await liveRuns.get({ event, key })).flatMap((r) => (r.kind === 'wait' ? [{ runId: asRunId(r.run_id), stepKey: asStepKey(r.step_key!) }] : [])),
  };
}
