import { DEFERRED_RECIPIENTS_RETRY_MS } from './email-deferred.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Recipe } from '../../schemas/recipe.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { ConnectorCatalog } from '../../server/engine/connector-registry.ts';
import { Engine } from '../../server/engine/engine.ts';
import { asRunId } from '../../server/engine/ids.ts';
import { loadedRecipe, RecipeSet } from '../../server/engine/recipe-set.ts';
import { createTables } from '../../server/engine/tables.ts';
import { fakeConnector, FakeSystem, recipeWith, silentLog } from '../../test/support/engine-fixture.ts';
import { approvalConnector } from '../approval/index.ts';
import { approvalTokenFor, hashApprovalToken, MOCK_APPROVAL_LINK_SECRET } from '../approval/approval-token.ts';
import type { Store } from '../../server/store/store.ts';
import type { SmtpRelay } from '../../test/support/smtp-relay.ts';
import { openSmtpSenderSetup, type SmtpSenderSetup } from '../../test/support/smtp-sender-setup.ts';
import type { CapturingLogger } from '../kit/action-test-context.ts';
import { EmailConfig } from './email-config.ts';
import type { OutgoingEmail } from './email-connection.ts';
import { emailConnector } from './index.ts';
import type { OutboxSender } from './outbox-sender.ts';
import { messageIdFor } from './smtp-client.ts';

/**
 * D10 (the approver approves from the email itself, so the approval email must reach the approver)
 * over SMTP, a real SMTP server on loopback. A relay that refuses a recipient for now (a 4xx to RCPT
 * TO: greylisting, a full mailbox) while it takes the others: those who got it do not get it twice,
 * and the deferred recipient gets it on the step's retry, once, with the same Message-ID. A recipient
 * refused for good (5xx) is named at level warn with how many received it.
 */
const FROM = 'Partner Marketing <mdf@vendor.example>';
const KEY = 'run_x:ask_approver';
const APPROVER = 'cmm.emea@vendor.example';
const CC = 'finance@vendor.example';
const clock = new VirtualClock('2026-04-20T09:00:00Z');
let store: Store;
let log: CapturingLogger;
let relay: SmtpRelay;
let sender: () => OutboxSender;
let setup: SmtpSenderSetup;

beforeEach(async () => {
  clock.set('2026-04-20T09:00:00Z');
  ({ store, log, relay, sender } = setup = await openSmtpSenderSetup(FROM, clock));
});
afterEach(() => setup.close());

const email: OutgoingEmail = {
  key: KEY,
  runId: null,
  to: [APPROVER],
  cc: [CC],
  tag: 'mdf-approval-request',
  rendered: { subject: 'MDF approval needed: MDF-1001', text: 'Approve 12,500 USD?', html: '<p>Approve 12,500 USD?</p>' },
};

/** Who received which copy: the envelope recipients of each message the relay took, with its Message-ID. */
const received = () => relay.messages.map((m) => ({ to: m.envelope.to, messageId: m.headers['message-id'], toHeader: m.headers.to, ccHeader: m.headers.cc }));

describe('SMTP recipients refused for now (4xx) while others are taken', () => {
  it('the greylisted approver gets the approval email on the step’s retry, once, with the same Message-ID; the Cc gets it once', async () => {
    const s = sender();
    relay.behaviour = { refuseRecipients: { code: 451, message: '4.7.1 Greylisted, try again later', address: APPROVER } };
    const first = await s.send(email).catch((e: unknown) => e);
    // The step fails, retryable, saying who got it and who gets it on the retry.
    expect(first).toMatchObject({ name: 'EmailDeferredError', retryable: true });
    expect((first as Error).message).toMatch(
      new RegExp(`^email run_x:ask_approver went to 1 of its 2 recipients; the SMTP relay 127\\.0\\.0\\.1:\\d+ refused cmm\\.emea@vendor\\.example \\("451 4\\.7\\.1 Greylisted, try again later"\\) for now: the step’s retry sends it to them, once \\(outbox run_x:ask_approver#deferred\\)$`),
    );
    const messageId = messageIdFor(KEY, FROM);
    expect(received()).toEqual([{ to: [CC], messageId, toHeader: APPROVER, ccHeader: CC }]);
    expect(await store.getOutbox(KEY)).toMatchObject({ status: 'sent', providerMessageId: messageId, lastError: expect.stringContaining('cmm.emea@vendor.example') });
    expect(await store.getOutbox(`${KEY}#deferred`)).toMatchObject({ status: 'pending', message: { to: [APPROVER], cc: [CC], followUp: { of: KEY, recipients: [APPROVER] } } });
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ outboxKey: KEY, received: 1, recipients: 2, deferred: [APPROVER] }) }));
    expect(log.lines.filter((l) => l.message?.startsWith('email sent'))).toEqual([]);

    // The relay still defers the approver: nobody gets a second copy, the follow-up waits.
    await expect(s.send(email)).rejects.toMatchObject({ name: 'SmtpSendError', smtpCode: 451, retryable: true });
    expect(received()).toHaveLength(1);
    expect(await store.getOutbox(`${KEY}#deferred`)).toMatchObject({ status: 'pending' });

    // The greylisting is over: the approver gets the same message, with the same headers and Message-ID.
    relay.behaviour = {};
    expect(await s.send(email)).toEqual({ messageId, alreadySent: false });
    expect(received()).toEqual([
      { to: [CC], messageId, toHeader: APPROVER, ccHeader: CC },
      { to: [APPROVER], messageId, toHeader: APPROVER, ccHeader: CC },
    ]);
    expect(relay.messages[1]!.text).toBe('Approve 12,500 USD?');
    expect(await store.getOutbox(`${KEY}#deferred`)).toMatchObject({ status: 'sent', providerMessageId: messageId });

    // Any later attempt sends nothing.
    expect(await sender().send(email)).toEqual({ messageId, alreadySent: true });
    expect(relay.dataReceived).toBe(2);
  });

  it('the follow-up refused for good (5xx) on the retry: the step fails, not retryable, naming the relay’s reply; the follow-up stays pending for an operator’s retry of the run, which sends it to the deferred recipient alone', async () => {
    relay.behaviour = { refuseRecipients: { code: 451, message: '4.7.1 Greylisted, try again later', address: APPROVER } };
    await expect(sender().send(email)).rejects.toMatchObject({ name: 'EmailDeferredError' });
    relay.behaviour = { refuseRecipients: { code: 550, message: '5.1.1 Mailbox unknown', address: APPROVER } };
    const refused = await sender().send(email).catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'SmtpSendError', smtpCode: 550, retryable: false });
    expect((refused as Error).message).toContain('550 5.1.1 Mailbox unknown');
    expect(await store.getOutbox(KEY)).toMatchObject({ status: 'sent' });
    expect(await store.getOutbox(`${KEY}#deferred`)).toMatchObject({ status: 'pending', lastError: expect.stringContaining('550') });

    // The mailbox exists again and the operator retries the run: the approver gets it, the Cc does not again.
    relay.behaviour = {};
    expect(await sender().send(email)).toMatchObject({ alreadySent: false });
    expect(received().map((r) => r.to)).toEqual([[CC], [APPROVER]]);
  });

  it('a recipient refused for good (5xx): the others get it once, the step succeeds, and the log says at warn who did not and how many did', async () => {
    relay.behaviour = { refuseRecipients: { code: 550, message: '5.1.1 Mailbox unknown', address: CC } };
    const notes: string[] = [];
    expect(await sender().send(email, { note: (n) => notes.push(n) })).toMatchObject({ alreadySent: false });
    expect(received().map((r) => r.to)).toEqual([[APPROVER]]);
    expect(notes).toEqual([expect.stringMatching(/^the SMTP relay 127\.0\.0\.1:\d+ refused finance@vendor\.example \("550 5\.1\.1 Mailbox unknown"\) for good; sent to the other recipient \(1 of 2\)$/)]);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'email sent to 1 of 2 recipients: mdf-approval-request', fields: expect.objectContaining({ outboxKey: KEY, received: 1, recipients: 2, refused: [CC] }) }));
    expect(await store.getOutbox(KEY)).toMatchObject({ status: 'sent' });
    expect(await store.getOutbox(`${KEY}#deferred`)).toBeUndefined();
  });

  it('every recipient refused for now: a temporary failure, nothing marked sent, the retry sends to all once', async () => {
    relay.behaviour = { refuseRecipients: { code: 451, message: '4.7.1 Greylisted, try again later' } };
    await expect(sender().send(email)).rejects.toMatchObject({ name: 'SmtpSendError', smtpCode: 451, retryable: true });
    expect(await store.getOutbox(KEY)).toMatchObject({ status: 'pending' });
    relay.behaviour = {};
    expect(await sender().send(email)).toMatchObject({ alreadySent: false });
    expect(received().map((r) => r.to)).toEqual([[APPROVER, CC]]);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'email sent: mdf-approval-request', fields: expect.objectContaining({ received: 2, recipients: 2 }) }));
  });
});

describe('an approval email whose approver is greylisted, through the engine', () => {
  const templatesDir = mkdtempSync(join(tmpdir(), 'partnerflow-deferred-'));
  writeFileSync(join(templatesDir, 'approval-needed.txt'), '---\nsubject: Approval needed for {{ id }}\n---\nApprove: {{ approve_url }}\n');
  afterAll(() => rmSync(templatesDir, { recursive: true, force: true }));

  it('the step retries minutes later (greylisting), the approver gets the email with the working link of the one approval, and the Cc is not sent it twice', async () => {
    const recipe = recipeWith([
      { id: 'ask_approver', type: 'action', action: 'approval.request', input: { signal: 'decision', approver: { email: APPROVER }, subject: 'MDF-1001', template: 'approval-needed', data: { id: 'MDF-1001' }, cc: [CC] } },
      { id: 'after', type: 'action', action: 'fake.record', input: { key: 'MDF-1001' } },
    ]);
    const recipes = new RecipeSet([loadedRecipe(Recipe.parse(recipe), 'test-recipe.recipe.json')], store);
    await recipes.persist(clock.now());
    const tables = createTables({});
    const system = new FakeSystem();
    const connectors = new ConnectorCatalog([fakeConnector(system), emailConnector, approvalConnector]).connect(
      { email: EmailConfig.parse({ smtpUrl: `smtp://127.0.0.1:${relay.port}`, from: FROM, templatesDir }), approval: { linkSecret: MOCK_APPROVAL_LINK_SECRET } },
      { clock, log, store, publicBaseUrl: 'http://localhost:3000', timezone: tables.calendar.timezone },
    );
    const engine = new Engine({ store, clock, recipes, connectors, tables, log: silentLog, random: () => 1 });
    try {
      relay.behaviour = { refuseRecipients: { code: 450, message: '4.2.0 Greylisted', address: APPROVER } };
      const [runId] = (await engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'p-1' } })).runIds;
      await engine.runUntilIdle();
      expect(received().map((r) => r.to)).toEqual([[CC]]);
      const journal = await store.getJournal(asRunId(runId!));
      expect(journal.find((e) => e.stepId === 'ask_approver')?.error?.message).toMatch(/^email run_\w+:ask_approver went to 1 of its 2 recipients; .* refused cmm\.emea@vendor\.example \("450 4\.2\.0 Greylisted"\) for now: the step’s retry sends it to them, once/);

      relay.behaviour = {};
      // A greylisting relay takes a retry after minutes: seconds later the step has not tried again.
      clock.advance(60_000);
      await engine.runUntilIdle();
      expect(received().map((r) => r.to)).toEqual([[CC]]);
      clock.advance(DEFERRED_RECIPIENTS_RETRY_MS);
      await engine.runUntilIdle();
      expect(received().map((r) => r.to)).toEqual([[CC], [APPROVER]]);
      const [ccCopy, approverCopy] = relay.messages;
      const approvalId = (await store.getOutbox(`${runId}:ask_approver#deferred`))?.message.template?.approvalId;
      expect(approvalId).toBeUndefined(); // erased once sent, as every sent message's template (no link in the store)
      const link = /\/approvals\/([A-Za-z0-9_-]+)\?decision=approve/.exec(approverCopy!.text)?.[1];
      expect(link).toBeDefined();
      expect(ccCopy!.text).toBe(approverCopy!.text);
      expect(approverCopy!.headers['message-id']).toBe(ccCopy!.headers['message-id']);
      // The link is the one approval's, stored with the first copy: it decides this run's wait.
      const approval = await store.getApproval(hashApprovalToken(link!));
      expect(approval).toMatchObject({ runId, approverEmail: APPROVER, decision: null });
      expect(link).toBe(approvalTokenFor(MOCK_APPROVAL_LINK_SECRET, approval!.id!));
      expect(system.effects.map((e) => e.key)).toEqual(['MDF-1001']);
      expect((await store.getRun(asRunId(runId!)))?.status).toBe('completed');
    } finally {
      await engine.stop();
    }
  });
});
