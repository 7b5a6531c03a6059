/**
 * How long the step waits at least before it sends a copy to recipients refused for now. Greylisting
 * relays take a retry after a few minutes (postgrey's default is 300 s); the step's default backoff
 * (2 s, doubling) would spend its attempts within seconds, each deferred again.
 */
export const DEFERRED_RECIPIENTS_RETRY_MS = 5 * 60_000;

/**
 * An SMTP relay took a message for some recipients and refused others for now (a 4xx to RCPT TO:
 * greylisting, a full mailbox). Those who got it keep the one copy; the deferred recipients get the
 * same message (same Message-ID) from its follow-up outbox entry, sent by the step's retry, at least
 * DEFERRED_RECIPIENTS_RETRY_MS later. Retryable, and an attempt like any failure: when the step's
 * retries run out, `POST /runs/:id/retry` sends it.
 */
export class EmailDeferredError extends Error {
  override name = 'EmailDeferredError';
  readonly retryable = true;
  readonly system = 'email';
  readonly retryAfterMs = DEFERRED_RECIPIENTS_RETRY_MS;
  constructor(
    readonly key: string,
    /** The outbox key of the copy for the deferred recipients. */
    readonly followUpKey: string,
    /** Who was refused and with which reply, e.g. `the SMTP relay … refused a@x.example ("451 …") for now`. */
    refusal: string,
    readonly received: number,
    readonly recipients: number,
  ) {
    super(`email ${key} went to ${received} of its ${recipients} recipients; ${refusal}: the step’s retry sends it to them, once (outbox ${followUpKey})`);
  }
}

const FOLLOW_UP = '#deferred';

/** The outbox key of a message's copy for its deferred recipients: derived, so it is stored once. */
export function followUpKeyOf(key: string): string {
  return `${key}${FOLLOW_UP}`;
}

/** The key of the message a follow-up copies (itself for any other key): its Message-ID is derived from it. */
export function rootKeyOf(key: string): string {
  let root = key;
  while (root.endsWith(FOLLOW_UP)) root = root.slice(0, -FOLLOW_UP.length);
  return root;
}
