import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { hashApprovalToken, MOCK_APPROVAL_LINK_SECRET } from '../connectors/approval/approval-token.ts';
import { CONNECTORS } from '../connectors/index.ts';
import { Recipe } from '../schemas/recipe.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createRuntime, type Runtime } from './runtime.ts';

/**
 * The README's walkthrough, step by step, against the runtime `npm start` builds: mock mode, the shipped
 * recipes and tables, seeded simulated systems. Requests go through the real Hono app.
 */
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

async function mockRuntime(): Promise<Runtime> {
  const config = loadConfig({}, { mock: true, connectors: CONNECTORS, overrides: { dbPath: ':memory:', logLevel: 'silent' } });
  runtime = await createRuntime({ config });
  return runtime;
}

interface MailboxMessage {
  to: string[];
  subject: string;
  text: string;
}

async function mailbox(rt: Runtime, to: string): Promise<MailboxMessage[]> {
  const res = await rt.app.request(`/_mock/mailbox?to=${encodeURIComponent(to)}`);
  return ((await res.json()) as { messages: MailboxMessage[] }).messages;
}

describe('the README walkthrough (npm start)', () => {
  it('takes MDF-1001 from the PRM webhook to an approved, synced request with a readable journal', async () => {
    const rt = await mockRuntime();

    // 1. The simulated PRM delivers "MDF request submitted".
    const accepted = await rt.app.request('/_mock/prm/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'mdf_request.submitted', mdf_number: 'MDF-1001', delivery_id: 'demo-1' }),
    });
    expect(accepted.status).toBe(202);
    const { run_ids: runIds } = (await accepted.json()) as { run_ids: string[] };
    expect(runIds).toHaveLength(1);
    await rt.engine.runUntilIdle();

    // 2. The partner's confirmation (D7).
    const confirmations = await mailbox(rt, 'marketing@northwind.example');
    expect(confirmations.map((m) => m.subject)).toEqual([expect.stringMatching(/^We received your MDF request MDF-1001/)]);

    // 3. The EMEA CMM's approval email (D8, D10): GET shows a page and decides nothing; POST decides.
    const [approvalEmail] = await mailbox(rt, 'cmm.emea@vendor.example');
    expect(approvalEmail?.subject).toMatch(/^MDF approval needed: MDF-1001/);
    const link = new URL(/http:\/\/\S+\/approvals\/\S+\?decision=approve/.exec(approvalEmail!.text)![0]);
    expect(link.origin).toBe(rt.config.publicBaseUrl);
    const page = await rt.app.request(link.pathname + link.search);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('MDF-1001');
    // Before the click: the approval, and so the 10 minutes of step 4b, come after it on this real clock.
    const approvedAt = rt.clock.now();
    const decided = await rt.app.request(link.pathname, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve&comment=Great+event' });
    expect(decided.status).toBe(200);
    await rt.engine.runUntilIdle();

    // 4. The partner's approval email, the PRM status, the Salesforce Funds Request (D1, D11).
    expect((await mailbox(rt, 'marketing@northwind.example')).map((m) => m.subject)).toEqual([
      expect.stringMatching(/^We received/),
      expect.stringMatching(/^Your MDF request MDF-1001 is approved/),
    ]);
    const records = (await (await rt.app.request('/_mock/records')).json()) as {
      prm: { mdf_requests: Array<{ mdfNumber: string; status: string }> };
      salesforce: { PartnerFundRequest: Array<{ MDF_Number__c: string; Status: string }> };
    };
    expect(records.prm.mdf_requests.find((r) => r.mdfNumber === 'MDF-1001')?.status).toBe('Approved');
    expect(records.salesforce.PartnerFundRequest.filter((r) => r.MDF_Number__c === 'MDF-1001').map((r) => r.Status)).toEqual(['Approved']);

    // 4b. The claim reminder (D14). The demo activity ended in May 2026, so the approval makes every
    // reminder day late: only the latest (day 28) is sent, once, at least 10 minutes after the approval
    // (its email first) and inside business hours in Berlin (catch_up); GET /timers says when.
    const timers = (await (await rt.app.request('/timers')).json()) as { business_timers: Array<{ key: string; offset: number; fires_at: string }> };
    const [claimReminder, ...otherReminders] = timers.business_timers.filter((t) => t.key === 'MDF-1001');
    expect(otherReminders).toEqual([]);
    expect(claimReminder?.offset).toBe(28);
    const firesAt = Date.parse(claimReminder!.fires_at);
    expect(firesAt).toBeGreaterThanOrEqual(approvedAt + 10 * 60_000);
    const berlin = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(firesAt);
    expect(berlin).toMatch(/^(Mon|Tue|Wed|Thu|Fri) (09|1[0-6]):\d\d$/);
    await rt.app.request('/_mock/clock/advance', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: `PT${Math.ceil((firesAt - rt.clock.now()) / 60_000) + 1}M` }) });
    await rt.engine.runUntilIdle();
    expect((await mailbox(rt, 'marketing@northwind.example')).map((m) => m.subject)).toEqual([
      expect.stringMatching(/^We received/),
      expect.stringMatching(/^Your MDF request MDF-1001 is approved/),
      'Reminder: claim your MDF for MDF-1001 Cloud Summit Munich',
    ]);

    // 5. The run and its journal over the runs API; no secret in it.
    const list = (await (await rt.app.request('/runs')).json()) as { runs: Array<{ id: string; status: string; recipe: string }> };
    expect(list.runs).toContainEqual(expect.objectContaining({ id: runIds[0], status: 'completed', recipe: 'mdf-request-approval' }));
    const detail = await (await rt.app.request(`/runs/${runIds[0]}`)).text();
    const journal = (JSON.parse(detail) as { journal: Array<{ stepKey: string; status: string; attempts: number; input: unknown; output: unknown }> }).journal;
    expect(journal.map((e) => e.stepKey)).toEqual(expect.arrayContaining(['request', 'partner', 'check', 'confirm_receipt', 'sync_submitted', 'ask_approver', 'decision', 'approved', 'approve_in_prm', 'sync_approved', 'tell_partner_approved']));
    expect(journal.every((e) => e.status === 'completed' && e.attempts >= 1)).toBe(true);
    expect(journal.find((e) => e.stepKey === 'request')?.output).toMatchObject({ mdfNumber: 'MDF-1001' });
    for (const secret of ['mock-prm-key', 'mock-secret', 'mock-email-token', 'mock-webhook-secret-prm', link.pathname.split('/').pop()!]) {
      expect(detail).not.toContain(secret);
    }

    // The same delivery again starts nothing new.
    const again = await rt.app.request('/_mock/prm/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'mdf_request.submitted', mdf_number: 'MDF-1001', delivery_id: 'demo-1' }),
    });
    expect(await again.json()).toMatchObject({ duplicate: true, run_ids: runIds });
  });
});

describe('timer recipes given in code', () => {
  it('runs a timer recipe given in code, as one from a file (timer triggers used to be refused)', async () => {
    const config = loadConfig({}, { mock: true, connectors: CONNECTORS, overrides: { dbPath: ':memory:', logLevel: 'silent' } });
    const reminder = Recipe.parse({
      name: 'claim-reminder',
      version: 1,
      description: 'reminds the partner of a claim after the activity ends',
      trigger: { type: 'timer', record: 'prm.mdf_request.status_changed', date: '{% data.endDate %}', offsets: ['P2D'], key: '{% data.mdfNumber %}' },
      steps: [{ id: 'done', type: 'stop' }],
    });
    const rt = await createRuntime({ config, recipes: [{ definition: reminder, file: 'recipes/claim-reminder.recipe.json' }] });
    expect(rt.engine.recipes.get('claim-reminder')?.definition.trigger.type).toBe('timer');
    await rt.close();
  });
});

describe('approval tokens at rest', () => {
  it('keeps no working approval link in the database once the approval email is sent (only the token hash)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'partnerflow-token-'));
    const dbPath = join(dir, 'store.db');
    try {
      const config = loadConfig({}, { mock: true, connectors: CONNECTORS, overrides: { dbPath, logLevel: 'silent' } });
      const rt = await createRuntime({ config });
      await rt.app.request('/_mock/prm/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ event: 'mdf_request.submitted', mdf_number: 'MDF-1001' }) });
      await rt.engine.runUntilIdle();
      const [approvalEmail] = await mailbox(rt, 'cmm.emea@vendor.example');
      const token = /\/approvals\/([^?\s"]+)/.exec(approvalEmail!.text)![1]!;
      await rt.close();

      // The bytes of the file, not a query: a query cannot see content left in free pages.
      expect(existsSync(`${dbPath}-wal`)).toBe(false);
      expect(readFileSync(dbPath).includes(Buffer.from(token))).toBe(false);
      // The approval it stands for is there, by its hash.
      const db = new Sqlite(dbPath, { readonly: true });
      try {
        expect(db.prepare('select count(*) from approvals where token_hash = ?').pluck().get(hashApprovalToken(token))).toBe(1);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('configuration', () => {
  it('names every bad variable, also those with defaults, and starts with none of them', () => {
    const bad = {
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      MAX_BODY_BYTES: '-5',
      WORKER_CONCURRENCY: '0',
      PARTNERFLOW_LEASE_MS: '10',
      PUBLIC_BASE_URL: 'ftp://example.com',
    };
    let message = '';
    try {
      loadConfig(bad, { mock: true, connectors: CONNECTORS });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    for (const variable of ['PORT', 'LOG_LEVEL', 'MAX_BODY_BYTES', 'WORKER_CONCURRENCY', 'PARTNERFLOW_LEASE_MS', 'PUBLIC_BASE_URL']) {
      expect(message).toContain(`${variable}:`);
    }
    expect(message).toContain('(got "loud")');
  });

  it('builds the approval link base on the port it listens on, an IPv6 host in brackets, a wildcard as localhost', () => {
    const base = (env: Record<string, string>) => loadConfig(env, { mock: true, connectors: CONNECTORS }).publicBaseUrl;
    expect(base({ PORT: '3917' })).toBe('http://127.0.0.1:3917');
    expect(base({ HOST: '::1' })).toBe('http://[::1]:3000');
    expect(base({ HOST: '0.0.0.0' })).toBe('http://localhost:3000');
    expect(base({ HOST: '::', PUBLIC_BASE_URL: 'https://partnerflow.example.com/' })).toBe('https://partnerflow.example.com');
  });

  it('reads the backpressure bounds and the worker maximum, which is never below WORKER_CONCURRENCY', () => {
    const config = (env: Record<string, string>) => loadConfig(env, { mock: true, connectors: CONNECTORS });
    expect(config({})).toMatchObject({ workerConcurrency: 8, workerMaxConcurrency: 64, maxDueBacklog: 10_000, maxDueAgeMs: 5000 });
    expect(config({ WORKER_CONCURRENCY: '100' }).workerMaxConcurrency).toBe(100);
    expect(config({ MAX_DUE_BACKLOG: '500', MAX_DUE_AGE_MS: '2000', WORKER_MAX_CONCURRENCY: '8' })).toMatchObject({ maxDueBacklog: 500, maxDueAgeMs: 2000, workerMaxConcurrency: 8 });
    expect(() => config({ WORKER_CONCURRENCY: '16', WORKER_MAX_CONCURRENCY: '4' })).toThrow('WORKER_MAX_CONCURRENCY: must be at least WORKER_CONCURRENCY (16) (got "4")');
    expect(() => config({ MAX_DUE_BACKLOG: '0' })).toThrow('MAX_DUE_BACKLOG:');
  });

  it('reads a blank PORT as unset (the default port), never as port 0: surrounding whitespace is no part of a value', () => {
    expect(loadConfig({ PORT: '  ' }, { mock: true, connectors: CONNECTORS }).port).toBe(3000);
    expect(() => loadConfig({ PORT: ' x ' }, { mock: true, connectors: CONNECTORS })).toThrow('PORT: a port number (0 to 65535) (got "x")');
  });

  it('refuses PORT=0 without PUBLIC_BASE_URL: the links would name a port nobody listens on', () => {
    expect(() => loadConfig({ PORT: '0' }, { mock: true, connectors: CONNECTORS })).toThrow('PUBLIC_BASE_URL: required with PORT=0');
    expect(loadConfig({ PORT: '0', PUBLIC_BASE_URL: 'http://127.0.0.1:8080' }, { mock: true, connectors: CONNECTORS }).port).toBe(0);
  });

  it('refuses to start without credentials, naming every variable the runtime itself needs', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty' }, { mock: false, connectors: CONNECTORS });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const variable of ['PORT', 'PUBLIC_BASE_URL', 'PARTNERFLOW_API_TOKEN', 'APPROVAL_LINK_SECRET']) {
      expect(message).toContain(variable);
    }
    // A connector none of whose variables is set is needed only by the recipes that use it: the
    // start names those once the recipes are loaded (connectors-not-configured.test.ts).
    for (const variable of ['WEBHOOK_SECRET_PRM', 'PRM_BASE_URL', 'SALESFORCE_CLIENT_SECRET', 'EMAIL_SERVER_TOKEN', 'MARKETO_BASE_URL']) {
      expect(message).not.toContain(variable);
    }
  });

  it('D20: starts without WEBHOOK_SECRET_LEADS (web forms are optional: their webhooks are off), and takes one when set', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env, { mock: false, connectors: CONNECTORS });
      } catch (e) {
        return (e as ConfigError).problems.filter((p) => p.includes('WEBHOOK_SECRET_LEADS'));
      }
      return [];
    };
    expect(problems({})).toEqual([]);
    expect(problems({ WEBHOOK_SECRET_LEADS: 'short' })).toHaveLength(1);
  });

  it('D10: refuses an approval link secret shorter than 32 characters, or the public mock one, outside mock mode, without echoing it', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env, { mock: false, connectors: CONNECTORS });
      } catch (e) {
        return (e as ConfigError).problems.filter((p) => p.startsWith('APPROVAL_LINK_SECRET'));
      }
      return [];
    };
    expect(problems({})).toEqual(['APPROVAL_LINK_SECRET: required by the approval connector']);
    expect(problems({ APPROVAL_LINK_SECRET: 'too-short-link-secret' })).toEqual([expect.stringContaining('must be at least 32 characters')]);
    expect(problems({ APPROVAL_LINK_SECRET: 'too-short-link-secret' }).join()).not.toContain('too-short-link-secret');
    expect(problems({ APPROVAL_LINK_SECRET: MOCK_APPROVAL_LINK_SECRET })).toEqual([expect.stringContaining('the public mock secret')]);
    expect(problems({ APPROVAL_LINK_SECRET: 'an-approval-link-secret-of-40-characters!' })).toEqual([]);
  });

  it('never echoes a secret it refuses', () => {
    let message = '';
    try {
      loadConfig({ PARTNERFLOW_API_TOKEN: 'short-secret' }, { mock: false, connectors: CONNECTORS });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('PARTNERFLOW_API_TOKEN: must be at least 16 characters');
    expect(message).not.toContain('short-secret');
  });
});
