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
import type { EmailMessage } from '../../server/store/store.ts';
import type { SendReceipt } from './email-provider.ts';
import { emailConnector } from './index.ts';
import { OutboxSender } from './outbox-sender.ts';
import { PostmarkClient } from './postmark-client.ts';

/**
 * Review 9, finding 1: a provider slower than the client's 30 s timeout. The client gives up, the
 * provider takes the request some seconds later all the same. A retry that asked the provider right
 * after the timeout found nothing and sent a second copy; the partner got the email twice (D10).
 */
const clock = new VirtualClock('2026-04-20T09:00:00Z');
const systems = useSimulatedSystems(clock);
let store: Store;
beforeEach(async () => {
  clock.set('2026-04-20T09:00:00Z');
  store = await openSqliteStore({ path: ':memory:' });
});
afterEach(() => store.close());

/** Gives up on its first send as a client timeout would, and lets the test say when the provider takes it. */
class LatePostmark extends PostmarkClient {
  held: (() => Promise<SendReceipt>) | null = null;
  override send(message: EmailMessage, key: string, options?: Parameters<PostmarkClient['send']>[2]): Promise<SendReceipt> {
    if (this.held) return super.send(message, key, options);
    this.held = () => super.send(message, key, options);
    return Promise.reject(new Error('POST /email: no answer within 30000 ms'));
  }
}

const email = (runId: RunId): OutgoingEmail => ({ key: `${runId}:ask_approver`, runId, to: ['cmm.emea@vendor.example'], rendered: { subject: 'MDF approval needed', text: 't', html: 'h' } });

describe('a send the client gave up on, which the provider takes late (review 9, finding 1)', () => {
  it('D10: the retry of the same turn waits out the send window, then finds the late delivery and sends no second copy', async () => {
    const runId = await leasedRun(store, clock, 'host-a~n1');
    const provider = new LatePostmark({ apiUrl: EMAIL_MOCK_CONFIG.apiUrl, serverToken: EMAIL_MOCK_CONFIG.serverToken, messageStream: 'outbound' });
    const base = emailConnector.connect(EmailConfig.parse({ ...EMAIL_MOCK_CONFIG }), { ...testDeps(clock, capturingLogger()), store }) as OutboxSender;
    const sender = new OutboxSender({ ...base.deps, provider });
    const options = { leaseOwner: 'host-a~n1' };

    await expect(sender.send(email(runId), options)).rejects.toThrow(/no answer within 30000 ms/);
    expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'sending' });

    // The step's retry a second later: the provider may still be taking the first request.
    clock.advance(1_000);
    await expect(sender.send(email(runId), options)).rejects.toMatchObject({ name: 'OutboxBusyError', retryAfterMs: 119_000 });

    // Ten seconds after the timeout, the provider takes the request the client gave up on.
    clock.advance(10_000);
    await provider.held!();
    expect(systems.email.messages()).toHaveLength(1);

    clock.advance(109_000);
    const notes: string[] = [];
    const sent = await sender.send(email(runId), { ...options, note: (n) => notes.push(n) });
    expect(sent.alreadySent).toBe(true);
    expect(notes.join('\n')).toMatch(/an interrupted earlier attempt was delivered as message .*; not sent again/);
    expect(systems.email.messages()).toHaveLength(1);
    expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'sent', providerMessageId: sent.messageId });
  });
});
