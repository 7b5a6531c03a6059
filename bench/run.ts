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
import { generateLoad, type LoadResult } from './load.ts';
import { productionEnv } from './production-env.ts';

/**
 * `npm run bench`: webhook ingest of the runtime against a bare Hono + SQLite baseline, in one run on
 * this machine, so the ratio means something on a noisy 2-core box. Each server runs in its own
 * process; this process only generates load.
 *   BENCH_SECONDS (default 20), BENCH_CONNECTIONS (default 50), BENCH_WARMUP_SECONDS (default 5)
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** Load before the measurement, so both servers are measured with their code optimised by the JIT. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
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

async function main(): Promise<void> {
  // Compile the CLI first, so that "ready after spawn" measures a start, not a build.
  await ensureBuilt();
  console.log(`Partnerflow ingest benchmark: ${CONNECTIONS} connections, ${SECONDS} s each after ${WARMUP_SECONDS} s of warm-up, Node ${process.version}\n`);

  const baselineDb = join(work, 'baseline.db');
  const baseline = await start(['bin/run-ts.js', 'bench/baseline-server.ts', baselineDb, '0'], {}, (l) => (l.includes('"ready"') ? JSON.parse(l).port : null));
  const baseRequest = (n: number) => ({ body: body(n, 'base'), headers: {} });
  await generateLoad({ url: `http://127.0.0.1:${baseline.port}/webhooks/prm`, connections: CONNECTIONS, seconds: WARMUP_SECONDS, request: (n) => baseRequest(1e9 + n) });
  const base = await generateLoad({ url: `http://127.0.0.1:${baseline.port}/webhooks/prm`, connections: CONNECTIONS, seconds: SECONDS, request: baseRequest });
  const baseRss = peakRssMb(baseline.child.pid!);
  await stop(baseline.child);
  console.log(line('baseline', base));

  const runtimeDb = join(work, 'runtime.db');
  const secret = 'bench-webhook-secret-prm';
  const runtime = await start(['bin/partnerflow.js', 'serve', '--port', '0', '--db', runtimeDb], { ...productionEnv(secret), RECIPES_DIR: join(root, 'bench/recipes'), LOG_LEVEL: 'info' }, (l) => {
    if (!l.includes('partnerflow ready')) return null;
    return JSON.parse(l).port as number;
  });
  const runtimeRequest = (n: number) => {
    const b = body(n, 'rt');
    return { body: b, headers: signWebhook(secret, b, Math.floor(Date.now() / 1000)) };
  };
  const warmup = await generateLoad({ url: `http://127.0.0.1:${runtime.port}/webhooks/prm`, connections: CONNECTIONS, seconds: WARMUP_SECONDS, request: (n) => runtimeRequest(1e9 + n) });
  const result = await generateLoad({ url: `http://127.0.0.1:${runtime.port}/webhooks/prm`, connections: CONNECTIONS, seconds: SECONDS, request: runtimeRequest });
  const db = new Sqlite(runtimeDb, { readonly: true });
  const count = (where: string) => (db.prepare(`select count(*) as n from runs ${where}`).get() as { n: number }).n;
  const backlogAtEnd = count('where finished_at is null');
  // The runs the load started are executed too: how long the engine takes to finish the backlog.
  const drainStarted = performance.now();
  while (count('where finished_at is null') > 0 && performance.now() - drainStarted < 120_000) await new Promise((r) => setTimeout(r, 50));
  const drainMs = performance.now() - drainStarted;
  const rss = peakRssMb(runtime.child.pid!);
  await stop(runtime.child);
  console.log(line('runtime', result));

  const stored = count('');
  const completed = count(`where status = 'completed'`);
  db.close();

  console.log(`
ingest ratio (runtime / baseline):  ${(result.perSecond / base.perSecond).toFixed(2)}   (target >= 0.8)
runtime p99:                        ${result.p99Ms.toFixed(1)} ms   (target < 50 ms)
runtime peak RSS:                   ${rss.toFixed(0)} MB   (baseline ${baseRss.toFixed(0)} MB; target < 150 MB)
runtime ready after spawn:          ${runtime.readyMs.toFixed(0)} ms   (baseline ${baseline.readyMs.toFixed(0)} ms; target < 1000 ms)
accepted runs durably stored:       ${stored} of ${result.accepted + warmup.accepted} (warm-up included)${stored >= result.accepted + warmup.accepted ? '' : '   <-- LOST RUNS'}
runs executed:                      ${completed} completed; ${backlogAtEnd} were still queued when the load stopped, done ${(drainMs / 1000).toFixed(1)} s later`);
  rmSync(work, { recursive: true, force: true });
  if (stored < result.accepted + warmup.accepted) process.exitCode = 1;
}

await main();
