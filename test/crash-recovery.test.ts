import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedSystems, type SimulatedSystems } from '../mocks/simulated-systems.ts';
import { systemClock } from '../server/engine/clock.ts';
import { signWebhook } from '../server/http/webhook-signature.ts';
import { serveSimulatedSystems, type SimulatedSystemsServer } from './support/simulated-systems-server.ts';

/**
 * The runtime as a real child process on a file store, killed with SIGKILL while runs are in flight (the
 * approval run waits for the CMM, its Salesforce sync run is in its call to Salesforce), then restarted.
 * The runs must complete, each email must have been sent exactly once, and Salesforce must hold one record.
 */
const root = resolve(import.meta.dirname, '..');
const API_TOKEN = 'crash-test-api-token-0123456789';
const WEBHOOK_SECRET = 'crash-test-webhook-secret-0123456789';
const PARTNER = 'marketing@northwind.example';
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
      APPROVAL_LINK_SECRET: 'crash-test-approval-link-secret-0123456789',
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
  dir = mkdtempSync(join(tmpdir(), 'partnerflow-crash-'));
  port = await freePort();
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('crash recovery', () => {
  it('runs killed mid-flight (a Salesforce sync in its call) complete after a restart; each email is sent exactly once, Salesforce has one record', async () => {
    child = startRuntime();
    await until('the runtime to be ready', async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined));

    sim.holdSalesforce = true;
    const body = JSON.stringify({ id: 'crash-delivery-1', event: 'mdf_request.submitted', data: systems.prm.findMdfRequest('MDF-1001') });
    const accepted = await fetch(`http://127.0.0.1:${port}/webhooks/prm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook(WEBHOOK_SECRET, body, Math.floor(Date.now() / 1000)) },
      body,
    });
    expect(accepted.status).toBe(202);
    const runId = ((await accepted.json()) as { run_ids: string[] }).run_ids[0]!;

    // The approval run handed the Salesforce write to a sync run (D1) and asked the CMM; the sync's call
    // to Salesforce is in flight: kill the process there.
    const syncRunId = await until('the approval run to wait for the CMM with its Salesforce sync started', async () => {
      const { run, journal } = await runOf(runId);
      const started = journal.find((e) => e.stepKey === 'sync_submitted') as { status: string; output?: { run_id?: string } } | undefined;
      return run.status === 'waiting' && started?.status === 'completed' ? started.output?.run_id : undefined;
    });
    await until('the sync run to be in its Salesforce call', async () => ((await runOf(syncRunId)).journal.find((e) => e.stepKey === 'sync')?.status === 'running' ? true : undefined));
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(emailsTo(PARTNER, 'We received')).toHaveLength(1);
    expect(emailsTo(CMM, 'MDF approval needed')).toHaveLength(1);
    sim.holdSalesforce = false;

    child = startRuntime();
    await until('the restarted sync run to complete', async () => ((await runOf(syncRunId)).run.status === 'completed' ? true : undefined));
    expect(systems.salesforce.records('PartnerFundRequest').filter((r) => r.MDF_Number__c === 'MDF-1001')).toHaveLength(1);

    const [approvalEmail] = emailsTo(CMM, 'MDF approval needed');
    const link = new URL(/https?:\/\/\S+\/approvals\/\S+\?decision=approve/.exec(approvalEmail!.text)![0]);
    const decided = await fetch(`http://127.0.0.1:${port}${link.pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=approve',
    });
    expect(decided.status).toBe(200);
    await until('the run to complete', async () => ((await runOf(runId)).run.status === 'completed' ? true : undefined));
    const approvedSync = ((await runOf(runId)).journal.find((e) => e.stepKey === 'sync_approved') as { output?: { run_id?: string } } | undefined)?.output?.run_id;
    await until('the sync of the approval to complete', async () => (approvedSync && (await runOf(approvedSync)).run.status === 'completed' ? true : undefined));

    expect(emailsTo(PARTNER, 'We received')).toHaveLength(1);
    expect(emailsTo(CMM, 'MDF approval needed')).toHaveLength(1);
    expect(emailsTo(PARTNER, 'is approved')).toHaveLength(1);
    expect(systems.email.messages()).toHaveLength(3);
    expect(systems.prm.findMdfRequest('MDF-1001')?.status).toBe('Approved');
    const [fundRequest, ...more] = systems.salesforce.records('PartnerFundRequest').filter((r) => r.MDF_Number__c === 'MDF-1001');
    expect(more).toEqual([]);
    expect(fundRequest?.Status).toBe('Approved');
  }, 150_000);
});
