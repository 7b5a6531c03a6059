import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock.ts';
import type { RunId } from '../../server/engine/ids.ts';
import { StoreUnavailableError } from '../../server/store/store-unavailable.ts';
import type { Store } from '../../server/store/store.ts';
import { leasedRun } from '../../test/support/leased-run.ts';
import type { SmtpRelay } from '../../test/support/smtp-relay.ts';
import { openSmtpSenderSetup, type SmtpSenderSetup } from '../../test/support/smtp-sender-setup.ts';
import type { CapturingLogger } from '../kit/action-test-context.ts';
import type { OutgoingEmail } from './email-connection.ts';
import { EmailOutcomeUnknownError } from './email-outcome-unknown.ts';
import type { OutboxSender } from './outbox-sender.ts';

/**
 * D10 (the approver gets the approval email, once) over SMTP, a real SMTP server on loopback. The
 * store took the message for sending (`sending`, under this turn's lease) and committed, but its answer
 * was lost (PostgreSQL dropped the connection during COMMIT). Nothing reached the relay: the step's
 * retry sends the message once, instead of asking an operator about a message that never left. A take
 * whose message did reach the relay is still never sent again by itself.
 */
const FROM = 'Partner Marketing <mdf@vendor.example>';
const LEASE = 'host-a~n1';
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

const email = (runId: RunId): OutgoingEmail => ({
  key: `${runId}:ask_approver`,
  runId,
  to: ['cmm.emea@vendor.example'],
  tag: 'mdf-approval-request',
  rendered: { subject: 'MDF approval needed: MDF-1001', text: 'Approve 12,500 USD?', html: '<p>Approve 12,500 USD?</p>' },
});

/** The store commits the next `times` calls of `method`, then loses the answer, as a connection dropped during COMMIT does. */
function loseAnswer(method: 'enqueueOutbox' | 'takeOutboxForSending', times = 1): void {
  const real = (store[method] as (...args: unknown[]) => Promise<unknown>).bind(store);
  (store as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    const answer = await real(...args);
    if (times-- > 0) throw new StoreUnavailableError('PostgreSQL at postgres://…: Connection terminated unexpectedly');
    return answer;
  };
}

describe('a take the store committed and whose answer was lost (SMTP)', () => {
  it('the message stored and taken with it: the step’s retry in the same turn sends it once, nobody is asked to decide', async () => {
    const runId = await leasedRun(store, clock, LEASE);
    loseAnswer('enqueueOutbox');
    const s = sender();
    const first = await s.send(email(runId), { leaseOwner: LEASE }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(StoreUnavailableError);
    expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'sending', sendingOwner: LEASE });
    expect(relay.dataReceived).toBe(0);

    const notes: string[] = [];
    const retry = await s.send(email(runId), { leaseOwner: LEASE, note: (n) => notes.push(n) });
    expect(retry.alreadySent).toBe(false);
    expect(relay.messages.map((m) => m.envelope.to)).toEqual([['cmm.emea@vendor.example']]);
    expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'sent', providerMessageId: retry.messageId, lastError: null });
    expect(notes).toEqual(['an earlier attempt of this turn took the message for sending and never handed it to the SMTP relay 127.0.0.1:' + relay.port + ' (the store’s answer was lost); sending it now']);
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([]);

    // And once more: sent, nothing new goes out.
    expect(await s.send(email(runId), { leaseOwner: LEASE })).toEqual({ messageId: retry.messageId, alreadySent: true });
    expect(relay.dataReceived).toBe(1);
  });

  it('a pending message taken again after a refusal: the retry sends it once', async () => {
    const runId = await leasedRun(store, clock, LEASE);
    const s = sender();
    relay.behaviour = { refuseRecipients: { code: 421, message: '4.3.2 Service shutting down' } };
    await expect(s.send(email(runId), { leaseOwner: LEASE })).rejects.toMatchObject({ smtpCode: 421, retryable: true });
    expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'pending' });

    relay.behaviour = {};
    loseAnswer('takeOutboxForSending');
    await expect(s.send(email(runId), { leaseOwner: LEASE })).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'sending', sendingOwner: LEASE });

    expect(await s.send(email(runId), { leaseOwner: LEASE })).toMatchObject({ alreadySent: false });
    expect(relay.messages).toHaveLength(1);
    expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'sent' });
  });

  it('a message that reached the relay in this turn, its answer never heard: the retry in the same turn sends nothing and asks an operator', async () => {
    const runId = await leasedRun(store, clock, LEASE);
    const s = sender();
    relay.behaviour = { holdAfterData: true };
    void s.send(email(runId), { leaseOwner: LEASE }).catch(() => {});
    await expect.poll(() => relay.dataReceived).toBe(1);

    relay.behaviour = {};
    const retry = await s.send(email(runId), { leaseOwner: LEASE }).catch((e: unknown) => e);
    expect(retry).toBeInstanceOf(EmailOutcomeUnknownError);
    expect((retry as Error).message).toContain('an earlier attempt was cut off while sending through the SMTP relay');
    expect(relay.dataReceived).toBe(1);
    expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'failed' });
  });

  it('after a restart, a message the dead process took is an interrupted send (nobody here knows whether it reached the relay): an operator decides', async () => {
    const runId = await leasedRun(store, clock, LEASE);
    loseAnswer('enqueueOutbox');
    await expect(sender().send(email(runId), { leaseOwner: LEASE })).rejects.toBeInstanceOf(StoreUnavailableError);
    clock.advance(10_000);
    await store.releaseLeases('host-a', clock.now());
    await store.claimDueRuns({ now: clock.now(), owner: 'host-a~n2', leaseMs: 60_000, limit: 1 });
    await expect(sender().send(email(runId), { leaseOwner: 'host-a~n2' })).rejects.toBeInstanceOf(EmailOutcomeUnknownError);
    expect(relay.dataReceived).toBe(0);
    expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'failed' });
  });
});
