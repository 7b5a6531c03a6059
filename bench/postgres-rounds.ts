import { generateLoad, percentile, type LoadResult } from './load.ts';
import { generateOpenLoad } from './open-loop.ts';
import type { BenchPostgres } from './postgres-cluster.ts';
import { ReplicasUnderTest } from './postgres-replicas.ts';
import { deliveryBody } from './runtime-under-test.ts';
import { cpuMs, start, stop } from './server-process.ts';

/** Requests built before the clock starts, at most (as the sustained rounds): beyond, built on the fly. */
const MAX_PREPARED = 150_000;

export interface PostgresLoadOptions {
  connections: number;
  /** Seconds of closed-loop load per round. */
  seconds: number;
  warmupSeconds: number;
  preparedPerSecond: number;
}

/** One baseline round: a bare Hono handler doing one INSERT per request, on a fresh database. */
export interface BaselineRound {
  load: LoadResult;
  /** CPU per accepted request, ms: the baseline process, and PostgreSQL (null: not on this machine). */
  serverCpuPerRequestMs: number;
  postgresCpuPerRequestMs: number | null;
}

/** One runtime round: `replicas` serve processes on a fresh database. */
export interface RuntimeRound {
  replicas: number;
  load: LoadResult;
  /** Runs completed in the store while the load ran, a second. */
  completedPerSecond: number;
  /** Runs not finished when the load stopped, and how long they took to finish then. */
  backlogAtEnd: number;
  drainMs: number;
  /** CPU from the load's start until its backlog drained, per run completed in that time, ms. */
  runtimeCpuPerRunMs: number;
  postgresCpuPerRunMs: number | null;
  /** The open loop on the same replicas after the closed one: 202 to the run's first step, ms (sorted). */
  firstStep: { rate: number; latencies: number[]; fromCreated: number[]; notStarted: number; refused: number; errors: number } | null;
}

const perRequest = (ms: number | null, n: number) => (ms === null ? null : n > 0 ? ms / n : NaN);

/** The baseline on a fresh database: warm-up, then `seconds` of closed-loop load with its CPU measured. */
export async function baselineRound(postgres: BenchPostgres, o: PostgresLoadOptions): Promise<BaselineRound> {
  const url = await postgres.freshDatabase('baseline');
  const server = await start(['bin/run-ts.js', 'bench/postgres-baseline-server.ts', url, '0'], {}, (l) => (l.includes('"ready"') ? JSON.parse(l).port : null));
  try {
    const load = (seconds: number) =>
      generateLoad({
        url: `http://127.0.0.1:${server.port}/webhooks/prm`,
        connections: o.connections,
        seconds,
        prepared: Math.min(MAX_PREPARED, seconds * o.preparedPerSecond),
        request: () => ({ body: deliveryBody('pgbase'), headers: {} }),
      });
    if (o.warmupSeconds > 0) await load(o.warmupSeconds);
    const [server0, pg0] = [cpuMs(server.child.pid!), postgres.cpuMs()];
    const result = await load(o.seconds);
    const [server1, pg1] = [cpuMs(server.child.pid!), postgres.cpuMs()];
    return {
      load: result,
      serverCpuPerRequestMs: perRequest(server1 - server0, result.accepted)!,
      postgresCpuPerRequestMs: perRequest(pg0 === null ? null : pg1! - pg0, result.accepted),
    };
  } finally {
    await stop(server.child);
    await postgres.dropDatabase(url);
  }
}

/**
 * The runtime with `replicas` serve processes on a fresh database: warm-up (drained), `seconds` of
 * closed-loop load spread over the replicas, the backlog drained (CPU counted from the load's start to
 * the end of the drain, over the runs completed in that time: ingest and execution together), then,
 * when `openRate` is set, an open loop at that rate to time each delivery's 202 to its run's first step.
 */
export async function runtimeRound(postgres: BenchPostgres, replicas: number, o: PostgresLoadOptions & { openRate: number | null; openSeconds: number }): Promise<RuntimeRound> {
  const url = await postgres.freshDatabase(`runtime${replicas}`);
  const runtime = await ReplicasUnderTest.start(url, replicas).catch(async (error) => {
    await postgres.dropDatabase(url);
    throw error;
  });
  try {
    const load = (seconds: number, prefix: string) =>
      generateLoad({ url: runtime.urls, connections: o.connections, seconds, prepared: Math.min(MAX_PREPARED, seconds * o.preparedPerSecond), request: () => runtime.request(prefix) });
    if (o.warmupSeconds > 0) {
      await load(o.warmupSeconds, `pgw${replicas}`);
      await runtime.drain();
    }
    const [rt0, pg0] = [runtime.cpuMs(), postgres.cpuMs()];
    const from = Date.now();
    const result = await load(o.seconds, `pg${replicas}`);
    const to = Date.now();
    const completedDuring = await runtime.completed(from, to);
    const backlogAtEnd = await runtime.unfinished();
    const drainMs = await runtime.drain();
    const [rt1, pg1] = [runtime.cpuMs(), postgres.cpuMs()];
    const completedSince = await runtime.completed(from);
    const firstStep = o.openRate === null ? null : await openLoop(runtime, replicas, o.openRate, o.openSeconds);
    return {
      replicas,
      load: result,
      completedPerSecond: completedDuring / result.seconds,
      backlogAtEnd,
      drainMs,
      runtimeCpuPerRunMs: perRequest(rt1 - rt0, completedSince)!,
      postgresCpuPerRunMs: perRequest(pg0 === null ? null : pg1! - pg0, completedSince),
      firstStep,
    };
  } finally {
    await runtime.close();
    await postgres.dropDatabase(url);
  }
}

/** Deliveries on a schedule (none waits for another), each one's 202 noted on the wall clock. */
async function openLoop(runtime: ReplicasUnderTest, replicas: number, rate: number, seconds: number): Promise<RuntimeRound['firstStep']> {
  const ids: string[] = [];
  const answeredAt = new Map<string, number>();
  const result = await generateOpenLoad({
    url: runtime.urls,
    rate,
    seconds,
    request: (n) => {
      const r = runtime.request(`pgo${replicas}`);
      ids[n] = r.id;
      return r;
    },
    onAnswer: (n, _dueAt, status) => {
      if (status !== null && status >= 200 && status < 300) answeredAt.set(ids[n]!, Date.now());
    },
  });
  await runtime.drain();
  const { latencies, fromCreated, notStarted } = await runtime.acceptToFirstStep(answeredAt);
  return { rate, latencies, fromCreated, notStarted, refused: result.refused, errors: result.errors };
}

/** p50 and p99 of latencies merged from several rounds. */
export function mergedPercentiles(lists: ReadonlyArray<readonly number[]>): { n: number; p50Ms: number; p99Ms: number } {
  const all = lists.flat().sort((a, b) => a - b);
  return { n: all.length, p50Ms: percentile(all, 0.5), p99Ms: percentile(all, 0.99) };
}
