// Where the 202-to-first-step tail comes from (issue 14). `cycles` times on the same replicas, as the
// full benchmark loads a server: a closed loop of `closedSeconds`, drained, then 10 s of open loop at
// `rate`. For each open loop: the p50 and p99 from a run's `created_at` to its first step, the runs
// whose first step came over 200 ms late by when they were stored (250 ms windows from the open loop's
// start), and the PostgreSQL checkpoints that began meanwhile (pg_stat_checkpointer, or pg_stat_bgwriter
// before PostgreSQL 17) with the WAL written.
// node bin/run-ts.js bench/first-step-tail.ts [replicas] [rate/s] [closedSeconds] [cycles]
import pg from 'pg';
import { generateLoad } from './load.ts';
import { generateOpenLoad } from './open-loop.ts';
import { BenchPostgres } from './postgres-cluster.ts';
import { ReplicasUnderTest } from './postgres-replicas.ts';

const replicas = Number(process.argv[2] ?? 2);
const rate = Number(process.argv[3] ?? 1300);
const closedSeconds = Number(process.argv[4] ?? 20);
const cycles = Number(process.argv[5] ?? 3);
const LATE_MS = 200;
const postgres = await BenchPostgres.open();
const url = await postgres.freshDatabase(`tail${replicas}`);
const runtime = await ReplicasUnderTest.start(url, replicas);
const pool = new pg.Pool({ connectionString: url, max: 2 });

async function checkpoints(): Promise<{ started: number; wal: string }> {
  const current = 'select num_timed + num_requested as started from pg_stat_checkpointer';
  const before17 = 'select checkpoints_timed + checkpoints_req as started from pg_stat_bgwriter';
  const stats = await pool.query<{ started: string }>(current).catch(() => pool.query<{ started: string }>(before17));
  const wal = (await pool.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')).rows[0]!.lsn;
  return { started: Number(stats.rows[0]!.started), wal };
}

const walBytes = (lsn: string) => {
  const [high, low] = lsn.split('/').map((h) => parseInt(h, 16));
  return high! * 2 ** 32 + low!;
};

try {
  const closed = (seconds: number, prefix: string) =>
    generateLoad({ url: runtime.urls, connections: 50, seconds, prepared: Math.min(150_000, seconds * 3000), request: () => runtime.request(prefix) });
  await closed(2, 'tw');
  await runtime.drain();
  for (let cycle = 1; cycle <= cycles; cycle++) {
    const load = await closed(closedSeconds, `tc${cycle}`);
    await runtime.drain();
    const ids: string[] = [];
    const before = await checkpoints();
    const openStart = Date.now();
    // What the checkpointer does, sampled every 100 ms: by 250 ms window, its wait events (a checkpoint
    // under way waits on CheckpointWriteDelay between writes, on DataFileSync at its end).
    const checkpointer: Record<number, string[]> = {};
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await pool.query<{ wait_event: string | null }>(`select wait_event from pg_stat_activity where backend_type = 'checkpointer'`);
        const event = rows[0]?.wait_event ?? 'running';
        const window = Math.floor((Date.now() - openStart) / 250) * 250;
        if (event !== 'CheckpointerMain') (checkpointer[window] ??= []).includes(event) || checkpointer[window]!.push(event);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const result = await generateOpenLoad({
      url: runtime.urls,
      rate,
      seconds: 10,
      request: (n) => {
        const r = runtime.request(`to${cycle}`);
        ids[n] = r.id;
        return r;
      },
    });
    sampling = false;
    await sampler;
    const after = await checkpoints();
    await runtime.drain();
    const { rows } = await pool.query<{ first: string; created: string }>(
      `select min(j.started_at) as first, min(r.created_at) as created
       from deliveries d join runs r on r.id = (d.run_ids::json->>0) join journal j on j.run_id = r.id
       where d.delivery_id = any($1) group by d.delivery_id`,
      [ids],
    );
    const waits = rows.map((r) => ({ created: Number(r.created) - openStart, waited: Number(r.first) - Number(r.created) }));
    const sorted = waits.map((w) => w.waited).sort((a, b) => a - b);
    const lateByWindow: Record<number, number> = {};
    for (const w of waits) if (w.waited > LATE_MS) lateByWindow[Math.floor(w.created / 250) * 250] = (lateByWindow[Math.floor(w.created / 250) * 250] ?? 0) + 1;
    console.log(
      JSON.stringify({
        cycle,
        replicas,
        closedPerSecond: Math.round(load.perSecond),
        rate,
        runs: rows.length,
        refused: result.refused,
        p50: sorted[Math.floor(sorted.length * 0.5)],
        p99: sorted[Math.floor(sorted.length * 0.99)],
        max: sorted.at(-1),
        checkpointsDuringOpenLoop: after.started - before.started,
        walMbDuringOpenLoop: Math.round((walBytes(after.wal) - walBytes(before.wal)) / 2 ** 20),
        walMbTotal: Math.round(walBytes(after.wal) / 2 ** 20),
        lateByWindowMs: lateByWindow,
        checkpointerByWindowMs: checkpointer,
      }),
    );
  }
} finally {
  await pool.end();
  await runtime.close();
  await postgres.dropDatabase(url);
  await postgres.close();
}
