import { STORE_UNAVAILABLE_RETRY_AFTER_SECONDS } from '../../server/store/store-unavailable.ts';

/**
 * The provider took the message (an SMTP relay answered 250, the API answered 200), and the store could
 * not record it as sent (a failover's first query on a dead pooled connection, the database restarting).
 * The message is NOT sent again: this process remembers the acceptance and the step's retry records it
 * (`alreadySent`). Should the process die first, the message stays `sending`, which the next attempt
 * treats as an interrupted send: it asks the API, or over SMTP waits for an operator's decision.
 * Waiting for the store spends none of the step's attempts: the email went out, only its record is late.
 */
export class SentNotRecordedError extends Error {
  override name = 'SentNotRecordedError';
  readonly retryable = true;
  readonly spendsNoAttempt = true;
  readonly retryAfterMs = STORE_UNAVAILABLE_RETRY_AFTER_SECONDS * 1000;
  constructor(
    readonly key: string,
    readonly messageId: string,
    cause: unknown,
  ) {
    super(
      `email ${key} was sent (message ${messageId}), and recording it as sent failed: ${cause instanceof Error ? cause.message : String(cause)}; ` +
        'it is not sent again, the retry records it',
      { cause },
    );
  }
}
