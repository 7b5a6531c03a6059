import { join } from 'node:path';
import { deliveryBody, RuntimeUnderTest } from './runtime-under-test.ts';
import { generateLoad, summarize, type LoadResult } from './load.ts';
import { peakRssMb, start, stop } from './server-process.ts';

/** What the ingest rounds measured, the runtime against the one-insert baseline. */
export interface IngestResult {
  baseline: LoadResult;
  runtime: LoadResult;
  /** Runtime / baseline accepted per second, per round. */
  ratios: number[];
  baselineRssMb: number;
  runtimeRssMb: number;
  baselineReadyMs: number;
  runtimeReadyMs: number;
  /** Runs in the store, and runs accepted (warm-up included): fewer stored is a lost run. */
  stored: number;
  accepted: number;
  completed: number;
  /** Runs not finished at the end of each runtime round, and how long they took to finish. */
  backlogs: number[];
  drains: number[];
}

/** Merges the rounds of one server: throughput over the whole time, percentiles over all requests. */
function combine(rounds: LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => rounds.reduce((total, r) => total + f(r), 0);
  return summarize({ seconds: sum((r) => r.seconds), errors: sum((r) => r.errors), refused: sum((r) => r.refused), latencies: rounds.flatMap((r) => r.latencies) });
}

/**
 * Webhook ingest of the runtime against a bare Hono + SQLite baseline, in alternating rounds so the
 * noise of a shared 2-core machine hits both. Each runtime round is followed by the execution of its
 * backlog, so that execution never runs during a baseline round.
 */
export async function ingestRounds(work: string, o: { connections: number; seconds: number; rounds: number; warmupSeconds: number; preparedPerSecond: number }): Promise<IngestResult> {
  const baseline = await start(['bin/run-ts.js', 'bench/baseline-server.ts', join(work, 'baseline.db'), '0'], {}, (l) => (l.includes('"ready"') ? JSON.parse(l).port : null));
  const runtime = await RuntimeUnderTest.start(work, 'ingest');
  const loadBaseline = (seconds: number) =>
    generateLoad({
      url: `http://127.0.0.1:${baseline.port}/webhooks/prm`,
      connections: o.connections,
      seconds,
      prepared: seconds * o.preparedPerSecond,
      request: () => ({ body: deliveryBody('base'), headers: {} }),
    });
  const loadRuntime = (seconds: number) =>
    generateLoad({ url: runtime.url, connections: o.connections, seconds, prepared: seconds * o.preparedPerSecond, request: () => runtime.request('rt') });

  try {
    await loadBaseline(o.warmupSeconds);
    let accepted = (await loadRuntime(o.warmupSeconds)).accepted;
    await runtime.drain();
    const base: LoadResult[] = [];
    const rt: LoadResult[] = [];
    const backlogs: number[] = [];
    const drains: number[] = [];
    for (let round = 0; round < o.rounds; round++) {
      base.push(await loadBaseline(o.seconds / o.rounds));
      rt.push(await loadRuntime(o.seconds / o.rounds));
      accepted += rt.at(-1)!.accepted;
      backlogs.push(runtime.unfinished());
      drains.push(await runtime.drain());
    }
    return {
      baseline: combine(base),
      runtime: combine(rt),
      ratios: rt.map((r, i) => r.perSecond / base[i]!.perSecond),
      baselineRssMb: peakRssMb(baseline.child.pid!),
      runtimeRssMb: peakRssMb(runtime.pid),
      baselineReadyMs: baseline.readyMs,
      runtimeReadyMs: runtime.server.readyMs,
      stored: runtime.count(''),
      accepted,
      completed: runtime.count(`where status = 'completed'`),
      backlogs,
      drains,
    };
  } finally {
    runtime.close();
    await Promise.all([stop(baseline.child), stop(runtime.server.child)]);
  }
}
