import { randomUUID } from 'node:crypto';
import { http, HttpResponse, type RequestHandler } from 'msw';
import { faultResponse, type FaultInjector, type FaultMessage } from '../faults.ts';
import { SIMULATED_CREDENTIALS, SIMULATED_URLS } from '../simulated-urls.ts';
import { parseAddressList, type ParsedAddress } from './email-addresses.ts';
import type { EmailMessage, Mailbox } from './mailbox.ts';

/** Postmark's limits on one message. Metadata: at most 10 fields, names up to 20 characters, values up to 80. */
const EMAIL_LIMITS = { recipients: 50, metadataFields: 10, metadataKeyLength: 20, metadataValueLength: 80, tagLength: 1000 } as const;

/** The transactional stream every Postmark server has: a send without `MessageStream` goes there, a search without `messagestream` looks only there. */
const DEFAULT_STREAM = 'outbound';

const ORIGIN = new URL(SIMULATED_URLS.email).origin;

/**
 * The simulated Postmark-style email API: `POST /email` sends (the message lands in the mailbox) and
 * `GET /messages/outbound` searches what was sent, by recipient, tag or metadata: how a sender that
 * crashed mid-send finds out whether the message went out.
 */
export function emailHandlers(deps: { mailbox: Mailbox; faults: FaultInjector }): RequestHandler[] {
  return [http.all(`${ORIGIN}/*`, ({ request }) => handle(request, deps))];
}

async function handle(request: Request, { mailbox, faults }: { mailbox: Mailbox; faults: FaultInjector }): Promise<Response> {
  const message = await messageOf(request);
  const fault = faults.take('email', request, { message });
  if (fault) {
    return faultResponse(
      fault,
      {
        rateLimit: (s) => ({ ErrorCode: 429, Message: `Rate limit exceeded; retry after ${s} s.` }),
        serverError: () => ({ ErrorCode: 500, Message: 'Internal server error.' }),
        expiredToken: () => ({ ErrorCode: 10, Message: 'Request does not contain a valid Server token.' }),
        // Postmark's words for a recipient it stopped sending to after a hard bounce or a spam complaint.
        refused: (recipients) => ({
          ErrorCode: 406,
          Message: `You tried to send to recipient(s) that have been marked as inactive. Found inactive addresses: ${recipients.join(', ')}. Inactive recipients are ones that have generated a hard bounce, a spam complaint, or a manual suppression.`,
        }),
      },
      {},
      message,
    );
  }
  const token = request.headers.get('x-postmark-server-token');
  if (token === null) {
    return error(401, 10, 'No Account or Server API tokens were supplied in the HTTP headers. Please add a header for either X-Postmark-Server-Token or X-Postmark-Account-Token.');
  }
  if (token !== SIMULATED_CREDENTIALS.email.serverToken) return error(401, 10, 'Request does not contain a valid Server token.');

  const { pathname, searchParams } = new URL(request.url);
  const method = request.method.toUpperCase();
  if (pathname === '/email' && method === 'POST') return send(request, mailbox);
  if (pathname === '/messages/outbound' && method === 'GET') return search(searchParams, mailbox);
  return error(404, 404, `No API at ${method} ${pathname}.`);
}

/**
 * Who a send is to and its subject, read from a copy of the body (the send reads the original), so a
 * fault can hit one message: the approval email and not the receipt. Undefined for any other request.
 */
async function messageOf(request: Request): Promise<FaultMessage | undefined> {
  if (request.method.toUpperCase() !== 'POST' || new URL(request.url).pathname !== '/email') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(await request.clone().text());
  } catch {
    return undefined;
  }
  if (!body || typeof body !== 'object') return undefined;
  const field = (key: string) => {
    const value = (body as Record<string, unknown>)[key];
    return typeof value === 'string' ? value : '';
  };
  const recipients = (['To', 'Cc', 'Bcc'] as const).flatMap((key) => {
    const parsed = parseAddressList(key, field(key));
    return parsed.ok ? parsed.addresses.map((a) => a.email) : [];
  });
  return { recipients, subject: field('Subject') };
}

async function send(request: Request, mailbox: Mailbox): Promise<Response> {
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(await request.text());
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return error(422, 402, 'Received invalid JSON input.');
    body = parsed as Record<string, unknown>;
  } catch {
    return error(422, 402, 'Received invalid JSON input.');
  }
  const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : '');

  const from = parseAddressList('From', text('From'));
  if (!from.ok || from.addresses.length !== 1) return error(422, 300, `Invalid 'From' address: '${text('From')}'.`);
  const lists: Record<'To' | 'Cc' | 'Bcc', ParsedAddress[]> = { To: [], Cc: [], Bcc: [] };
  for (const field of ['To', 'Cc', 'Bcc'] as const) {
    const parsed = parseAddressList(field, text(field));
    if (!parsed.ok) return error(422, 300, parsed.message);
    lists[field] = parsed.addresses;
  }
  const recipients = lists.To.length + lists.Cc.length + lists.Bcc.length;
  if (lists.To.length === 0) return error(422, 300, 'Zero recipients specified');
  if (recipients > EMAIL_LIMITS.recipients) return error(422, 300, `Maximum of ${EMAIL_LIMITS.recipients} recipients allowed (To, Cc and Bcc together); this message has ${recipients}.`);
  if (text('Subject').trim() === '') return error(422, 300, "Provide a 'Subject' for the message.");
  if (text('TextBody') === '' && text('HtmlBody') === '') return error(422, 300, 'Provide either email TextBody or HtmlBody or both.');
  if (text('Tag').length > EMAIL_LIMITS.tagLength) return error(422, 300, `The Tag is longer than ${EMAIL_LIMITS.tagLength} characters.`);
  const metadata = checkMetadata(body.Metadata);
  if (typeof metadata === 'string') return error(422, 300, metadata);

  const names: Record<string, string> = {};
  for (const a of [...lists.To, ...lists.Cc, ...lists.Bcc]) if (a.name) names[a.email] = a.name;
  const message: Omit<EmailMessage, 'sentAt'> = {
    messageId: randomUUID(),
    from: text('From'),
    to: lists.To.map((a) => a.email),
    cc: lists.Cc.map((a) => a.email),
    ...(lists.Bcc.length > 0 ? { bcc: lists.Bcc.map((a) => a.email) } : {}),
    subject: text('Subject'),
    text: text('TextBody'),
    html: text('HtmlBody'),
    ...(text('Tag') ? { tag: text('Tag') } : {}),
    metadata,
    messageStream: text('MessageStream') || DEFAULT_STREAM,
  };
  const stored = mailbox.accept(message, names);
  return HttpResponse.json({ To: text('To'), SubmittedAt: stored.sentAt, MessageID: stored.messageId, ErrorCode: 0, Message: 'OK' });
}

/** The metadata as stored, or the provider's complaint about it. */
function checkMetadata(value: unknown): Record<string, string> | string {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return 'Metadata must be an object of text fields.';
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > EMAIL_LIMITS.metadataFields) return `Metadata has ${entries.length} fields; the limit is ${EMAIL_LIMITS.metadataFields}.`;
  const metadata: Record<string, string> = {};
  for (const [key, v] of entries) {
    if (Object.keys(metadata).some((k) => k.toLowerCase() === key.toLowerCase())) return `Metadata field names must be unique regardless of case; '${key}' is given twice.`;
    if (key.length > EMAIL_LIMITS.metadataKeyLength) return `Metadata field name '${key}' is longer than ${EMAIL_LIMITS.metadataKeyLength} characters.`;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return `Metadata field '${key}' must be text.`;
    const text = String(v);
    if (text.length > EMAIL_LIMITS.metadataValueLength) return `Metadata field '${key}' has a value longer than ${EMAIL_LIMITS.metadataValueLength} characters.`;
    metadata[key] = text;
  }
  return metadata;
}

/**
 * `GET /messages/outbound?count=&offset=&recipient=&tag=&subject=&messagestream=&metadata_<key>=`: newest
 * first, as Postmark lists them. Like Postmark, it searches one stream, `outbound` unless `messagestream`
 * names another: a message sent on another stream is not found without it.
 */
function search(params: URLSearchParams, mailbox: Mailbox): Response {
  const count = Number(params.get('count'));
  const offset = Number(params.get('offset'));
  if (!params.has('count') || !Number.isInteger(count) || count < 1 || count > 500) return error(422, 300, "The 'count' parameter is required: a whole number from 1 to 500.");
  if (!params.has('offset') || !Number.isInteger(offset) || offset < 0) return error(422, 300, "The 'offset' parameter is required: a whole number from 0.");
  if (count + offset > 10_000) return error(422, 300, "'count' plus 'offset' may not exceed 10000.");

  const recipient = params.get('recipient')?.toLowerCase();
  const tag = params.get('tag');
  const subject = params.get('subject');
  const stream = params.get('messagestream') || DEFAULT_STREAM;
  const metadata = [...params.entries()].filter(([k]) => k.startsWith('metadata_')).map(([k, v]) => [k.slice('metadata_'.length), v] as const);
  const matching = mailbox
    .messages()
    .reverse()
    .filter(
      (m) =>
        m.messageStream === stream &&
        (recipient === undefined || [...m.to, ...m.cc, ...(m.bcc ?? [])].some((a) => a.toLowerCase() === recipient)) &&
        (tag === null || m.tag === tag) &&
        (subject === null || m.subject.includes(subject)) &&
        metadata.every(([k, v]) => m.metadata[k] === v),
    );
  const person = (m: EmailMessage) => (email: string) => ({ Email: email, Name: mailbox.nameOf(m.messageId, email) });
  return HttpResponse.json({
    TotalCount: matching.length,
    Messages: matching.slice(offset, offset + count).map((m) => ({
      Tag: m.tag ?? '',
      MessageID: m.messageId,
      MessageStream: m.messageStream,
      To: m.to.map(person(m)),
      Cc: m.cc.map(person(m)),
      Bcc: (m.bcc ?? []).map(person(m)),
      Recipients: [...m.to, ...m.cc, ...(m.bcc ?? [])],
      ReceivedAt: m.sentAt,
      From: m.from,
      Subject: m.subject,
      Attachments: [],
      Status: 'Sent',
      TrackOpens: false,
      TrackLinks: 'None',
      Metadata: m.metadata,
      Sandboxed: false,
    })),
  });
}

function error(status: number, code: number, message: string): Response {
  return HttpResponse.json({ ErrorCode: code, Message: message }, { status });
}
