import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import Sqlite from 'better-sqlite3';
import { approvalTokenFor } from '../connectors/approval/approval-token.ts';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedSystems, type SimulatedSystems } from '../mocks/simulated-systems.ts';
import { systemClock } from '../server/engine/clock.ts';
import { signWebhook } from '../server/http/webhook-signature.ts';
import { serveSimulatedSystems, type SimulatedSystemsServer } from './support/simulated-systems-server.ts';

/**
 * D10: the runtime as a real child process on a file store, killed with SIGKILL while an approval email
 * waits to be sent (the email API refuses it for now). The bytes the crash leaves (database, WAL, shm)
 * hold no working link; after a restart the email goes out and its link decides.
 */
const root = resolve(import.meta.dirname, '..');
const API_TOKEN = 'crash-test-api-token-0123456789';
const LINK_SECRET = 'crash-test-approval-link-secret-0123456789';
const WEBHOOK_SECRET = 'crash-test-webhook-secret-0123456789';
const CMM = 'cmm.emea@vendor.example';

let systems: SimulatedSystems;
let sim: SimulatedSystemsServer;
let dir: string;
let port: number;
let child: ChildProcess | null = null;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port: p } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return p;
}

function startRuntime(): ChildProcess {
  const proc = spawn(process.execPath, ['bin/partnerflow.js', 'serve'], {
    cwd: root,
    env: {
      ...process.env,
      ...sim.env,
      PORT: String(port),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      PARTNERFLOW_API_TOKEN: API_TOKEN,
      WEBHOOK_SECRET_PRM: WEBHOOK_SECRET,
      APPROVAL_LINK_SECRET: LINK_SECRET,
      PARTNERFLOW_DB: join(dir, 'partnerflow.db'),
      PARTNERFLOW_WORKER_ID: 'crash-test-host',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  proc.stderr!.on('data', (chunk: Buffer) => process.stderr.write(`[runtime] ${chunk.toString()}`));
  return proc;
}

const api = (path: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${port}${path}`, { ...init, headers: { authorization: `Bearer ${API_TOKEN}`, ...(init.headers as Record<string, string>) } });

// Generous: a loaded CI machine (the whole suite runs in parallel) has taken over 20 s to restart the runtime.
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

async function runOf(id: string): Promise<{ run: { status: string }; journal: Array<{ stepKey: string; status: string }> }> {
  const res = await api(`/runs/${id}`);
  if (!res.ok) throw new Error(`GET /runs/${id}: ${res.status}`);
  return (await res.json()) as never;
}

const emailsTo = (to: string, subject: string) => systems.email.messages().filter((m) => m.to.includes(to) && m.subject.includes(subject));

beforeAll(async () => {
  systems = createSimulatedSystems({ clock: systemClock });
  systems.seed();
  sim = await serveSimulatedSystems(systems);
  dir = mkdtempSync(join(tmpdir(), 'partnerflow-links-crash-'));
  port = await freePort();
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

const dbPath = () => join(dir, 'partnerflow.db');
const storeBytes = () => Buffer.concat(['', '-wal', '-shm', '-journal'].filter((s) => existsSync(dbPath() + s)).map((s) => readFileSync(dbPath() + s)));
function derivedTokens(): string[] {
  const db = new Sqlite(dbPath(), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select approval_id from approvals where approval_id is not null').pluck().all() as string[]).map((id) => approvalTokenFor(LINK_SECRET, id));
  } finally {
    db.close();
  }
}

describe('approval links after a crash (D10)', () => {
  it('a runtime killed while an approval email waits to be sent leaves no working link in its files; after the restart the email goes out and its link decides', async () => {
    child = startRuntime();
    await until('the runtime to be ready', async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined));

    // The email API refuses the approval email (not the receipt): it is stored and waits to be sent.
    systems.faults.inject({ system: 'email', kind: 'rate_limit', retryAfterSeconds: 5, times: 1000, to: CMM });
    const body = JSON.stringify({ id: 'links-crash-1', event: 'mdf_request.submitted', data: systems.prm.findMdfRequest('MDF-1001') });
    const accepted = await fetch(`http://127.0.0.1:${port}/webhooks/prm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook(WEBHOOK_SECRET, body, Math.floor(Date.now() / 1000)) },
      body,
    });
    expect(accepted.status).toBe(202);
    const runId = ((await accepted.json()) as { run_ids: string[] }).run_ids[0]!;
    await until('the approval email to have been refused', async () => ((await runOf(runId)).journal.find((e) => e.stepKey === 'ask_approver')?.status === 'failed' ? true : undefined));

    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    child = null;
    expect(emailsTo(CMM, 'MDF approval needed')).toHaveLength(0);
    const [token, ...others] = derivedTokens();
    expect(others).toEqual([]);
    expect(storeBytes().includes(Buffer.from(token!)), 'the link token is in the files the crash left').toBe(false);

    systems.faults.clear();
    child = startRuntime();
    await until('the approval email to go out', async () => (emailsTo(CMM, 'MDF approval needed').length > 0 ? true : undefined), 120_000);
    const [approvalEmail] = emailsTo(CMM, 'MDF approval needed');
    expect(approvalEmail!.text).toContain(`/approvals/${token}?decision=approve`);
    expect(storeBytes().includes(Buffer.from(token!))).toBe(false);
    const decided = await fetch(`http://127.0.0.1:${port}/approvals/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
    expect(decided.status).toBe(200);
    await until('the run to complete', async () => ((await runOf(runId)).run.status === 'completed' ? true : undefined));
    expect(emailsTo(CMM, 'MDF approval needed')).toHaveLength(1);
  }, 240_000);
});
