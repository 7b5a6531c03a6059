import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** A message as the relay took it: the envelope and the parsed headers and parts. */
export interface RelayedMessage {
  envelope: { from: string; to: string[] };
  headers: Record<string, string>;
  text: string;
  html: string;
  raw: string;
  /** The AUTH user of the session, when it logged in. */
  user: string | undefined;
  /** Whether the message came over TLS (STARTTLS). */
  tls: boolean;
}

/** How the relay behaves towards the next messages; tests change it between sends. */
export interface RelayBehaviour {
  /** Refuse every recipient (or only `address`, one or several) with this reply (e.g. `550 5.1.1 no such user`, `451 4.3.0 try later`). */
  refuseRecipients?: { code: number; message: string; address?: string | string[] } | undefined;
  /** Read the whole message, then answer it with this reply instead of 250. */
  refuseData?: { code: number; message: string } | undefined;
  /** Read the whole message, keep it, and drop the connection without answering: the lost answer. */
  dropAfterData?: boolean;
  /** Read the whole message and never answer: a send in flight (the process dies meanwhile). */
  holdAfterData?: boolean;
  /** The same, only for messages to this recipient; others are answered. */
  holdAfterDataTo?: string | undefined;
}

/**
 * A real SMTP server (the `smtp-server` package) on a free loopback port, for the email connector's
 * SMTP transport: it keeps what it took, checks AUTH when given users, and can refuse, drop or hold a
 * message as a relay might.
 */
export class SmtpRelay {
  readonly messages: RelayedMessage[] = [];
  /** Messages whose data arrived, also those the relay then refused, dropped or held. */
  dataReceived = 0;
  behaviour: RelayBehaviour = {};
  #server: SMTPServer;
  readonly #sockets = new Set<Socket>();

  private constructor(users: Record<string, string> | undefined, tls: { key: string; cert: string } | undefined) {
    const options: SMTPServerOptions = {
      // With `tls`, the relay offers STARTTLS with that certificate; without, no TLS at all.
      ...(tls ? { key: tls.key, cert: tls.cert } : { disabledCommands: ['STARTTLS'] }),
      authOptional: users === undefined,
      allowInsecureAuth: true,
      logger: false,
      onAuth: (auth, _session, callback) => {
        if (users && auth.username !== undefined && users[auth.username] === auth.password) return callback(null, { user: auth.username });
        const error = new Error('5.7.8 Authentication credentials invalid') as Error & { responseCode: number };
        error.responseCode = 535;
        callback(error);
      },
      onRcptTo: (address, _session, callback) => {
        const refusal = this.behaviour.refuseRecipients;
        callback(refusal && (refusal.address === undefined || [refusal.address].flat().includes(address.address)) ? replyError(refusal) : null);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          this.dataReceived++;
          const raw = Buffer.concat(chunks).toString('utf8');
          const { refuseData, dropAfterData, holdAfterData, holdAfterDataTo } = this.behaviour;
          if (refuseData) return callback(replyError(refuseData));
          const message = parseMessage(raw, session);
          this.messages.push(message);
          if (holdAfterData || (holdAfterDataTo && message.envelope.to.includes(holdAfterDataTo))) return;
          if (dropAfterData) {
            for (const socket of this.#sockets) socket.destroy();
            return;
          }
          callback(null, 'OK queued as TEST');
        });
      },
    };
    this.#server = new SMTPServer(options);
    // The net server under smtp-server: its sockets are what `dropAfterData` cuts.
    (this.#server as unknown as { server: { on(event: 'connection', listener: (socket: Socket) => void): void } }).server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Starts a relay on `port` (0: a free one). With `users`, AUTH is required and checked; with `tls`, STARTTLS is offered. */
  static async start(options: { port?: number; users?: Record<string, string>; tls?: { key: string; cert: string } } = {}): Promise<SmtpRelay> {
    const relay = new SmtpRelay(options.users, options.tls);
    await relay.listen(options.port ?? 0);
    return relay;
  }

  port = 0;

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.#server as unknown as { server: { address(): { port: number } } }).server.address().port;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function replyError(reply: { code: number; message: string }): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

/** Just enough MIME for the messages nodemailer composes here: headers, and text and HTML parts in QP or base64. */
function parseMessage(raw: string, session: { envelope: { mailFrom: false | { address: string }; rcptTo: Array<{ address: string }> }; user?: unknown; secure?: boolean }): RelayedMessage {
  const { headers, body } = splitHeaders(raw);
  const parts: Array<{ headers: Record<string, string>; body: string }> = [];
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  if (boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      parts.push(splitHeaders(chunk.replace(/^\r?\n/, '')));
    }
  } else parts.push({ headers, body });
  const partOf = (type: string) => {
    const part = parts.find((p) => (p.headers['content-type'] ?? '').startsWith(type));
    return part ? decodeBody(part.body, part.headers['content-transfer-encoding']) : '';
  };
  return {
    envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) },
    headers,
    text: partOf('text/plain'),
    html: partOf('text/html'),
    raw,
    user: typeof session.user === 'string' ? session.user : undefined,
    tls: session.secure === true,
  };
}

function splitHeaders(raw: string): { headers: Record<string, string>; body: string } {
  const cut = raw.indexOf('\r\n\r\n');
  const head = cut < 0 ? raw : raw.slice(0, cut);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: cut < 0 ? '' : raw.slice(cut + 4) };
}

function decodeBody(body: string, encoding: string | undefined): string {
  const trimmed = body.replace(/\r?\n$/, '');
  if (encoding?.toLowerCase() === 'base64') return Buffer.from(trimmed.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding?.toLowerCase() === 'quoted-printable') {
    const bytes = trimmed.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8').replace(/\r\n/g, '\n');
  }
  return trimmed.replace(/\r\n/g, '\n');
}
