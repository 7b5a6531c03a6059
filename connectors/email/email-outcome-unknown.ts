/** How the outbox's `lastError` of a message waiting for an operator's decision begins. */
export const NEEDS_DECISION = 'needs an operator’s decision';

/** The operator's two ways out of an unknown send (server/http/outbox.ts). */
export function decisionRoutes(key: string): { resend: string; markSent: string } {
  const path = `/outbox/${encodeURIComponent(key)}`;
  return { resend: `POST ${path}/resend`, markSent: `POST ${path}/mark-sent` };
}

/**
 * A message that may or may not have gone out, through a provider that cannot be asked (an SMTP relay:
 * the process died while sending, or the connection dropped after the message data began). The outbox
 * marked it `failed` and never sends it again by itself: sending twice is the worse mistake for a
 * partner or an approver (two approval emails, two payment notices). Not retryable: the step fails, the
 * run shows this message, and an operator decides.
 */
export class EmailOutcomeUnknownError extends Error {
  override name = 'EmailOutcomeUnknownError';
  readonly retryable = false;
  constructor(
    readonly key: string,
    /** What happened, as stored in the outbox's `lastError`. */
    readonly reason: string,
    /** How to find the message at the provider (`Message-ID <…>`). */
    readonly trace: string | undefined,
  ) {
    const routes = decisionRoutes(key);
    super(
      `email ${key} ${reason}. It may have been delivered, and it is not sent again by itself. ` +
        `Check the relay's log or the recipient's mailbox${trace ? ` for ${trace}` : ''}; then either ${routes.resend} ` +
        `(sends it again, with the same Message-ID, and retries the run) or ${routes.markSent} (counts it as sent and retries the run).`,
    );
  }
}
