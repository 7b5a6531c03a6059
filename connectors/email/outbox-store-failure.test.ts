import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock.ts';
import type { RunId } from '../../server/engine/ids.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import { StoreUnavailableError } from '../../server/store/store-unavailable.ts';
import type { Store } from '../../server/store/store.ts';
import { leasedRun } from '../../test/support/leased-run.ts';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { SmtpRelay } from '../../test/support/smtp-relay.ts';
import { capturingLogger, testDeps, type CapturingLogger } from '../kit/action-test-context.ts';
import { EMAIL_MOCK_CONFIG, EmailConfig } from './email-config.ts';
import type { OutgoingEmail } from './email-connection.ts';
import { EmailOutcomeUnknownError } from './email-outcome-unknown.ts';
import { emailConnector } from './index.ts';
import type { OutboxSender } from './outbox-sender.ts';
import { messageIdFor } from './smtp-client.ts';

/**
 * Issue 14: the provider took the message (the relay answered 250, the API 200) and only the store's
 * write of `sent` failed, as the first query after a PostgreSQL failover does on a dead pooled
 * connection. D10 (each notification once): the message is never sent a second time for it. The
 * write is tried again; if the store stays down, the step's retry records the message as sent; after a
 * restart the message is an interrupted send (over SMTP: an operator decides).
 */
const FROM = 'Partner Marketing <mdf@vendor.example>';
const clock = new VirtualClock('2026-04-20T09:00:00Z');
const systems = useSimulatedSystems(clock);
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

/** The store fails the next `failures` writes of `status: 'sent'`, as the database does during a failover. */
function failSentWrites(failures: number): void {
  const real = store.updateOutbox.bind(store);
  store.updateOutbox = async (key, patch) => {
    if (patch.status === 'sent' && failures > 0) {
      failures--;
      throw new StoreUnavailableError('Connection terminated unexpectedly');
    }
    return real(key, patch);
  };
}

function smtpSender(): OutboxSender {
  const config = EmailConfig.parse({ smtpUrl: `smtp://127.0.0.1:${relay!.port}`, from: FROM });
  return emailConnector.connect(config, { ...testDeps(clock, log), store }) as OutboxSender;
}

function apiSender(): OutboxSender {
  return emailConnector.connect(EmailConfig.parse({ ...EMAIL_MOCK_CONFIG, from: FROM }), { ...testDeps(clock, log), store }) as OutboxSender;
}

const email = (runId: RunId | null = null): OutgoingEmail => ({
  key: `${runId ?? 'run_x'}:ask_approver`,
  runId,
  to: ['cmm.emea@vendor.example'],
  tag: 'mdf-approval-request',
  rendered: { subject: 'MDF approval needed: MDF-1001', text: 'Approve 12,500 USD?', html: '<p>Approve?</p>' },
});

describe('a store failure after the provider took the message (issue 14, D10)', () => {
  it('D10 over SMTP: one failed write of `sent` (a dead pooled connection) is written again; the retry of the step finds it sent; the relay got one message', async () => {
    relay = await SmtpRelay.start();
    failSentWrites(1);
    const sender = smtpSender();
    const first = await sender.send(email()).catch((e: unknown) => e);
    const second = await sender.send(email()).catch((e: unknown) => e);

    expect(relay.messages).toHaveLength(1);
    expect(first).toEqual({ messageId: messageIdFor('run_x:ask_approver', FROM), alreadySent: false });
    expect(second).toEqual({ messageId: messageIdFor('run_x:ask_approver', FROM), alreadySent: true });
    expect(await store.getOutbox('run_x:ask_approver')).toMatchObject({ status: 'sent', providerMessageId: messageIdFor('run_x:ask_approver', FROM) });
  });

  it('D10 over SMTP: while the store stays down the attempt fails saying the email was sent; it stays `sending`, never `pending`, and the retry records it without sending again', async () => {
    relay = await SmtpRelay.start();
    failSentWrites(3);
    const sender = smtpSender();
    const first = await sender.send(email()).catch((e: unknown) => e);
    expect(first).toMatchObject({ name: 'SentNotRecordedError', retryable: true });
    expect((first as Error).message).toBe(
      `email run_x:ask_approver was sent (message ${messageIdFor('run_x:ask_approver', FROM)}), and recording it as sent failed: the store is unavailable: Connection terminated unexpectedly; it is not sent again, the retry records it`,
    );
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'error', message: (first as Error).message }));
    expect(await store.getOutbox('run_x:ask_approver')).toMatchObject({ status: 'sending' });

    // The store is back; the step's retry.
    const notes: string[] = [];
    const second = await sender.send(email(), { note: (line) => notes.push(line) });
    expect(second).toEqual({ messageId: messageIdFor('run_x:ask_approver', FROM), alreadySent: true });
    expect(notes.join('\n')).toMatch(/sent earlier as message .*, when the store could not record it; recorded now, not sent again/);
    expect(relay.messages).toHaveLength(1);
    expect(await store.getOutbox('run_x:ask_approver')).toMatchObject({ status: 'sent' });
  });

  it('D10 over SMTP: when the process restarts before the record is written, the message waits for an operator and is not sent again', async () => {
    relay = await SmtpRelay.start();
    const runId = await leasedRun(store, clock, 'host-a~n1');
    failSentWrites(3);
    await expect(smtpSender().send(email(runId))).rejects.toMatchObject({ name: 'SentNotRecordedError' });

    // The restarted process (no memory of the acceptance) frees its old leases and takes the run again.
    clock.advance(10_000);
    await store.releaseLeases('host-a', clock.now());
    await store.claimDueRuns({ now: clock.now(), owner: 'host-a~n2', leaseMs: 60_000, limit: 1 });
    const error = await smtpSender().send(email(runId)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmailOutcomeUnknownError);
    expect(relay.messages).toHaveLength(1);
    expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'failed' });
  });

  it('D10 over the email API: the same rule; the API got one message and the retry records it as sent', async () => {
    failSentWrites(3);
    const sender = apiSender();
    await expect(sender.send(email())).rejects.toMatchObject({ name: 'SentNotRecordedError' });
    expect(await store.getOutbox('run_x:ask_approver')).toMatchObject({ status: 'sending' });
    expect(await sender.send(email())).toMatchObject({ alreadySent: true });
    expect(systems.email.messages()).toHaveLength(1);
    expect(await store.getOutbox('run_x:ask_approver')).toMatchObject({ status: 'sent' });
  });
});
