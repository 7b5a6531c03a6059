import { summarize, type LoadResult } from './load.ts';
import { BenchPostgres } from './postgres-cluster.ts';
import { baselineRound, mergedPercentiles, runtimeRound, type BaselineRound, type PostgresLoadOptions, type RuntimeRound } from './postgres-rounds.ts';

/** Replica counts the `postgres` mode measures. */
export const REPLICA_COUNTS = [1, 2, 3] as const;

/** Issue 14's speed targets. */
export const POSTGRES_TARGETS = {
  /** With 1 replica, ingest and completed runs a second at least this share of the baseline. */
  oneReplicaRatio: 1.0,
  /** Adding replicas costs less than this share of the 1-replica throughput. */
  replicaLoss: 0.1,
  /** 202 to the run's first step, p99 with replicas, ms. */
  firstStepP99Ms: 100,
};

/** What the `postgres` mode measured: the baseline and each replica count, over its rounds. */
export interface PostgresResult {
  server: string;
  baseline: { load: LoadResult; serverCpuPerRequestMs: number; postgresCpuPerRequestMs: number | null };
  runtimes: Array<{
    replicas: number;
    load: LoadResult;
    completedPerSecond: number;
    /** Per round: 1-replica accepted/s over the baseline's of the same round (1 replica only). */
    ratios: number[];
    backlogs: number[];
    drainsMs: number[];
    runtimeCpuPerRunMs: number;
    postgresCpuPerRunMs: number | null;
    firstStep: {
      rate: number;
      n: number;
      p50Ms: number;
      p99Ms: number;
      /** From the run's created_at (the replicas' clock) instead of the generator's 202. */
      fromCreatedP50Ms: number;
      fromCreatedP99Ms: number;
      notStarted: number;
      refused: number;
      errors: number;
    } | null;
  }>;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const meanOrNull = (xs: ReadonlyArray<number | null>) => (xs.some((x) => x === null) ? null : mean(xs as number[]));

/** Throughput over all rounds' time, percentiles over all their requests. */
function combine(rounds: readonly LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => rounds.reduce((total, r) => total + f(r), 0);
  return summarize({ seconds: sum((r) => r.seconds), errors: sum((r) => r.errors), refused: sum((r) => r.refused), latencies: rounds.flatMap((r) => r.latencies) });
}

/**
 * The `postgres` mode: in each round, the one-INSERT baseline, then the runtime with 1, 2 and 3
 * replicas, each on a fresh database, so the machine's noise hits them all. The open loop that times
 * 202 to first step runs at `openRate` a second, or at half the 1-replica completed rate of the first
 * round.
 */
export async function postgresMode(o: PostgresLoadOptions & { rounds: number; openRate: number | null; openSeconds: number }): Promise<PostgresResult> {
  const postgres = await BenchPostgres.open();
  try {
    const baselines: BaselineRound[] = [];
    const runtimes = new Map<number, RuntimeRound[]>(REPLICA_COUNTS.map((n) => [n, []]));
    let openRate = o.openRate;
    for (let round = 0; round < o.rounds; round++) {
      baselines.push(await baselineRound(postgres, o));
      for (const replicas of REPLICA_COUNTS) {
        // The first 1-replica round sets the open loop's rate when none is given: it runs after the closed loop.
        const r = await runtimeRound(postgres, replicas, { ...o, openRate: openRate ?? null });
        if (openRate === null) openRate = Math.max(1, Math.round(r.completedPerSecond / 2));
        runtimes.get(replicas)!.push(r);
        console.log(`  round ${round + 1}: ${replicas} replica(s) ${r.load.perSecond.toFixed(0)} accepted/s, ${r.completedPerSecond.toFixed(0)} completed/s (baseline ${baselines.at(-1)!.load.perSecond.toFixed(0)}/s)`);
      }
    }
    // A round without the open loop (the one that set its rate) runs it once more at the end.
    const first = runtimes.get(1)!;
    if (first.every((r) => r.firstStep === null)) first.push(await runtimeRound(postgres, 1, { ...o, seconds: 1, openRate, openSeconds: o.openSeconds }));
    return {
      server: postgres.describe(),
      baseline: {
        load: combine(baselines.map((b) => b.load)),
        serverCpuPerRequestMs: mean(baselines.map((b) => b.serverCpuPerRequestMs)),
        postgresCpuPerRequestMs: meanOrNull(baselines.map((b) => b.postgresCpuPerRequestMs)),
      },
      runtimes: REPLICA_COUNTS.map((replicas) => {
        // The extra 1-second round, if any, only times the first step: not counted in throughput.
        const all = runtimes.get(replicas)!;
        const rounds = all.slice(0, o.rounds);
        const steps = all.filter((r) => r.firstStep !== null).map((r) => r.firstStep!);
        const p = mergedPercentiles(steps.map((s) => s.latencies));
        const c = mergedPercentiles(steps.map((s) => s.fromCreated));
        const sum = (f: (s: (typeof steps)[number]) => number) => steps.reduce((t, s) => t + f(s), 0);
        return {
          replicas,
          load: combine(rounds.map((r) => r.load)),
          completedPerSecond: mean(rounds.map((r) => r.completedPerSecond)),
          ratios: replicas === 1 ? rounds.map((r, i) => r.load.perSecond / baselines[i]!.load.perSecond) : [],
          backlogs: rounds.map((r) => r.backlogAtEnd),
          drainsMs: rounds.map((r) => r.drainMs),
          runtimeCpuPerRunMs: mean(rounds.map((r) => r.runtimeCpuPerRunMs)),
          postgresCpuPerRunMs: meanOrNull(rounds.map((r) => r.postgresCpuPerRunMs)),
          firstStep: steps.length === 0 ? null : { rate: steps[0]!.rate, n: p.n, p50Ms: p.p50Ms, p99Ms: p.p99Ms, fromCreatedP50Ms: c.p50Ms, fromCreatedP99Ms: c.p99Ms, notStarted: sum((s) => s.notStarted), refused: sum((s) => s.refused), errors: sum((s) => s.errors) },
        };
      }),
    };
  } finally {
    await postgres.close();
  }
}

const ms = (x: number | null) => (x === null ? 'not measured' : `${Number.isFinite(x) ? x.toFixed(2) : '-'} ms`);
const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

export function printPostgres(r: PostgresResult): void {
  const b = r.baseline;
  const rows = r.runtimes.map((x) => {
    const step = x.firstStep ? `202-to-first-step p50 ${ms(x.firstStep.p50Ms)} p99 ${ms(x.firstStep.p99Ms)} (from created_at p50 ${ms(x.firstStep.fromCreatedP50Ms)} p99 ${ms(x.firstStep.fromCreatedP99Ms)}) at ${x.firstStep.rate}/s (${x.firstStep.n} runs, ${x.firstStep.notStarted} not started, ${x.firstStep.refused} refused)` : 'first step not timed';
    return `  ${x.replicas} replica${x.replicas > 1 ? 's' : ' '}  ${x.load.perSecond.toFixed(0).padStart(6)} accepted/s (${(x.load.perSecond / b.load.perSecond).toFixed(2)} x)   ${x.completedPerSecond.toFixed(0).padStart(6)} completed/s (${(x.completedPerSecond / b.load.perSecond).toFixed(2)} x)   ingest p50 ${ms(x.load.p50Ms)} p99 ${ms(x.load.p99Ms)}   refused ${x.load.refused} errors ${x.load.errors}
     CPU per completed run: runtime ${ms(x.runtimeCpuPerRunMs)}, PostgreSQL ${ms(x.postgresCpuPerRunMs)}   backlog at the end ${x.backlogs.join(', ')} (drained in ${x.drainsMs.map((d) => (d / 1000).toFixed(1)).join(', ')} s)
     ${step}`;
  });
  console.log(`postgres: on ${r.server}
  baseline  ${b.load.perSecond.toFixed(0).padStart(6)} accepted/s   p50 ${ms(b.load.p50Ms)} p99 ${ms(b.load.p99Ms)}   errors ${b.load.errors}   CPU per request: server ${ms(b.serverCpuPerRequestMs)}, PostgreSQL ${ms(b.postgresCpuPerRequestMs)}
${rows.join('\n')}
  1-replica ingest ratio per round: ${r.runtimes[0]!.ratios.map((x) => x.toFixed(2)).join(', ')}
`);
}

/** Issue 14's speed targets, each met or not in this run: lines for the closing summary. */
export function postgresTargetLines(r: PostgresResult): string[] {
  const one = r.runtimes.find((x) => x.replicas === 1)!;
  const base = r.baseline.load.perSecond;
  const lines = [
    `postgres, 1 replica ingest and completed/s >= ${POSTGRES_TARGETS.oneReplicaRatio.toFixed(1)} x the one-INSERT baseline: ${verdict(one.load.perSecond >= base && one.completedPerSecond >= base)} (ingest ${(one.load.perSecond / base).toFixed(2)}, completed ${(one.completedPerSecond / base).toFixed(2)})`,
  ];
  for (const x of r.runtimes.filter((y) => y.replicas > 1)) {
    const loss = 1 - x.completedPerSecond / one.completedPerSecond;
    lines.push(`postgres, ${x.replicas} replicas lose < ${POSTGRES_TARGETS.replicaLoss * 100}% of the 1-replica completed/s:         ${verdict(loss < POSTGRES_TARGETS.replicaLoss)} (${Math.abs(loss * 100).toFixed(0)}% ${loss < 0 ? 'gained' : 'lost'}; ingest ${Math.abs((1 - x.load.perSecond / one.load.perSecond) * 100).toFixed(0)}% ${x.load.perSecond > one.load.perSecond ? 'gained' : 'lost'})`);
    lines.push(
      `postgres, ${x.replicas} replicas 202-to-first-step p99 < ${POSTGRES_TARGETS.firstStepP99Ms} ms:               ${x.firstStep ? `${verdict(x.firstStep.p99Ms < POSTGRES_TARGETS.firstStepP99Ms && x.firstStep.notStarted === 0)} (${ms(x.firstStep.p99Ms)} at ${x.firstStep.rate}/s; from created_at ${ms(x.firstStep.fromCreatedP99Ms)})` : 'not measured'}`,
    );
  }
  return lines;
}
