import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

/** A CLI process a test started: the process, its exit code once it exits, and what it printed so far. */
export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  exited: Promise<number | null>;
  out(): string;
  err(): string;
}

/**
 * `partnerflow <args>` as a user starts it (bin/partnerflow.js in a child Node process), for tests of what
 * only the process shows: its exit code, what it prints, the port it listens on.
 */
export function spawnCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): CliProcess {
  const child = spawn(process.execPath, [join(root, 'bin/partnerflow.js'), ...args], { cwd: options.cwd, env: options.env });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  return { child, exited, out: () => out, err: () => err };
}
