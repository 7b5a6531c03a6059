import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock.ts';
import type { RunId } from '../../server/engine/ids.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import type { Store } from '../../server/store/store.ts';
import { leasedRun } from '../../test/support/leased-run.ts';
import { freePort } from '../../test/support/free-port.ts';
import { SmtpRelay } from '../../test/support/smtp-relay.ts';
import { capturingLogger, testDeps, type CapturingLogger } from '../kit/action-test-context.ts';
import { EmailConfig } from './email-config.ts';
import type { OutgoingEmail } from './email-connection.ts';
import { EmailOutcomeUnknownError } from './email-outcome-unknown.ts';
import { emailConnector } from './index.ts';
import type { OutboxSender } from './outbox-sender.ts';
import { messageIdFor, SmtpSendError } from './smtp-client.ts';

/**
 * Issue 14, part 8: email through an SMTP relay, a real SMTP server on loopback. The outbox's promise
 * holds: each notification goes out once. An SMTP relay cannot be asked whether it took a message, so
 * a send cut off after its data began (the answer lost, or the process died) is never sent again by
 * itself: the message waits for an operator's decision, and the step fails saying so. A failure before
 * the data (connect refused, a 4xx to RCPT) is retried as usual.
 */
const PASSWORD = 'smtp-pass-5ec7e7-do-not-print';
const FROM = 'Partner Marketing <mdf@vendor.example>';
const clock = new VirtualClock('2026-04-20T09:00:00Z');
let store: Store;
let log: CapturingLogger;
let relay: SmtpRelay | undefined;

beforeEach(async () => {
  clock.set('2026-04-20T09:00:00Z');
  store = await openSqliteStore({ path: ':memory:' });
  log = capturingLogger();
});
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await store.close();
});

/** The email connection as the runtime builds it from EMAIL_SMTP_URL and EMAIL_SMTP_PASSWORD. */
function sender(port: number, password = PASSWORD): OutboxSender {
  const config = EmailConfig.parse({ smtpUrl: `smtp://partnerflow@127.0.0.1:${port}`, smtpPassword: password, from: FROM });
  return emailConnector.connect(config, { ...testDeps(clock, log), store }) as OutboxSender;
}

const email = (runId: RunId | null = null): OutgoingEmail => ({
  key: `${runId ?? 'run_x'}:ask_approver`,
  runId,
  to: ['cmm.emea@vendor.example'],
  cc: ['finance@vendor.example'],
  tag: 'mdf-approval-request',
  rendered: { subject: 'MDF approval needed: MDF-1001', text: 'Approve 12,500 USD for Cloud Summit Munich?\nPrice: 5 €', html: '<p>Approve <b>12,500 USD</b>?</p>' },
});

/** Everything a secret could leak into: logs, the outbox row, and the error. */
async function everythingKept(key: string, error?: unknown): Promise<string> {
  return JSON.stringify({ log: log.text(), outbox: await store.getOutbox(key), error, message: (error as Error | undefined)?.message });
}

describe('email over SMTP (issue 14, part 8)', () => {
  it('delivers a message once, with its From, To, Cc, Subject, text and HTML, after AUTH, under a Message-ID derived from its key', async () => {
    relay = await SmtpRelay.start({ users: { partnerflow: PASSWORD } });
    const sent = await sender(relay.port).send(email());
    expect(sent).toEqual({ messageId: messageIdFor('run_x:ask_approver', FROM), alreadySent: false });

    expect(relay.messages).toHaveLength(1);
    const [message] = relay.messages;
    expect(message!.user).toBe('partnerflow');
    expect(message!.envelope).toEqual({ from: 'mdf@vendor.example', to: ['cmm.emea@vendor.example', 'finance@vendor.example'] });
    expect(message!.headers).toMatchObject({ from: 'Partner Marketing <mdf@vendor.example>', to: 'cmm.emea@vendor.example', cc: 'finance@vendor.example', subject: 'MDF approval needed: MDF-1001', 'x-partnerflow-tag': 'mdf-approval-request' });
    expect(message!.headers['message-id']).toBe(sent.messageId);
    expect(message!.headers['message-id']).toMatch(/^<pf\.[A-Za-z0-9_-]{43}@vendor\.example>$/);
    expect(message!.text).toBe('Approve 12,500 USD for Cloud Summit Munich?\nPrice: 5 €');
    expect(message!.html).toBe('<p>Approve <b>12,500 USD</b>?</p>');

    // The step again (a retry, a crash after the send): already sent, nothing new goes out.
    expect(await sender(relay.port).send(email())).toEqual({ messageId: sent.messageId, alreadySent: true });
    expect(relay.dataReceived).toBe(1);
    expect(await store.getOutbox('run_x:ask_approver')).toMatchObject({ status: 'sent', providerMessageId: sent.messageId });
    expect(await everythingKept('run_x:ask_approver')).not.toContain(PASSWORD);
  });

  it('fails the step with the relay’s reason when AUTH is refused (535), sends nothing, and never shows the password', async () => {
    relay = await SmtpRelay.start({ users: { partnerflow: PASSWORD } });
    const error = await sender(relay.port, 'wrong-password-4711').send(email()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmtpSendError);
    expect(error).toMatchObject({ stage: 'auth', smtpCode: 535, retryable: false, dataBegan: false });
    expect((error as Error).message).toMatch(/^email: the SMTP relay 127\.0\.0\.1:\d+ failed while logging in \(AUTH\): it answered "535 5\.7\.8 Authentication credentials invalid"; check the user of EMAIL_SMTP_URL \("partnerflow"\) and EMAIL_SMTP_PASSWORD$/);
    expect(relay.messages).toHaveLength(0);
    expect(await store.getOutbox('run_x:ask_approver')).toMatchObject({ status: 'pending' });
    const kept = await everythingKept('run_x:ask_approver', error);
    expect(kept).not.toContain('wrong-password-4711');
    expect(kept).not.toContain(PASSWORD);
  });

  it('fails the step with the reason when the relay refuses a recipient (5xx) or the message (5xx after the data): refused, not sent, not retried', async () => {
    relay = await SmtpRelay.start({ users: { partnerflow: PASSWORD } });
    relay.behaviour = { refuseRecipients: { code: 550, message: '5.1.1 Mailbox unknown' } };
    const rcpt = await sender(relay.port).send(email()).catch((e: unknown) => e);
    expect(rcpt).toMatchObject({ name: 'SmtpSendError', stage: 'envelope', smtpCode: 550, retryable: false });
    expect((rcpt as Error).message).toContain('550 5.1.1 Mailbox unknown');

    relay.behaviour = { refuseData: { code: 554, message: '5.7.1 Message rejected as spam' } };
    const data = await sender(relay.port).send(email()).catch((e: unknown) => e);
    expect(data).toMatchObject({ name: 'SmtpSendError', stage: 'answer', smtpCode: 554, retryable: false });
    expect((data as Error).message).toMatch(/failed while sending the message data: it answered "554 5\.7\.1 Message rejected as spam"$/);
    // The relay answered: it did not take the message, so it is pending, not waiting for an operator.
    expect(await store.getOutbox('run_x:ask_approver')).toMatchObject({ status: 'pending', lastError: (data as Error).message });
    expect(relay.messages).toHaveLength(0);
  });

  it('retries a message a recipient got a 4xx for (before the data), and sends it once', async () => {
    relay = await SmtpRelay.start({ users: { partnerflow: PASSWORD } });
    relay.behaviour = { refuseRecipients: { code: 451, message: '4.3.0 Try again later' } };
    const error = await sender(relay.port).send(email()).catch((e: unknown) => e);
    expect(error).toMatchObject({ stage: 'envelope', smtpCode: 451, retryable: true });
    expect(await store.getOutbox('run_x:ask_approver')).toMatchObject({ status: 'pending' });
    relay.behaviour = {};
    expect(await sender(relay.port).send(email())).toMatchObject({ alreadySent: false });
    expect(relay.messages).toHaveLength(1);
  });

  it('sends to the recipients the relay takes when it refuses one, names the refused one in the step’s journal, and does not send again', async () => {
    relay = await SmtpRelay.start({ users: { partnerflow: PASSWORD } });
    relay.behaviour = { refuseRecipients: { code: 550, message: '5.1.1 Mailbox unknown', address: 'finance@vendor.example' } };
    const notes: string[] = [];
    expect(await sender(relay.port).send(email(), { note: (n) => notes.push(n) })).toMatchObject({ alreadySent: false });
    expect(relay.messages.map((m) => m.envelope.to)).toEqual([['cmm.emea@vendor.example']]);
    expect(notes).toEqual([expect.stringMatching(/^the SMTP relay 127\.0\.0\.1:\d+ refused finance@vendor\.example \("550 5\.1\.1 Mailbox unknown"\) for good; sent to the other recipient \(1 of 2\)$/)]);
    expect(await store.getOutbox('run_x:ask_approver')).toMatchObject({ status: 'sent' });
  });

  it('retries while the relay is down (connection refused), and sends once when it is back', async () => {
    const port = await freePort();
    const error = await sender(port).send(email()).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SmtpSendError', stage: 'connect', retryable: true, dataBegan: false });
    expect((error as Error).message).toMatch(/^email: the SMTP relay 127\.0\.0\.1:\d+ failed while connecting: .*ECONNREFUSED/);
    expect(await store.getOutbox('run_x:ask_approver')).toMatchObject({ status: 'pending' });

    relay = await SmtpRelay.start({ port, users: { partnerflow: PASSWORD } });
    expect(await sender(port).send(email())).toMatchObject({ alreadySent: false });
    expect(await sender(port).send(email())).toMatchObject({ alreadySent: true });
    expect(relay.dataReceived).toBe(1);
  });

  it('does not send again when the connection dropped after the data (the relay may have taken it): the message waits for an operator, and ops are told', async () => {
    relay = await SmtpRelay.start({ users: { partnerflow: PASSWORD } });
    relay.behaviour = { dropAfterData: true };
    const error = await sender(relay.port).send(email()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmailOutcomeUnknownError);
    expect(error).toMatchObject({ retryable: false });
    const words = (error as Error).message;
    expect(words).toMatch(/^email run_x:ask_approver needs an operator’s decision: email: the SMTP relay 127\.0\.0\.1:\d+ failed while sending the message data: .*; the relay may have taken the message\. It may have been delivered, and it is not sent again by itself\./);
    expect(words).toContain(`for Message-ID ${messageIdFor('run_x:ask_approver', FROM)}`);
    expect(words).toContain('POST /outbox/run_x%3Aask_approver/resend');
    expect(words).toContain('POST /outbox/run_x%3Aask_approver/mark-sent');
    expect(await store.getOutbox('run_x:ask_approver')).toMatchObject({ status: 'failed', lastError: expect.stringMatching(/^needs an operator’s decision: /) });
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'error', message: words }));

    // Any later attempt (a retry of the step, another run with the same key) sends nothing.
    relay.behaviour = {};
    await expect(sender(relay.port).send(email())).rejects.toBeInstanceOf(EmailOutcomeUnknownError);
    expect(relay.dataReceived).toBe(1);
    expect(await everythingKept('run_x:ask_approver', error)).not.toContain(PASSWORD);
  });

  it('does not send again after a crash between `sending` and the relay’s answer: the restarted process marks it for an operator', async () => {
    relay = await SmtpRelay.start({ users: { partnerflow: PASSWORD } });
    relay.behaviour = { holdAfterData: true };
    const runId = await leasedRun(store, clock, 'host-a~n1');
    // The process that dies: its send is in flight, the relay has the data and never answers.
    void sender(relay.port)
      .send(email(runId))
      .catch(() => {});
    await expect.poll(() => relay!.dataReceived).toBe(1);
    expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'sending', sendingOwner: 'host-a~n1' });

    // Back 10 seconds later: the restart frees the dead process's leases and takes the run again.
    clock.advance(10_000);
    await store.releaseLeases('host-a', clock.now());
    await store.claimDueRuns({ now: clock.now(), owner: 'host-a~n2', leaseMs: 60_000, limit: 1 });
    relay.behaviour = {};
    const error = await sender(relay.port).send(email(runId)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmailOutcomeUnknownError);
    expect((error as Error).message).toMatch(/needs an operator’s decision: an earlier attempt was cut off while sending through the SMTP relay 127\.0\.0\.1:\d+ \(since 2026-04-20T09:00:00\.000Z\), which cannot be asked whether it took the message\./);
    expect(relay.dataReceived).toBe(1);
    expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'failed' });
  });
});
