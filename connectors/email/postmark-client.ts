import { createHash } from 'node:crypto';
import { z } from 'zod';
import { HttpClient, type CallOptions, type HttpTransportOptions, type ResponseContext } from '../kit/http-client.ts';
import { AuthError, findErrorMessage, HttpError, NotFoundError } from '../kit/http-errors.ts';
import { isOutcomeUnknown } from '../../server/engine/errors.ts';
import type { EmailMessage } from '../../server/store/store.ts';
import { EMAIL_ENV } from './email-config.ts';
import type { EmailProvider, SendFailure, SendReceipt } from './email-provider.ts';

export interface PostmarkClientOptions {
  apiUrl: string;
  /** Secret: only ever placed in the X-Postmark-Server-Token header. */
  serverToken: string;
  messageStream: string;
  http?: HttpTransportOptions;
}

/** The metadata key that carries our notification key, so an interrupted send can be looked up. */
export const NOTIFICATION_KEY_METADATA = 'partnerflow_key';

const SendResult = z.object({ MessageID: z.string().min(1), ErrorCode: z.literal(0), SubmittedAt: z.string().optional(), To: z.string().optional() }).loose();
const OutboundSearch = z
  .object({
    TotalCount: z.number().int().nonnegative(),
    Messages: z.array(z.object({ MessageID: z.string().min(1) }).loose()),
  })
  .loose();

/**
 * The key as it goes into the metadata: its SHA-256 in base64url, 43 characters whatever the key's
 * length (Postmark caps metadata values at 80), and no run ids or step names at the provider.
 */
export function metadataValue(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/**
 * A Postmark-style transactional email API (docs/systems.md, "Email"): `POST /email`, and the outbound message search
 * by metadata. No provider documents an idempotency key for sends, so sending once is the outbox's job;
 * the search lets the outbox find out whether a send that a crash interrupted was delivered.
 */
export class PostmarkClient implements EmailProvider {
  readonly description = 'the email API';
  readonly #http: HttpClient;
  readonly #stream: string;

  constructor(options: PostmarkClientOptions) {
    const token = options.serverToken;
    this.#stream = options.messageStream;
    this.#http = new HttpClient({
      ...options.http,
      system: 'email',
      baseUrl: options.apiUrl,
      auth: { headers: async () => ({ 'X-Postmark-Server-Token': token }) },
      responseCheck: checkTokenRefused,
    });
  }

  /** Sends one message tagged with its notification key; resolves with the provider's message id. */
  async send(message: EmailMessage, key: string, options: CallOptions = {}): Promise<SendReceipt> {
    const { to, cc } = addressees(message);
    const res = await this.#http.request({
      method: 'POST',
      path: 'email',
      body: {
        From: message.from,
        To: to.join(', '),
        ...(cc.length > 0 ? { Cc: cc.join(', ') } : {}),
        Subject: message.subject,
        TextBody: message.text,
        HtmlBody: message.html,
        ...(message.tag ? { Tag: message.tag } : {}),
        Metadata: { [NOTIFICATION_KEY_METADATA]: metadataValue(key) },
        MessageStream: this.#stream,
      },
      // A POST that failed in flight may have been accepted: only the outbox decides about repeating it.
      idempotent: false,
      expect: SendResult,
      ...options,
    });
    return { messageId: res.body.MessageID };
  }

  /**
   * A 4xx is the provider refusing the message. Any other failure may follow an acceptance (a gateway's
   * 502 or 504, a timeout, a lost connection, an answer we could not read).
   */
  failureOf(error: unknown): SendFailure {
    return error instanceof HttpError && error.status !== null && !isOutcomeUnknown(error) ? 'refused' : 'unknown';
  }

  /**
   * The provider's id of a message sent earlier with this notification key, or null when there is none.
   * A provider without the outbound search (404) is an error that says so: without the search, an
   * interrupted send can neither be confirmed nor safely repeated.
   */
  async findSent(key: string, options: CallOptions = {}): Promise<string | null> {
    try {
      const res = await this.#http.request({
        method: 'GET',
        path: 'messages/outbound',
        // Postmark searches only the `outbound` stream unless told otherwise: a message sent on
        // another stream would not be found, and would go out a second time.
        query: { count: 1, offset: 0, messagestream: this.#stream, [`metadata_${NOTIFICATION_KEY_METADATA}`]: metadataValue(key) },
        expect: OutboundSearch,
        ...options,
      });
      return res.body.Messages[0]?.MessageID ?? null;
    } catch (error) {
      if (error instanceof NotFoundError) throw searchMissing(error);
      throw error;
    }
  }
}

/**
 * Whom the API is asked to send a message to. The API sends to whoever its To and Cc name (it has no
 * envelope apart from the headers), so a follow-up for recipients an SMTP relay deferred (sent here
 * when ops switched the transport since) names only them: each in the header the original named them
 * in, and in To when none is left there (the API needs one). Everyone else already has the message.
 */
function addressees(message: EmailMessage): { to: string[]; cc: string[] } {
  const cc = message.cc ?? [];
  if (!message.followUp) return { to: message.to, cc };
  const to: string[] = [];
  const copied: string[] = [];
  for (const recipient of message.followUp.recipients) {
    const inCc = cc.find((entry) => sameAddress(entry, recipient));
    if (inCc !== undefined && !message.to.some((entry) => sameAddress(entry, recipient))) copied.push(inCc);
    else to.push(message.to.find((entry) => sameAddress(entry, recipient)) ?? recipient);
  }
  return to.length > 0 ? { to, cc: copied } : { to: copied, cc: [] };
}

/** `Name <a@x.example>` and `A@X.example` are one recipient: SMTP's envelope holds the bare address. */
function sameAddress(entry: string, address: string): boolean {
  const bare = /<([^<>]*)>\s*$/.exec(entry)?.[1] ?? entry;
  return bare.trim().toLowerCase() === address.trim().toLowerCase();
}

/**
 * 401 (Postmark's ErrorCode 10, "no valid server token"): the token of the configuration is wrong, so the
 * error names the settings to check, never the token. No new token can be fetched: not a session to renew.
 */
function checkTokenRefused(response: ResponseContext, body: unknown): HttpError | undefined {
  if (response.status !== 401) return undefined;
  const found = findErrorMessage(body);
  return new AuthError(
    { ...response, body, systemMessage: found.message, code: found.code, hint: `check ${EMAIL_ENV.serverToken} (the server token of the email API at ${EMAIL_ENV.apiUrl})` },
    { sessionExpired: false },
  );
}

/** The 404 of a provider without the search, in words that say what it means for the message. */
function searchMissing(error: NotFoundError): NotFoundError {
  return new NotFoundError({
    system: error.system,
    status: error.status,
    method: error.method,
    url: error.url,
    body: error.body,
    code: error.code,
    systemMessage: error.systemMessage,
    cause: error,
    message:
      'email: the provider has no outbound message search (GET /messages/outbound answered 404), so Partnerflow ' +
      'cannot tell whether an interrupted send went out and does not send it again; look in the provider\'s ' +
      'activity log. Sending once needs a Postmark-style API with that search (EMAIL_API_URL).',
  });
}
