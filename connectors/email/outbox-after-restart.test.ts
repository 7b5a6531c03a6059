import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leasedRun } from '../../test/support/leased-run.ts';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import type { RunId } from '../../server/engine/ids.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import type { Store } from '../../server/store/store.ts';
import { capturingLogger, testDeps } from '../kit/action-test-context.ts';
import { EMAIL_MOCK_CONFIG, EmailConfig } from './email-config.ts';
import type { OutgoingEmail } from './email-connection.ts';
import { emailConnector } from './index.ts';
import type { SendReceipt } from './email-provider.ts';
import { OutboxSender } from './outbox-sender.ts';
import { PostmarkClient } from './postmark-client.ts';

/**
 * Issue 10: a send cut off by a crash. Whoever took the message, and whether or not their lease is
 * gone, the next attempt leaves it alone for the 2-minute send window: the provider may still be
 * taking the request the dead process made (review 9, finding 1). Then it asks the provider, and
 * sends only if the provider has no such message.
 */
const clock = new VirtualClock('2026-04-20T09:00:00Z');
const systems = useSimulatedSystems(clock);
let store: Store;
beforeEach(async () => {
  clock.set('2026-04-20T09:00:00Z');
  store = await openSqliteStore({ path: ':memory:' });
});
afterEach(() => store.close());

function sender(provider?: PostmarkClient): OutboxSender {
  const base = emailConnector.connect(EmailConfig.parse({ ...EMAIL_MOCK_CONFIG }), { ...testDeps(clock, capturingLogger()), store }) as OutboxSender;
  return provider ? new OutboxSender({ ...base.deps, provider }) : base;
}

/** A provider whose sends never return, as when the process dies in the middle of one. */
class DyingPostmark extends PostmarkClient {
  override send(): Promise<SendReceipt> {
    return new Promise(() => {});
  }
}

const email = (runId: RunId): OutgoingEmail => ({ key: `${runId}:ask_approver`, runId, to: ['cmm.emea@vendor.example'], rendered: { subject: 'MDF approval needed', text: 't', html: 'h' } });

describe('an interrupted send after a restart (issue 10)', () => {
  it('D10: when the lease that took the message was freed by the restart, the next attempt still waits out the send window, then asks the provider and sends once', async () => {
    const runId = await leasedRun(store, clock, 'host-a~n1');
    void sender(new DyingPostmark({ apiUrl: EMAIL_MOCK_CONFIG.apiUrl, serverToken: EMAIL_MOCK_CONFIG.serverToken, messageStream: 'outbound' })).send(email(runId));
    await expect.poll(async () => (await store.getOutbox(email(runId).key))?.status).toBe('sending');

    // The process died; 10 seconds later it is back, frees its old leases and takes the run again.
    clock.advance(10_000);
    await store.releaseLeases('host-a', clock.now());
    await store.claimDueRuns({ now: clock.now(), owner: 'host-a~n2', leaseMs: 60_000, limit: 1 });
    await expect(sender().send(email(runId))).rejects.toMatchObject({ name: 'OutboxBusyError', retryAfterMs: 110_000 });
    expect(systems.email.messages()).toHaveLength(0);

    clock.advance(110_000);
    const notes: string[] = [];
    const sent = await sender().send(email(runId), { note: (n) => notes.push(n) });
    expect(sent.alreadySent).toBe(false);
    expect(notes.join('\n')).toMatch(/interrupted and the provider has no such message/);
    expect(systems.email.messages()).toHaveLength(1);
  });

  it('waits while the lease that took the message is still held (the send may be under way)', async () => {
    const runId = await leasedRun(store, clock, 'host-a~n1');
    void sender(new DyingPostmark({ apiUrl: EMAIL_MOCK_CONFIG.apiUrl, serverToken: EMAIL_MOCK_CONFIG.serverToken, messageStream: 'outbound' })).send(email(runId));
    await expect.poll(async () => (await store.getOutbox(email(runId).key))?.status).toBe('sending');
    clock.advance(10_000);
    // Another run asking for the same key while the first turn still holds its lease.
    const other = { ...email(runId), runId: null };
    await expect(sender().send(other)).rejects.toMatchObject({ name: 'OutboxBusyError', retryAfterMs: 110_000 });
    expect(systems.email.messages()).toHaveLength(0);
  });

  it("waits out the window when another worker's lease is gone: it may have been taken over from a process still sending", async () => {
    const runId = await leasedRun(store, clock, 'host-b~n1');
    void sender(new DyingPostmark({ apiUrl: EMAIL_MOCK_CONFIG.apiUrl, serverToken: EMAIL_MOCK_CONFIG.serverToken, messageStream: 'outbound' })).send(email(runId));
    await expect.poll(async () => (await store.getOutbox(email(runId).key))?.status).toBe('sending');
    clock.advance(70_000);
    await store.claimDueRuns({ now: clock.now(), owner: 'host-a~n1', leaseMs: 60_000, limit: 1 });
    await expect(sender().send(email(runId))).rejects.toMatchObject({ name: 'OutboxBusyError', retryAfterMs: 50_000 });
    clock.advance(50_000);
    expect(await sender().send(email(runId))).toMatchObject({ alreadySent: false });
    expect(systems.email.messages()).toHaveLength(1);
  });
});
