// One open-loop round of the 202-to-first-step latency on PostgreSQL (issue 14), on its own embedded
// server and fresh database: node bin/run-ts.js bench/first-step-round.ts [replicas] [rate/s]. Prints
// one JSON line. For an A/B of two builds, alternate runs with BENCH_SERVE_ROOT set to the other
// checkout (server-process.ts reads it once per process, hence one round a process).
import { loadavg } from 'node:os';
import { BenchPostgres } from './postgres-cluster.ts';
import { mergedPercentiles, runtimeRound } from './postgres-rounds.ts';
import { root } from './server-process.ts';

const replicas = Number(process.argv[2] ?? 2);
const rate = Number(process.argv[3] ?? 800);
if (!Number.isInteger(replicas) || replicas < 1 || !(rate > 0)) throw new Error('usage: first-step-round.ts [replicas >= 1] [rate/s > 0]');
const postgres = await BenchPostgres.open();
try {
  const round = await runtimeRound(postgres, replicas, { connections: 50, seconds: 3, warmupSeconds: 2, preparedPerSecond: 3000, openRate: rate, openSeconds: 10 });
  const step = round.firstStep!;
  const fromAnswer = mergedPercentiles([step.latencies]);
  const fromCreated = mergedPercentiles([step.fromCreated]);
  console.log(
    JSON.stringify({
      root,
      replicas,
      rate,
      closedLoopAcceptedPerSecond: Math.round(round.load.perSecond),
      p50Ms: fromAnswer.p50Ms,
      p99Ms: fromAnswer.p99Ms,
      fromCreatedP99Ms: fromCreated.p99Ms,
      runs: fromAnswer.n,
      notStarted: step.notStarted,
      refused: step.refused,
      loadAverage: loadavg()[0],
    }),
  );
} finally {
  await postgres.close();
}
