import { EmailConfig } from '../../connectors/email/email-config.ts';
import { emailConnector } from '../../connectors/email/index.ts';
import type { OutboxSender } from '../../connectors/email/outbox-sender.ts';
import { capturingLogger, testDeps, type CapturingLogger } from '../../connectors/kit/action-test-context.ts';
import type { VirtualClock } from '../../server/engine/clock.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import type { Store } from '../../server/store/store.ts';
import { SmtpRelay } from './smtp-relay.ts';

/** What an SMTP outbox test works with: a store, a log it reads, a real SMTP server on loopback, and the email connection to it. */
export interface SmtpSenderSetup {
  store: Store;
  log: CapturingLogger;
  relay: SmtpRelay;
  /** The email connection sending through `relay` from `from`, on the test's clock. */
  sender(): OutboxSender;
  close(): Promise<void>;
}

export async function openSmtpSenderSetup(from: string, clock: VirtualClock): Promise<SmtpSenderSetup> {
  const store = await openSqliteStore({ path: ':memory:' });
  const log = capturingLogger();
  const relay = await SmtpRelay.start();
  return {
    store,
    log,
    relay,
    sender: () => emailConnector.connect(EmailConfig.parse({ smtpUrl: `smtp://127.0.0.1:${relay.port}`, from }), { ...testDeps(clock, log), store }) as OutboxSender,
    async close() {
      await relay.close();
      await store.close();
    },
  };
}
