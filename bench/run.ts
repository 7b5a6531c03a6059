import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import Sqlite from 'better-sqlite3';
// @ts-expect-error: a plain JS module of the launcher, without types
import { ensureBuilt } from '../bin/build-cli.js';
import { createSimulatedSystems } from '../mocks/simulated-systems.ts';
import { systemClock } from '../server/engine/clock.ts';
import { signWebhook } from '../server/http/webhook-signature.ts';
import { generateLoad, summarize, type LoadResult } from './load.ts';
import { productionEnv } from './production-env.ts';

/**
 * `npm run bench`: webhook ingest of the runtime against a bare Hono + SQLite baseline, in one run on
 * this machine, so the ratio means something on a noisy 2-core box. Each server runs in its own
 * process; this process only generates load.
 *   BENCH_SECONDS (default 20), BENCH_CONNECTIONS (default 50), BENCH_WARMUP_SECONDS (default 5), BENCH_ROUNDS (default 4), BENCH_PREPARED_PER_SECOND (default 6000)
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** Requests built ahead per second of load: more than either server accepts on this machine. */
const PREPARED_PER_SECOND = Number(process.env.BENCH_PREPARED_PER_SECOND ?? 6000);
/** Load before the measurement, so both servers are measured with their code optimised by the JIT. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
/** The measured seconds of each server are split into this many alternating rounds. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'partnerflow-bench-'));

interface Started {
  child: ChildProcess;
  port: number;
  /** From spawn until the server answered its ready line. */
  readyMs: number;
}

function start(args: string[], env: Record<string, string>, portOf: (line: string) => number | null): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const port = portOf(line);
      if (port !== null) resolvePromise({ child, port, readyMs: performance.now() - t0 });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before it was ready`)));
  });
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** The demo PRM's MDF-1001, as the simulated PRM sends it; each delivery gets its own number. */
const demoSystems = createSimulatedSystems({ clock: systemClock });
demoSystems.seed();
const DEMO_REQUEST = demoSystems.prm.findMdfRequest('MDF-1001')!;
const mdfRequest = (n: number) => ({ ...DEMO_REQUEST, id: n + 1, mdfNumber: `MDF-B${n}` });

const body = (n: number, prefix: string) => JSON.stringify({ id: `${prefix}-${n}`, event: 'mdf_request.submitted', data: mdfRequest(n) });

function line(name: string, r: LoadResult): string {
  return `${name.padEnd(10)} ${r.perSecond.toFixed(0).padStart(6)} accepted/s   p50 ${r.p50Ms.toFixed(1).padStart(6)} ms   p99 ${r.p99Ms.toFixed(1).padStart(6)} ms   errors ${r.errors}`;
}

/** Merges the rounds of one server: throughput over the whole time, percentiles over all requests. */
function combine(rounds: LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => rounds.reduce((total, r) => total + f(r), 0);
  return summarize({ seconds: sum((r) => r.seconds), errors: sum((r) => r.errors), latencies: rounds.flatMap((r) => r.latencies) });
}

async function main(): Promise<void> {
  // Compile the CLI first, so that "ready after spawn" measures a start, not a build.
  await ensureBuilt();
  console.log(
    `Partnerflow ingest benchmark: ${CONNECTIONS} connections, ${SECONDS} s per server in ${ROUNDS} alternating rounds, after ${WARMUP_SECONDS} s of warm-up each, Node ${process.version}\n`,
  );

  const baseline = await start(['bin/run-ts.js', 'bench/baseline-server.ts', join(work, 'baseline.db'), '0'], {}, (l) => (l.includes('"ready"') ? JSON.parse(l).port : null));
  const runtimeDb = join(work, 'runtime.db');
  const secret = 'bench-webhook-secret-prm';
  const runtime = await start(['bin/partnerflow.js', 'serve', '--port', '0', '--db', runtimeDb], { ...productionEnv(secret), RECIPES_DIR: join(root, 'bench/recipes'), LOG_LEVEL: 'info' }, (l) => {
    if (!l.includes('partnerflow ready')) return null;
    return JSON.parse(l).port as number;
  });
  let n = 0;
  const loadBaseline = (seconds: number) =>
    generateLoad({
      url: `http://127.0.0.1:${baseline.port}/webhooks/prm`,
      connections: CONNECTIONS,
      seconds,
      prepared: seconds * PREPARED_PER_SECOND,
      request: () => ({ body: body(n++, 'base'), headers: {} }),
    });
  const loadRuntime = (seconds: number) =>
    generateLoad({
      url: `http://127.0.0.1:${runtime.port}/webhooks/prm`,
      connections: CONNECTIONS,
      seconds,
      prepared: seconds * PREPARED_PER_SECOND,
      request: () => {
        const b = body(n++, 'rt');
        return { body: b, headers: signWebhook(secret, b, Math.floor(Date.now() / 1000)) };
      },
    });

  const db = new Sqlite(runtimeDb, { readonly: true });
  const count = (where: string) => (db.prepare(`select count(*) as n from runs ${where}`).get() as { n: number }).n;
  /** The runs a load started are executed too: waits until the engine has finished them. */
  const drain = async () => {
    const started = performance.now();
    while (count('where finished_at is null') > 0 && performance.now() - started < 120_000) await new Promise((r) => setTimeout(r, 50));
    return performance.now() - started;
  };

  await loadBaseline(WARMUP_SECONDS);
  let accepted = (await loadRuntime(WARMUP_SECONDS)).accepted;
  await drain();
  // The machine is shared and noisy: alternating short rounds expose both servers to the same noise.
  // Each runtime round is followed by the execution of its backlog, so that it never runs during a
  // baseline round.
  const base: LoadResult[] = [];
  const rt: LoadResult[] = [];
  const backlogs: number[] = [];
  const drains: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    base.push(await loadBaseline(SECONDS / ROUNDS));
    rt.push(await loadRuntime(SECONDS / ROUNDS));
    accepted += rt.at(-1)!.accepted;
    backlogs.push(count('where finished_at is null'));
    drains.push(await drain());
  }
  const baseRss = peakRssMb(baseline.child.pid!);
  const rss = peakRssMb(runtime.child.pid!);
  await Promise.all([stop(baseline.child), stop(runtime.child)]);
  const baseResult = combine(base);
  const result = combine(rt);
  const ratios = rt.map((r, i) => (r.perSecond / base[i]!.perSecond).toFixed(2));
  console.log(line('baseline', baseResult));
  console.log(line('runtime', result));

  const stored = count('');
  const completed = count(`where status = 'completed'`);
  db.close();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  console.log(`
ingest ratio (runtime / baseline):  ${(result.perSecond / baseResult.perSecond).toFixed(2)}   (target >= 0.8; per round: ${ratios.join(', ')})
runtime p99:                        ${result.p99Ms.toFixed(1)} ms   (target < 50 ms)
runtime peak RSS:                   ${rss.toFixed(0)} MB   (baseline ${baseRss.toFixed(0)} MB; target < 150 MB)
runtime ready after spawn:          ${runtime.readyMs.toFixed(0)} ms   (baseline ${baseline.readyMs.toFixed(0)} ms; target < 1000 ms)
accepted runs durably stored:       ${stored} of ${accepted} (warm-up included)${stored >= accepted ? '' : '   <-- LOST RUNS'}
runs executed:                      ${completed} completed; at the end of a round ${Math.round(mean(backlogs))} were still queued, done ${(mean(drains) / 1000).toFixed(1)} s later (mean)`);
  rmSync(work, { recursive: true, force: true });
  if (stored < accepted) process.exitCode = 1;
}

await main();
