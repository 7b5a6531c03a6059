import { generateOpenLoad } from './open-loop.ts';
import { generateLoad, type LoadResult } from './load.ts';
import { RuntimeUnderTest } from './runtime-under-test.ts';
import { cpuMs, peakRssMb, stop } from './server-process.ts';

/** What a round of load that does not stop measured: intake, execution during the load, and after. */
export interface SustainedResult {
  load: LoadResult;
  /** Runs completed per second while the load ran (the runtime's `/metrics`). */
  completedPerSecond: number;
  /** Runs not finished when the load stopped. */
  backlogAtEnd: number;
  /** Acceptance to `completed`, over the runs accepted during the load (after they drained). */
  acceptToCompleted: { runs: number; p50Ms: number; p99Ms: number };
  /** The runtime process's peak RSS, warm-up included. */
  peakRssMb: number;
  /** Server CPU per run completed during the load (ingest and execution together). */
  cpuPerRunMs: number;
  /** Server CPU per run executed while the backlog drained with no intake; null when too few runs were left to time it. */
  executeCpuPerRunMs: number | null;
  drainMs: number;
}

/**
 * Requests built before the clock starts, at most: a minute at 6000 a second would hold 360,000 signed
 * deliveries (about 400 MB) in this process. Beyond these, requests are built on the fly.
 */
const MAX_PREPARED = 150_000;

/** Drains of fewer runs than this are too short for CPU ticks of 10 ms to measure a cost per run. */
const MIN_RUNS_TO_TIME = 500;

/**
 * One round on a fresh runtime: warm-up (then its backlog drains), `load` for its seconds with the
 * completed count read from `/metrics` at both ends, then the backlog drains with no intake (timed in
 * server CPU: what executing a run costs), and the runs accepted during the load give the latency from
 * acceptance to completion.
 */
async function round(work: string, name: string, warmupSeconds: number, load: (runtime: RuntimeUnderTest, warmup: boolean) => Promise<LoadResult>): Promise<SustainedResult> {
  const runtime = await RuntimeUnderTest.start(work, name);
  try {
    if (warmupSeconds > 0) {
      await load(runtime, true);
      await runtime.drain();
    }
    const completedBefore = await runtime.completed();
    const cpuBefore = cpuMs(runtime.pid);
    const from = Date.now();
    const result = await load(runtime, false);
    const to = Date.now();
    const cpuAtEnd = cpuMs(runtime.pid);
    const completedAtEnd = await runtime.completed();
    const backlogAtEnd = runtime.unfinished();
    const completedDuring = completedAtEnd - completedBefore;
    const drainMs = await runtime.drain();
    const drained = (await runtime.completed()) - completedAtEnd;
    const drainCpu = cpuMs(runtime.pid) - cpuAtEnd;
    return {
      load: result,
      completedPerSecond: completedDuring / result.seconds,
      backlogAtEnd,
      acceptToCompleted: runtime.acceptToCompleted(from, to),
      peakRssMb: peakRssMb(runtime.pid),
      cpuPerRunMs: completedDuring > 0 ? (cpuAtEnd - cpuBefore) / completedDuring : NaN,
      executeCpuPerRunMs: drained >= MIN_RUNS_TO_TIME ? drainCpu / drained : null,
      drainMs,
    };
  } finally {
    runtime.close();
    await stop(runtime.server.child);
  }
}

/** Closed loop: `connections` senders, each sending its next delivery when the last was answered. */
export function sustainedRound(work: string, o: { connections: number; seconds: number; warmupSeconds: number; preparedPerSecond: number }): Promise<SustainedResult> {
  return round(work, 'sustained', o.warmupSeconds, (runtime, warmup) => {
    const seconds = warmup ? o.warmupSeconds : o.seconds;
    return generateLoad({ url: runtime.url, connections: o.connections, seconds, prepared: Math.min(MAX_PREPARED, seconds * o.preparedPerSecond), request: () => runtime.request(warmup ? 'sw' : 's') });
  });
}

/** Open loop: deliveries leave at `rate` a second on a schedule, answered or not. */
export function openLoopRound(work: string, o: { rate: number; seconds: number; warmupSeconds: number }): Promise<SustainedResult> {
  return round(work, 'open-loop', o.warmupSeconds, (runtime, warmup) =>
    generateOpenLoad({ url: runtime.url, rate: o.rate, seconds: warmup ? o.warmupSeconds : o.seconds, request: () => runtime.request(warmup ? 'ow' : 'o') }),
  );
}
