import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { rootCertificates } from 'node:tls';
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { Clock } from '../../server/engine/clock.ts';
import type { EmailMessage } from '../../server/store/store.ts';
import type { CallOptions } from '../kit/http-client.ts';
import { EMAIL_ENV } from './email-config.ts';
import type { EmailProvider, RefusedRecipient, SendFailure, SendReceipt } from './email-provider.ts';
import { smtpRelayOf, type SmtpRelay } from './smtp-url.ts';

/** Time limits of one SMTP send. The whole send ends well inside the outbox's 2-minute send window. */
export interface SmtpTimeouts {
  /** Connecting and the server's greeting. */
  connectMs: number;
  /** Silence from the server in the middle of the conversation. */
  idleMs: number;
  /** The whole conversation, connect to the answer to the message. */
  totalMs: number;
}

const DEFAULT_TIMEOUTS: SmtpTimeouts = { connectMs: 15_000, idleMs: 30_000, totalMs: 60_000 };

export interface SmtpClientOptions {
  /** `smtp://[user@]host[:port]` or `smtps://…` (EMAIL_SMTP_URL): no password in it. */
  url: string;
  /** Secret (EMAIL_SMTP_PASSWORD): only ever handed to the AUTH command, never logged or kept on an error. */
  password?: string | undefined;
  /** Stamps the Date header, so a message's text is the same on the virtual clock. */
  clock: Clock;
  timeouts?: Partial<SmtpTimeouts>;
  tls?: SmtpTls;
}

/** How the relay's TLS certificate is checked (EMAIL_SMTP_TLS_…). By default: against the system's CAs, for the URL's host. */
export interface SmtpTls {
  /** PEM of the CA that signed the relay's certificate, trusted besides the system's CAs (EMAIL_SMTP_TLS_CA). */
  ca?: string;
  /** The name the certificate is checked against, when the URL reaches the relay by another (EMAIL_SMTP_TLS_SERVERNAME). */
  servername?: string;
  /** No check at all (EMAIL_SMTP_TLS_INSECURE_SKIP_VERIFY). */
  insecureSkipVerify?: boolean;
}

/** Node's codes for a TLS certificate that does not verify, and for TLS spoken to a port that does not (smtps:// to 587). */
const TLS_FAILURE = /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT)|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_WRONG_VERSION_NUMBER)/;

/** Where the conversation was when it failed. Only `answer` is after the message data began. */
export type SmtpStage = 'connect' | 'auth' | 'envelope' | 'answer';

/**
 * A failed SMTP send. `dataBegan` says whether the message data had started to go out when it failed
 * without the server's answer: then the relay may have taken it, and nobody can ask it. Carries no HTTP
 * `status` (the engine would read an SMTP 5xx as "may have taken effect"); `smtpCode` is the reply code.
 */
export class SmtpSendError extends Error {
  override name = 'SmtpSendError';
  readonly system = 'email';
  constructor(
    message: string,
    readonly stage: SmtpStage,
    readonly smtpCode: number | null,
    readonly dataBegan: boolean,
    /** A 4xx reply or no reply before the data: another attempt may succeed. A 5xx reply will not change. */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/**
 * The Message-ID a notification always goes out with, derived from its outbox key (SHA-256, so no run
 * id or step name leaves), at the sender's domain: a copy sent again by an operator's decision carries
 * the same id, and a receiving system that dedupes on Message-ID shows it once.
 */
export function messageIdFor(key: string, from: string): string {
  const domain = /@([^\s<>@]+)>?\s*$/.exec(from)?.[1] ?? 'partnerflow.invalid';
  return `<pf.${createHash('sha256').update(key).digest('base64url')}@${domain}>`;
}

/**
 * Sends through an SMTP relay (nodemailer's SMTP connection, one connection per message). Unlike the
 * HTTP API, a relay cannot be asked afterwards whether it took a message: there is no `findSent`, and a
 * send cut off after its data began is `unknown` (the outbox then waits for an operator, README
 * "Email over SMTP"). A failure before the data (connect refused, auth refused, a recipient refused)
 * or a reply refusing the data is `refused`: the relay did not take the message.
 */
export class SmtpClient implements EmailProvider {
  readonly description: string;
  readonly #relay: SmtpRelay;
  readonly #password: string | undefined;
  readonly #clock: Clock;
  readonly #timeouts: SmtpTimeouts;
  readonly #tls: SmtpTls;

  constructor(options: SmtpClientOptions) {
    this.#tls = options.tls ?? {};
    this.#relay = smtpRelayOf(options.url);
    this.#password = options.password;
    this.#clock = options.clock;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.description = `the SMTP relay ${this.#relay.host}:${this.#relay.port}`;
  }

  traceOf(key: string, from: string): string {
    return `Message-ID ${messageIdFor(key, from)}`;
  }

  failureOf(error: unknown): SendFailure {
    return error instanceof SmtpSendError && error.dataBegan && error.smtpCode === null ? 'unknown' : 'refused';
  }

  async send(message: EmailMessage, key: string, options: CallOptions = {}): Promise<SendReceipt> {
    // A follow-up for deferred recipients is the same message: the Message-ID of the one it copies.
    const messageId = messageIdFor(message.followUp?.of ?? key, message.from);
    const mail = new MailComposer({
      from: message.from,
      to: message.to,
      ...(message.cc && message.cc.length > 0 ? { cc: message.cc } : {}),
      subject: message.subject,
      text: message.text,
      html: message.html,
      messageId,
      date: new Date(this.#clock.now()),
      ...(message.tag ? { headers: { 'X-Partnerflow-Tag': message.tag } } : {}),
    }).compile();
    const envelope = mail.getEnvelope();
    if (message.followUp) envelope.to = message.followUp.recipients;
    const raw = await mail.build();
    const info = await this.#converse(envelope, raw, options);
    return info.refused.length > 0 ? { messageId, refused: info.refused } : { messageId };
  }

  /** One SMTP conversation: connect, AUTH when a user is set, MAIL/RCPT/DATA, QUIT. */
  #converse(envelope: { from: string | false; to: string[] }, raw: Buffer, options: CallOptions): Promise<{ refused: RefusedRecipient[] }> {
    const relay = this.#relay;
    const connection = new SMTPConnection({
      host: relay.host,
      port: relay.port,
      secure: relay.secure,
      // A password never crosses the network in clear, except to a relay on this machine.
      requireTLS: !relay.secure && relay.user !== undefined && !relay.loopback,
      connectionTimeout: this.#timeouts.connectMs,
      greetingTimeout: this.#timeouts.connectMs,
      socketTimeout: this.#timeouts.idleMs,
      logger: false,
      ...(this.#tls.servername ? { servername: this.#tls.servername } : {}),
      tls: {
        ...(this.#tls.ca ? { ca: [...rootCertificates, this.#tls.ca] } : {}),
        ...(this.#tls.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
      },
    });
    let stage: SmtpStage = 'connect';
    let dataBegan = false;
    // The connection pipes the message only once the relay answered DATA with 354: from then on, the
    // relay may take the message without our hearing its answer.
    const body = new PassThrough();
    const pipe = body.pipe.bind(body);
    body.pipe = ((destination: NodeJS.WritableStream, pipeOptions?: { end?: boolean }) => {
      dataBegan = true;
      return pipe(destination, pipeOptions);
    }) as typeof body.pipe;
    body.end(raw);

    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = () => {
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const fail = (error: unknown) => {
        if (settled) return;
        settle();
        connection.close();
        reject(this.#describe(error, stage, dataBegan));
      };
      const onAbort = () => fail(new Error('the step was stopped'));
      const timer = setTimeout(() => fail(new Error(`no answer within ${this.#timeouts.totalMs / 1000} s`)), this.#timeouts.totalMs);
      timer.unref?.();
      if (options.signal?.aborted) return fail(new Error('the step was stopped'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      connection.on('error', fail);

      const sendMessage = () => {
        stage = 'envelope';
        connection.send({ from: envelope.from || '', to: envelope.to }, body, (error, info) => {
          if (error) return fail(error);
          if (settled) return;
          settle();
          connection.quit();
          resolve({ refused: refusedOf(info) });
        });
      };
      connection.connect((error) => {
        if (error) return fail(error);
        if (relay.user === undefined) return sendMessage();
        stage = 'auth';
        connection.login({ user: relay.user, pass: this.#password ?? '' }, (loginError) => (loginError ? fail(loginError) : sendMessage()));
      });
    });
  }

  /**
   * The failure in words that name the relay and the stage, and never the password: nodemailer's error
   * is not kept (it may hold the conversation), only its reply code and the relay's own words.
   */
  #describe(error: unknown, stage: SmtpStage, dataBegan: boolean): SmtpSendError {
    const e = (error ?? {}) as { responseCode?: unknown; response?: unknown; code?: unknown; originalCode?: unknown; message?: unknown };
    const smtpCode = typeof e.responseCode === 'number' ? e.responseCode : null;
    const reply = typeof e.response === 'string' ? e.response.replace(/\s+/g, ' ').trim().slice(0, 300) : '';
    const atStage = dataBegan ? 'answer' : stage;
    const what = {
      connect: 'connecting',
      auth: 'logging in (AUTH)',
      envelope: 'giving the sender and recipients (MAIL FROM, RCPT TO, DATA)',
      answer: 'sending the message data',
    }[atStage];
    const cause = reply ? `it answered "${reply}"` : `${typeof e.message === 'string' ? e.message : String(error)}${typeof e.code === 'string' ? ` (${e.code})` : ''}`;
    let message = `email: ${this.description} failed while ${what}: ${cause}`;
    if (atStage === 'answer' && smtpCode === null) message += '; the relay may have taken the message';
    // A login refused for good (535, 534, 530) is the configuration's: name what to check, never the password.
    if (atStage === 'auth' && smtpCode !== null && smtpCode >= 500) message += `; check the user of ${EMAIL_ENV.smtpUrl} ("${this.#relay.user ?? ''}") and ${EMAIL_ENV.smtpPassword}`;
    // A certificate that does not verify fails every attempt alike, until the configuration changes.
    const tlsCode = [e.originalCode, e.code].find((c): c is string => typeof c === 'string' && TLS_FAILURE.test(c));
    if (tlsCode && !dataBegan) {
      message += ` [${tlsCode}]: ${tlsAdvice(tlsCode)}; retrying does not help`;
      return new SmtpSendError(message, atStage, null, false, false);
    }
    const retryable = smtpCode === null || smtpCode < 500;
    return new SmtpSendError(message, atStage, smtpCode, atStage === 'answer', retryable);
  }
}

/**
 * The recipients the relay refused while it took the message for others, with each one's reply (a
 * 4xx is for now, a 5xx for good): nodemailer lists them in `rejected`, their replies in `rejectedErrors`.
 */
function refusedOf(info: unknown): RefusedRecipient[] {
  const { rejected = [], rejectedErrors = [] } = (info ?? {}) as { rejected?: unknown[]; rejectedErrors?: Array<{ recipient?: unknown; responseCode?: unknown; response?: unknown }> };
  return rejected.map((address) => {
    const error = rejectedErrors.find((e) => e.recipient === address);
    return {
      address: String(address),
      smtpCode: typeof error?.responseCode === 'number' ? error.responseCode : null,
      reply: typeof error?.response === 'string' ? error.response.replace(/\s+/g, ' ').trim().slice(0, 300) : 'no reply',
    };
  });
}

/** Which setting a TLS failure calls for. */
function tlsAdvice(code: string): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'the relay’s certificate is for another name: set EMAIL_SMTP_TLS_SERVERNAME to the name it carries, or reach the relay by that name in EMAIL_SMTP_URL';
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return 'the relay does not speak TLS from the first byte on this port: use smtp:// (STARTTLS, port 587) rather than smtps:// (port 465), or the relay’s TLS port';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'the relay’s TLS certificate is out of its validity dates: the relay’s operator must renew it (EMAIL_SMTP_TLS_INSECURE_SKIP_VERIFY=true accepts it anyway, insecurely)';
  return 'the relay’s TLS certificate is not signed by a CA this machine trusts (a private CA, a self-signed certificate): set EMAIL_SMTP_TLS_CA to the PEM file of the CA that signed it';
}
