import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Sqlite from 'better-sqlite3';
import { approvalTokenFor } from '../../connectors/approval/approval-token.ts';
import { createSimulatedSystems, type SimulatedSystems } from '../../mocks/simulated-systems.ts';
import { systemClock } from '../../server/engine/clock.ts';
import { signWebhook } from '../../server/http/webhook-signature.ts';
import { freePort } from './free-port.ts';
import { serveSimulatedSystems, type SimulatedSystemsServer } from './simulated-systems-server.ts';
import { untilServing } from './until.ts';

/**
 * Test support for the crash tests: the runtime as a real child process (`partnerflow serve`, production
 * mode) on a file store in a temporary folder, against the simulated systems served on a loopback port,
 * so that a test can kill it with SIGKILL and start it again on the same store.
 */
export const API_TOKEN = 'crash-test-api-token-0123456789';
export const LINK_SECRET = 'crash-test-approval-link-secret-0123456789';
export const WEBHOOK_SECRET = 'crash-test-webhook-secret-0123456789';
export const WORKER_ID = 'crash-test-host';

const root = resolve(import.meta.dirname, '../..');

/** What a test reads of a run through `GET /runs/:id`. */
export interface RunView {
  run: { status: string };
  journal: Array<{ stepKey: string; status: string }>;
}

export interface RuntimeProcess {
  systems: SimulatedSystems;
  sim: SimulatedSystemsServer;
  /** The temporary folder that holds the store; removed by `close()`. */
  dir: string;
  port: number;
  /** The runtime process running now, if any. */
  child: ChildProcess | null;
  /** What the process running now (or the last one) wrote to stdout: its log lines (LOG_LEVEL, 'warn' unless given). */
  stdout(): string;
  /** Starts `partnerflow serve` on the store (it does not wait: see `ready()`); `env` adds or replaces variables ('' unsets one). */
  start(env?: Record<string, string>): ChildProcess;
  /** Waits until the runtime answers `/healthz`. */
  ready(): Promise<void>;
  /** Kills the runtime with SIGKILL (a crash: no shutdown of any kind) and waits for it to exit. */
  crash(): Promise<void>;
  /** Posts a PRM webhook delivery signed with WEBHOOK_SECRET, as the PRM would. */
  deliverPrmWebhook(payload: unknown): Promise<Response>;
  /** The run and its journal, through the runs API. */
  runOf(id: string): Promise<RunView>;
  /** The emails the simulated email API took, sent to `to` with `subject` in their subject. */
  emailsTo(to: string, subject: string): ReturnType<SimulatedSystems['email']['messages']>;
  dbPath(): string;
  /** Every byte of the store's files as a crash leaves them: the database, its WAL, shm and journal. */
  storeBytes(): Buffer;
  /** Reads the store file directly, read-only, while or after the runtime runs. */
  readStore<T>(read: (db: Sqlite.Database) => T): T;
  /** Writes the store file directly (between runs, or as another process sharing it would). */
  writeStore<T>(write: (db: Sqlite.Database) => T): T;
  /** The token of an approval's link, derived as the runtime derives it (it stores none). */
  linkTokenFor(approvalId: string): string;
  /** Kills the runtime if it runs, stops the simulated systems server, removes the store folder. */
  close(): Promise<void>;
}

/**
 * Seeds and serves the simulated systems, makes a store folder named `tmpPrefix…` and picks a port.
 * `env` adds to the runtime's environment (PARTNERFLOW_DATABASE_URL: the store is PostgreSQL).
 */
export async function openRuntimeProcess(tmpPrefix: string, options: { env?: Record<string, string> } = {}): Promise<RuntimeProcess> {
  const systems = createSimulatedSystems({ clock: systemClock });
  systems.seed();
  const sim = await serveSimulatedSystems(systems);
  const dir = mkdtempSync(join(tmpdir(), tmpPrefix));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dbPath = () => join(dir, 'partnerflow.db');
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${API_TOKEN}`, ...(init.headers as Record<string, string>) } });

  let stdout = '';
  const self: RuntimeProcess = {
    systems,
    sim,
    dir,
    port,
    child: null,
    stdout: () => stdout,
    start(env = {}) {
      const proc = spawn(process.execPath, ['bin/partnerflow.js', 'serve'], {
        cwd: root,
        env: {
          ...process.env,
          ...sim.env,
          PORT: String(port),
          PUBLIC_BASE_URL: base,
          PARTNERFLOW_API_TOKEN: API_TOKEN,
          WEBHOOK_SECRET_PRM: WEBHOOK_SECRET,
          APPROVAL_LINK_SECRET: LINK_SECRET,
          PARTNERFLOW_DB: dbPath(),
          PARTNERFLOW_WORKER_ID: WORKER_ID,
          LOG_LEVEL: 'warn',
          ...options.env,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      stdout = '';
      proc.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      proc.stderr!.on('data', (chunk: Buffer) => process.stderr.write(`[runtime] ${chunk.toString()}`));
      self.child = proc;
      return proc;
    },
    async ready() {
      await untilServing(base);
    },
    async crash() {
      const child = self.child!;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      self.child = null;
    },
    deliverPrmWebhook(payload) {
      const body = JSON.stringify(payload);
      return fetch(`${base}/webhooks/prm`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signWebhook(WEBHOOK_SECRET, body, Math.floor(Date.now() / 1000)) },
        body,
      });
    },
    async runOf(id) {
      const res = await api(`/runs/${id}`);
      if (!res.ok) throw new Error(`GET /runs/${id}: ${res.status}`);
      return (await res.json()) as never;
    },
    emailsTo: (to, subject) => systems.email.messages().filter((m) => m.to.includes(to) && m.subject.includes(subject)),
    dbPath,
    storeBytes: () => Buffer.concat(['', '-wal', '-shm', '-journal'].filter((s) => existsSync(dbPath() + s)).map((s) => readFileSync(dbPath() + s))),
    readStore(read) {
      const db = new Sqlite(dbPath(), { readonly: true, fileMustExist: true });
      try {
        return read(db);
      } finally {
        db.close();
      }
    },
    writeStore(write) {
      const db = new Sqlite(dbPath(), { fileMustExist: true });
      try {
        return write(db);
      } finally {
        db.close();
      }
    },
    linkTokenFor: (approvalId) => approvalTokenFor(LINK_SECRET, approvalId),
    async close() {
      self.child?.kill('SIGKILL');
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}
