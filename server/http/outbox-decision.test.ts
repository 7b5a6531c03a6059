import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MOCK_APPROVAL_LINK_SECRET } from '../../connectors/approval/approval-token.ts';
import { EmailConfig } from '../../connectors/email/email-config.ts';
import { emailConnector } from '../../connectors/email/index.ts';
import { messageIdFor } from '../../connectors/email/smtp-client.ts';
import { capturingLogger, type CapturingLogger } from '../../connectors/kit/action-test-context.ts';
import { Recipe } from '../../schemas/recipe.ts';
import { fakeConnector, FakeSystem, recipeWith, silentLog } from '../../test/support/engine-fixture.ts';
import { SmtpRelay } from '../../test/support/smtp-relay.ts';
import { VirtualClock } from '../engine/clock.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { Engine } from '../engine/engine.ts';
import { asRunId } from '../engine/ids.ts';
import { loadedRecipe, RecipeSet } from '../engine/recipe-set.ts';
import { createTables } from '../engine/tables.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { testConfig } from './app-fixture.ts';
import { createApp } from './app.ts';

/**
 * Issue 14, part 8, the operator's side of an SMTP send cut off after its data began: the run fails
 * at the email step saying what happened and what to check, and the message is not sent again until
 * an operator decides, `POST /outbox/:key/resend` (it did not arrive) or `mark-sent` (it did). Either
 * retries the run, which then goes on.
 */
const PASSWORD = 'smtp-pass-0p3r470r';
const FROM = 'Partner Marketing <mdf@vendor.example>';
const templatesDir = mkdtempSync(join(tmpdir(), 'partnerflow-smtp-templates-'));
afterAll(() => rmSync(templatesDir, { recursive: true, force: true }));
writeFileSync(join(templatesDir, 'approval-needed.txt'), '---\nsubject: Approval needed for {{ id }}\n---\nPlease decide on {{ id }}.\n');

let relay: SmtpRelay;
let store: Store;
let engine: Engine;
let app: Hono;
let system: FakeSystem;
let log: CapturingLogger;

beforeEach(async () => {
  relay = await SmtpRelay.start({ users: { partnerflow: PASSWORD } });
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  store = await openSqliteStore({ path: ':memory:' });
  system = new FakeSystem();
  log = capturingLogger();
  const recipe = recipeWith([
    { id: 'notify', type: 'action', action: 'email.send', input: { to: ['cmm.emea@vendor.example'], template: 'approval-needed', data: { id: '{% trigger.data.id %}' } } },
    { id: 'after', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' } },
  ]);
  const recipes = new RecipeSet([loadedRecipe(Recipe.parse(recipe), 'test-recipe.recipe.json')], store);
  await recipes.persist(clock.now());
  const tables = createTables({});
  const email = EmailConfig.parse({ smtpUrl: `smtp://partnerflow@127.0.0.1:${relay.port}`, smtpPassword: PASSWORD, from: FROM, templatesDir });
  const connectors = new ConnectorCatalog([fakeConnector(system), emailConnector]).connect({ email }, { clock, log, store, publicBaseUrl: 'http://localhost:3000', timezone: tables.calendar.timezone });
  engine = new Engine({ store, clock, recipes, connectors, tables, log: silentLog, random: () => 1 });
  app = createApp({ engine, config: testConfig(), log, approvalLinks: { linkSecret: MOCK_APPROVAL_LINK_SECRET, timezone: 'Europe/Berlin' } });
});
afterEach(async () => {
  await engine.stop();
  await relay.close();
  await store.close();
});

/** A delivery whose run's email the relay takes and then drops the connection without answering. */
async function runWithDroppedAnswer(): Promise<{ runId: string; key: string }> {
  relay.behaviour = { dropAfterData: true };
  const [runId] = (await engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'MDF-1001' } })).runIds;
  await engine.runUntilIdle();
  relay.behaviour = {};
  return { runId: runId!, key: `${runId}:notify` };
}

const post = (path: string) => app.request(path, { method: 'POST' });

describe('an SMTP send cut off after its data (issue 14, part 8)', () => {
  it('fails the run at the email step in words that say what to check and how to decide, logs it, and sends nothing more by itself', async () => {
    const { runId, key } = await runWithDroppedAnswer();
    const detail = (await (await app.request(`/runs/${runId}`)).json()) as { run: { status: string; error: { message: string; stepKey: string } } };
    expect(detail.run.status).toBe('failed');
    expect(detail.run.error.stepKey).toBe('notify');
    expect(detail.run.error.message).toContain(`email ${key} needs an operator’s decision`);
    expect(detail.run.error.message).toContain(`Message-ID ${messageIdFor(key, FROM)}`);
    expect(detail.run.error.message).toContain(`POST /outbox/${encodeURIComponent(key)}/resend`);
    expect(log.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([expect.stringContaining(`email ${key} needs an operator’s decision`)]);
    // An operator's plain retry of the run does not resend it either: the decision is explicit.
    expect((await post(`/runs/${runId}/retry`)).status).toBe(200);
    await engine.runUntilIdle();
    expect((await store.getRun(asRunId(runId)))?.status).toBe('failed');
    expect(relay.dataReceived).toBe(1);
    expect(JSON.stringify({ log: log.text(), detail })).not.toContain(PASSWORD);
  });

  it('POST /outbox/:key/resend sends it again with the same Message-ID and the run goes on', async () => {
    const { runId, key } = await runWithDroppedAnswer();
    const res = await post(`/outbox/${encodeURIComponent(key)}/resend`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ key, status: 'pending', run_id: runId, run_retried: true });
    await engine.runUntilIdle();
    expect((await store.getRun(asRunId(runId)))?.status).toBe('completed');
    expect(relay.messages.map((m) => m.headers['message-id'])).toEqual([messageIdFor(key, FROM), messageIdFor(key, FROM)]);
    expect(relay.messages[1]!.text).toBe('Please decide on MDF-1001.\n');
    expect(system.effects.map((e) => e.key)).toEqual(['MDF-1001']);
    // Sent now: nothing left to decide.
    expect((await post(`/outbox/${encodeURIComponent(key)}/resend`)).status).toBe(409);
  });

  it('POST /outbox/:key/mark-sent counts it as delivered: the run goes on and nothing is sent again', async () => {
    const { runId, key } = await runWithDroppedAnswer();
    const res = await post(`/outbox/${encodeURIComponent(key)}/mark-sent`);
    expect(await res.json()).toEqual({ key, status: 'sent', run_id: runId, run_retried: true });
    await engine.runUntilIdle();
    expect((await store.getRun(asRunId(runId)))?.status).toBe('completed');
    expect(relay.dataReceived).toBe(1);
    expect(await store.getOutbox(key)).toMatchObject({ status: 'sent', providerMessageId: messageIdFor(key, FROM) });
  });

  it('refuses a decision on a message that does not wait for one (409) or does not exist (404)', async () => {
    const [runId] = (await engine.deliver({ source: 'fake', deliveryId: 'd-2', event: 'thing.happened', data: { id: 'MDF-1002' } })).runIds;
    await engine.runUntilIdle();
    const sent = await post(`/outbox/${encodeURIComponent(`${runId}:notify`)}/resend`);
    expect(sent.status).toBe(409);
    expect(((await sent.json()) as { error: string }).error).toBe(`message ${runId}:notify is sent: only a message whose send was cut off and waits for an operator’s decision (failed) can be resent or marked sent`);
    expect((await post('/outbox/nothing-here/mark-sent')).status).toBe(404);
    expect(relay.dataReceived).toBe(1);
  });

  it('two conflicting decisions at once (two operators, two replicas): one wins, the other gets 409 naming the status it found, and the message goes out once', async () => {
    const { runId, key } = await runWithDroppedAnswer();
    // Both requests read the message `failed` before either writes, as on two replicas.
    const getOutbox = store.getOutbox.bind(store);
    let reads = 0;
    let bothRead!: () => void;
    const barrier = new Promise<void>((resolve) => (bothRead = resolve));
    store.getOutbox = async (k) => {
      const found = await getOutbox(k);
      if (++reads === 2) bothRead();
      if (reads <= 2) await barrier;
      return found;
    };
    const [markSent, resend] = await Promise.all([post(`/outbox/${encodeURIComponent(key)}/mark-sent`), post(`/outbox/${encodeURIComponent(key)}/resend`)]);
    store.getOutbox = getOutbox;
    expect([markSent.status, resend.status].sort()).toEqual([200, 409]);
    const [winner, loser] = markSent.status === 200 ? [markSent, resend] : [resend, markSent];
    const decided = ((await winner.json()) as { status: 'sent' | 'pending' }).status;
    expect(((await loser.json()) as { error: string }).error).toBe(
      `message ${key} is ${decided} now: another decision was taken on it meanwhile (it was failed when this one was asked); check it before deciding again`,
    );
    expect(await store.getOutbox(key)).toMatchObject({ status: decided });
    await engine.runUntilIdle();
    expect((await store.getRun(asRunId(runId)))?.status).toBe('completed');
    // The relay took it once before the decision; a resend that won sends it once more, never twice more.
    expect(relay.dataReceived).toBe(decided === 'pending' ? 2 : 1);
  });
});
