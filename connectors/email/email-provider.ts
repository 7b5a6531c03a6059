import type { EmailMessage } from '../../server/store/store.ts';
import type { CallOptions } from '../kit/http-client.ts';

/**
 * What a failed send means for the message: `refused` the provider did not take it (a 4xx of the
 * API, an SMTP failure before the message data began, or an SMTP reply refusing the data): it may be
 * sent again under the step's retry policy. `unknown` the provider may have taken it (no answer after
 * the data was handed over, a 5xx of a gateway): it is never sent again without knowing.
 */
export type SendFailure = 'refused' | 'unknown';

/** A recipient the provider refused while it took the message for others (SMTP: a reply to RCPT TO). */
export interface RefusedRecipient {
  address: string;
  /** The reply code: 4xx refused for now (another attempt may be taken), 5xx for good. */
  smtpCode: number | null;
  /** The relay's reply, e.g. `451 4.7.1 Greylisted, try again later`. */
  reply: string;
}

/** A message the provider took: its id, and the recipients it refused meanwhile (SMTP only). */
export interface SendReceipt {
  messageId: string;
  refused?: RefusedRecipient[];
}

/**
 * A way out for the outbox's messages: the Postmark-style HTTP API (postmark-client.ts) or an SMTP
 * relay (smtp-client.ts). The outbox (outbox-sender.ts) sends each message once through it.
 */
export interface EmailProvider {
  /** Names the transport in notes, logs and errors: `the email API`, `the SMTP relay smtp.example.com:587`. */
  readonly description: string;
  /**
   * Sends one message carrying its notification key; resolves with the provider's message id. A
   * follow-up (`message.followUp`, outbox-sender.ts 9) goes to its `recipients` only, whatever To and
   * Cc say: it may be sent by another transport than the one that deferred them.
   */
  send(message: EmailMessage, key: string, options?: CallOptions): Promise<SendReceipt>;
  /**
   * The provider's id of a message sent earlier with this key, or null when there is none. Absent when
   * the provider cannot be asked (SMTP): an interrupted send then waits for an operator's decision.
   */
  findSent?(key: string, options?: CallOptions): Promise<string | null>;
  /** How an operator finds a message of this key at the provider (its Message-ID), when the provider cannot be asked. */
  traceOf?(key: string, from: string): string;
  /** Whether a failed send was refused (safe to repeat) or may have been taken (see SendFailure). */
  failureOf(error: unknown): SendFailure;
}
