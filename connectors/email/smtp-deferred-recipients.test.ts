import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import type { Store } from '../../server/store/store.ts';
import { SmtpRelay } from '../../test/support/smtp-relay.ts';
import { capturingLogger, testDeps, type CapturingLogger } from '../kit/action-test-context.ts';
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

beforeEach(async () => {
  clock.set('2026-04-20T09:00:00Z');
  store = await openSqliteStore({ path: ':memory:' });
  log = capturingLogger();
  relay = await SmtpRelay.start();
});
afterEach(async () => {
  await relay.close();
  await store.close();
});

const sender = (): OutboxSender => emailConnector.connect(EmailConfig.parse({ smtpUrl: `smtp://127.0.0.1:${relay.port}`, from: FROM }), { ...testDeps(clock, log), store }) as OutboxSender;

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
