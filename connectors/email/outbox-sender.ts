import type { Clock } from '../../server/engine/clock.ts';
import type { Store } from '../../server/store/store.ts';
import { HttpError } from '../kit/http-errors.ts';
import type { Logger } from '../kit/define-connector.ts';
import type { CallOptions } from '../kit/http-client.ts';
import type { EmailConnection, OutgoingEmail, RenderedEmail } from './email-connection.ts';
import type { EmailTemplates } from './email-templates.ts';
import type { PostmarkClient } from './postmark-client.ts';

/**
 * Sends each notification once, through the store's outbox:
 * 1. the message is stored under its unique key first (the first writer wins, so a step repeated after
 *    a crash finds the message it stored before, with the approval link it carried);
 * 2. a stored message already `sent` is not sent again;
 * 3. before the provider is called the message is marked `sending`. If a crash leaves it there, nobody
 *    knows whether the provider accepted it, so the next attempt asks the provider (search by the key
 *    in the message metadata) before sending;
 * 4. a provider answer with an error status means it was not accepted: the message goes back to
 *    `pending` and the step's retry policy decides.
 */
export class OutboxSender implements EmailConnection {
  constructor(
    readonly deps: { store: Store; clock: Clock; log: Logger; provider: PostmarkClient; templates: EmailTemplates; from: string },
  ) {}

  render(template: string, data: Record<string, unknown>): Promise<RenderedEmail> {
    return this.deps.templates.render(template, data);
  }

  async send(email: OutgoingEmail, options: CallOptions = {}): Promise<{ messageId: string; alreadySent: boolean }> {
    const { store, clock, provider, log } = this.deps;
    const stored = await store.enqueueOutbox(
      {
        key: email.key,
        runId: email.runId,
        message: {
          from: this.deps.from,
          to: email.to,
          ...(email.cc && email.cc.length > 0 ? { cc: email.cc } : {}),
          subject: email.rendered.subject,
          text: email.rendered.text,
          html: email.rendered.html,
          ...(email.tag ? { tag: email.tag } : {}),
        },
        createdAt: clock.now(),
      },
      email.approval,
    );
    if (stored.status === 'sent' && stored.providerMessageId) {
      options.note?.(`already sent as message ${stored.providerMessageId}; not sent again`);
      return { messageId: stored.providerMessageId, alreadySent: true };
    }
    if (stored.status === 'sending') {
      // An earlier attempt was cut off mid-call: ask the provider before sending a second copy.
      const found = await provider.findSent(email.key, options);
      if (found) {
        await store.updateOutbox(email.key, { status: 'sent', providerMessageId: found, sentAt: clock.now(), lastError: null });
        options.note?.(`an interrupted earlier attempt was delivered as message ${found}; not sent again`);
        return { messageId: found, alreadySent: true };
      }
      options.note?.('an earlier attempt was interrupted and the provider has no such message; sending it now');
    }
    const attempts = stored.attempts + 1;
    await store.updateOutbox(email.key, { status: 'sending', attempts });
    try {
      const messageId = await provider.send(stored.message, email.key, options);
      await store.updateOutbox(email.key, { status: 'sent', providerMessageId: messageId, sentAt: clock.now(), lastError: null });
      log.info({ key: email.key, tag: email.tag, messageId, recipients: email.to.length }, 'email sent');
      return { messageId, alreadySent: false };
    } catch (error) {
      // With a status the provider answered, so it did not take the message; without one (timeout,
      // connection lost) it may have: the message stays `sending` and the next attempt asks first.
      const answered = error instanceof HttpError && error.status !== null;
      await store.updateOutbox(email.key, { ...(answered ? { status: 'pending' as const } : {}), lastError: (error as Error).message });
      throw error;
    }
  }
}
