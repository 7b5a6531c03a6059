// Profiles `partnerflow serve` replicas on an embedded PostgreSQL under closed-loop load (issue 14):
// node bin/run-ts.js bench/profile-postgres.ts [seconds] [profile dir or ''] [replicas]. Prints, per
// completed run, the replicas' CPU (and user and system time: system is the kernel's, e.g. socket
// writes; and each replica's share), PostgreSQL's CPU, the statements PostgreSQL executed
// (pg_stat_statements, BEGIN and COMMIT included; the top ones with their calls and execution time per
// run), the claim queries the replicas counted on /metrics, each replica's peak resident memory (VmHWM,
// warm-up included) and the load average. BENCH_SERVE_ROOT: another built checkout whose `serve` to
// measure (server-process.ts). BENCH_CONNECTIONS:
// the load generator's connections (50). With a directory, each replica writes a .cpuprofile into it
// when it stops.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import { generateLoad } from './load.ts';
import { BenchPostgres } from './postgres-cluster.ts';
import { ReplicasUnderTest } from './postgres-replicas.ts';
import { peakRssMb } from './server-process.ts';

const seconds = Number(process.argv[2] ?? 15);
const dir = process.argv[3] ?? '';
const replicas = Number(process.argv[4] ?? 1);
const TOKEN = 'bench-api-token-0123456789';
const postgres = await BenchPostgres.open(process.env.BENCH_DATABASE_URL, { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all', 'pg_stat_statements.track_utility': 'on' });
try {
  const url = await postgres.freshDatabase('profile');
  const runtime = await ReplicasUnderTest.start(url, replicas, dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []);
  const stats = new pg.Client(url);
  await stats.connect();
  try {
    await stats.query('create extension if not exists pg_stat_statements');
    const load = (s: number, prefix: string) => generateLoad({ url: runtime.urls, connections: Number(process.env.BENCH_CONNECTIONS ?? 50), seconds: s, prepared: s * 3000, request: () => runtime.request(prefix) });
    await load(3, 'prw');
    await runtime.drain();
    const pids = runtime.servers.map((s) => s.child.pid!);
    const userSystem = () =>
      pids.map((pid) => {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return [Number(f[11]) * 10, Number(f[12]) * 10] as const;
      });
    const claims = async () => {
      const by: Record<string, number> = {};
      for (const s of runtime.servers) {
        const text = await (await fetch(`http://127.0.0.1:${s.port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
        for (const m of text.matchAll(/^partnerflow_claim_queries_total\{[^}]*result="(\w+)"[^}]*\} (\d+)/gm)) by[m[1]!] = (by[m[1]!] ?? 0) + Number(m[2]);
      }
      return by;
    };
    const c0 = await claims();
    await stats.query('select pg_stat_statements_reset()');
    const us0 = userSystem();
    const [rt0, pg0, from, load0] = [runtime.cpuMs(), postgres.cpuMs()!, Date.now(), loadavg()[0]!];
    const result = await load(seconds, 'prf');
    await runtime.drain();
    const [rt1, pg1, load1] = [runtime.cpuMs(), postgres.cpuMs()!, loadavg()[0]!];
    const us1 = userSystem();
    const c1 = await claims();
    const runs = await runtime.completed(from);
    const { rows } = await stats.query<{ query: string; calls: string; ms: number }>(
      `select query, calls, total_exec_time as ms from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database()) order by calls desc`,
    );
    const statements = rows.filter((r) => !/pg_stat_statements|count\(\*\) as n from runs/.test(r.query));
    const total = statements.reduce((t, r) => t + Number(r.calls), 0);
    const per = (x: number) => Number((x / runs).toFixed(3));
    const sum = (a: ReadonlyArray<readonly [number, number]>, i: 0 | 1) => a.reduce((t, x) => t + x[i], 0);
    console.log(
      JSON.stringify({
        replicas,
        accepted: result.accepted,
        perSecond: Math.round(result.perSecond),
        p99Ms: result.p99Ms,
        runs,
        runtimeCpuPerRunMs: per(rt1 - rt0),
        postgresCpuPerRunMs: per(pg1 - pg0),
        runtimeUserMsPerRun: per(sum(us1, 0) - sum(us0, 0)),
        runtimeSystemMsPerRun: per(sum(us1, 1) - sum(us0, 1)),
        perReplicaCpuMsPerRun: us1.map((x, i) => per(x[0] + x[1] - us0[i]![0] - us0[i]![1])),
        statementsPerRun: per(total),
        claimsPerRun: Object.fromEntries(Object.keys(c1).map((k) => [k, per(c1[k]! - (c0[k] ?? 0))])),
        peakRssMb: pids.map((pid) => Math.round(peakRssMb(pid))),
        loadAverage: [Number(load0.toFixed(1)), Number(load1.toFixed(1))],
      }),
    );
    // The due-backlog count: few calls (every 200 ms per replica under load), each visiting runs_due.
    for (const r of statements.filter((r) => /min\("due"\."wake_at"\)/.test(r.query))) console.log(`due backlog count: ${per(Number(r.calls))} calls, ${(r.ms / runs).toFixed(4)} ms a run (${(r.ms / Number(r.calls)).toFixed(3)} ms a call)`);
    console.log(`statements' execution time: ${(statements.reduce((t, r) => t + r.ms, 0) / runs).toFixed(4)} ms a run`);
    for (const r of statements.slice(0, 14)) console.log(`${per(Number(r.calls)).toFixed(3).padStart(8)} ${(r.ms / runs).toFixed(4).padStart(8)} ms  ${r.query.replace(/\s+/g, ' ').slice(0, 150)}`);
  } finally {
    await stats.end();
    await runtime.close();
  }
} finally {
  await postgres.close();
}
