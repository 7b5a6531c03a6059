import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The repository root: servers are spawned from there. BENCH_SERVE_ROOT: another checkout (built)
 * whose servers to measure with this one's benchmark, e.g. alternating pairs of two branches.
 */
export const root = process.env.BENCH_SERVE_ROOT ? resolve(process.env.BENCH_SERVE_ROOT) : resolve(import.meta.dirname, '..');

/** A server under test, in a process of its own (this process only generates load). */
export interface Started {
  child: ChildProcess;
  port: number;
  /** From spawn until the server printed its ready line. */
  readyMs: number;
}

/** Spawns `node <args>` and resolves once a stdout line names the port it listens on. */
export function start(args: string[], env: Record<string, string>, portOf: (line: string) => number | null): Promise<Started> {
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

/** The process's peak resident memory so far (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** CPU time the process used so far (user + system), in ms; Linux counts it in ticks of 10 ms. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'; utime and stime are the 12th and 13th of those.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
