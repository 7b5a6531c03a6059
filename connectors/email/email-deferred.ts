/**
 * An SMTP relay took a message for some recipients and refused others for now (a 4xx to RCPT TO:
 * greylisting, a full mailbox). Those who got it keep the one copy; the deferred recipients get the
 * same message (same Message-ID) from its follow-up outbox entry, sent by the step's retry. Retryable,
 * and an attempt like any failure: when the step's retries run out, `POST /runs/:id/retry` sends it.
 */
export class EmailDeferredError extends Error {
  override name = 'EmailDeferredError';
  readonly retryable = true;
  readonly system = 'email';
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
