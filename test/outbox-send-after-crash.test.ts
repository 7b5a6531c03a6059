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
 * Issue 10: the runtime as a real child process, killed with SIGKILL in the middle of sending the
 * approval email (the email API holds the request; it never arrives). The restarted process frees the
 * dead one's leases, so the send it finds `sending` is not busy: it asks the provider and sends at once,
 * not 2 minutes later, and the step has not spent its retries waiting.
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
  dir = mkdtempSync(join(tmpdir(), 'partnerflow-send-crash-'));
  port = await freePort();
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

const dbPath = () => join(dir, 'partnerflow.db');
const storeBytes = () => Buffer.concat(['', '-wal', '-shm', '-journal'].filter((s) => existsSync(dbPath() + s)).map((s) => readFileSync(dbPath() + s)));
function outboxRow(key: string): { status: string; attempts: number; sending_owner: string | null; approvalId: string | null } {
  const db = new Sqlite(dbPath(), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`select status, attempts, sending_owner, json_extract(message, '$.template.approvalId') as approvalId from outbox where key = ?`).get(key) as never;
  } finally {
    db.close();
  }
}

describe('a send cut off by a crash (issue 10)', () => {
  it('D10: after a kill mid-send the restarted runtime sends the approval email at once, once, spending no attempt on waiting; the files hold no link', async () => {
    child = startRuntime();
    await until('the runtime to be ready', async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined));

    // The partner's confirmation goes through; the approval email is held in flight.
    sim.holdEmailSendsTo = CMM;
    const body = JSON.stringify({ id: 'send-crash-1', event: 'mdf_request.submitted', data: systems.prm.findMdfRequest('MDF-1001') });
    const accepted = await fetch(`http://127.0.0.1:${port}/webhooks/prm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook(WEBHOOK_SECRET, body, Math.floor(Date.now() / 1000)) },
      body,
    });
    expect(accepted.status).toBe(202);
    const runId = ((await accepted.json()) as { run_ids: string[] }).run_ids[0]!;
    const key = `${runId}:ask_approver`;
    await until('the approval email to be in flight', async () => (existsSync(dbPath()) && outboxRow(key)?.status === 'sending' ? true : undefined));
    const taken = outboxRow(key);
    expect(taken.sending_owner).toMatch(/^crash-test-host~/);

    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    child = null;
    // The send in flight never reached the provider.
    sim.dropHeldEmailSends();
    sim.holdEmailSendsTo = null;
    expect(emailsTo(CMM, 'MDF approval needed')).toHaveLength(0);
    const token = approvalTokenFor(LINK_SECRET, taken.approvalId!);
    expect(storeBytes().includes(Buffer.from(token))).toBe(false);

    const restartedAt = Date.now();
    child = startRuntime();
    await until('the approval email to go out', async () => (emailsTo(CMM, 'MDF approval needed').length > 0 ? true : undefined), 60_000);
    // Well inside the 2-minute window that a cut-off send used to wait out.
    expect(Date.now() - restartedAt).toBeLessThan(60_000);
    expect(emailsTo(CMM, 'MDF approval needed')).toHaveLength(1);
    expect(emailsTo(CMM, 'MDF approval needed')[0]!.text).toContain(`/approvals/${token}?decision=approve`);
    const step = await until('the step to complete', async () => {
      const entry = (await runOf(runId)).journal.find((e) => e.stepKey === 'ask_approver') as { status: string; attempts: number; notes: string[] } | undefined;
      return entry?.status === 'completed' ? entry : undefined;
    });
    // Attempt 1 died mid-send; attempt 2 asked the provider and sent.
    expect(step.attempts).toBe(2);
    expect(step.notes.join('\n')).toMatch(/interrupted and the provider has no such message/);
    expect(storeBytes().includes(Buffer.from(token))).toBe(false);
  }, 180_000);
});
