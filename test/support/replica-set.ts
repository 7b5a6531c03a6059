import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { OffsetClock } from '../../server/engine/clock.ts';
import { freePort } from './free-port.ts';
import { API_TOKEN, LINK_SECRET, WEBHOOK_SECRET } from './runtime-process.ts';
import { untilServing } from './until.ts';

const root = resolve(import.meta.dirname, '../..');

/** One `partnerflow serve` process of a replica set: its port, and the process running now (null while down). */
export interface Replica {
  index: number;
  workerId: string;
  base: string;
  child: ChildProcess | null;
}

/**
 * Several `partnerflow serve` processes (production mode) on one shared store, each on its own loopback
 * port with its own PARTNERFLOW_WORKER_ID, for the replica test: any of them can be killed with SIGKILL
 * and started again on the same store, as a crashed replica is restarted by its supervisor.
 */
export interface ReplicaSet {
  replicas: Replica[];
  /** Starts replica `index` (it must be down) and waits until it answers `/healthz`. */
  start(index: number): Promise<void>;
  /** Kills replica `index` with SIGKILL (no shutdown of any kind) and waits for it to exit. */
  kill(index: number): Promise<void>;
  /** The replicas up now. */
  up(): Replica[];
  /** Kills every replica still running. */
  close(): Promise<void>;
  /**
   * Moves every replica that is up to the shared clock's offset (`PUT /_test/clock`), after the test
   * moved the clock; a replica started later starts at it (PARTNERFLOW_TEST_CLOCK_OFFSET_MS).
   */
  clockMoved(): Promise<void>;
}

/**
 * Picks a port per replica; `env` is every replica's environment on top of the production settings
 * (the store: PARTNERFLOW_DATABASE_URL or PARTNERFLOW_DB; the connectors: the simulated systems').
 * With `clock`, every replica runs on it: the test-only movable clock, at its offset ahead of real time.
 */
export async function openReplicaSet(count: number, env: Record<string, string>, clock?: OffsetClock): Promise<ReplicaSet> {
  const replicas: Replica[] = [];
  for (let index = 0; index < count; index++) {
    const port = await freePort();
    replicas.push({ index, workerId: `replica-${index + 1}`, base: `http://127.0.0.1:${port}`, child: null });
  }
  const self: ReplicaSet = {
    replicas,
    async start(index) {
      const replica = replicas[index]!;
      if (replica.child) throw new Error(`replica ${index} is already running`);
      const proc = spawn(process.execPath, ['bin/partnerflow.js', 'serve'], {
        cwd: root,
        env: {
          ...process.env,
          PORT: new URL(replica.base).port,
          // Approval links name the first replica; the test posts each click to a replica of its choice.
          PUBLIC_BASE_URL: replicas[0]!.base,
          PARTNERFLOW_API_TOKEN: API_TOKEN,
          WEBHOOK_SECRET_PRM: WEBHOOK_SECRET,
          APPROVAL_LINK_SECRET: LINK_SECRET,
          PARTNERFLOW_WORKER_ID: replica.workerId,
          LOG_LEVEL: 'warn',
          ...env,
          // Read at each start: a replica restarted after a kill comes back at the current virtual time.
          ...(clock && { PARTNERFLOW_TEST_CLOCK_OFFSET_MS: String(clock.offsetMs) }),
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      proc.stderr!.on('data', (chunk: Buffer) => process.stderr.write(`[${replica.workerId}] ${chunk.toString()}`));
      replica.child = proc;
      await untilServing(replica.base, 120_000);
    },
    async kill(index) {
      const child = replicas[index]!.child;
      if (!child) return;
      replicas[index]!.child = null;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    up: () => replicas.filter((r) => r.child !== null),
    async close() {
      await Promise.all(replicas.map((r) => self.kill(r.index)));
    },
    async clockMoved() {
      if (!clock) throw new Error('this replica set runs on the system clock');
      const body = JSON.stringify({ offset_ms: clock.offsetMs });
      await Promise.all(
        self.up().map(async (replica) => {
          const res = await fetch(`${replica.base}/_test/clock`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` }, body });
          if (!res.ok) throw new Error(`${replica.workerId}: PUT /_test/clock answered ${res.status}: ${await res.text()}`);
        }),
      );
    },
  };
  return self;
}
