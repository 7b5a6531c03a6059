import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import { addIsoDuration } from '../engine/business-calendar.ts';
import { AdvanceClock, ErrorBody, Mailbox, MailboxQuery, MockClock, MockPrmWebhook, MockRecords, WebhookAccepted } from './api-schemas.ts';
import type { AppEnv, MockDeps } from './app.ts';
import { jsonError, validationError } from './errors.ts';
import type { RouteDoc } from './openapi.ts';
import { readBodyWithLimit } from './read-body.ts';
import { iso } from './views.ts';
import { signedDelivery } from './webhook-signature.ts';

/** How the mock PRM reaches the runtime's own webhook route. */
export interface MockWebhookTarget {
  dispatch(request: Request): Response | Promise<Response>;
  prmWebhookSecret: string | undefined;
}

/** Reads a small JSON body for a /_mock route, or answers the error. */
async function readJson(c: Context<AppEnv>): Promise<{ ok: true; json: unknown } | { ok: false; response: Response }> {
  const body = await readBodyWithLimit(c, 4096);
  if (!body.ok) return { ok: false, response: jsonError(c, 413, 'the body is larger than 4096 bytes') };
  try {
    return { ok: true, json: JSON.parse(new TextDecoder().decode(body.bytes)) };
  } catch (error) {
    return { ok: false, response: jsonError(c, 400, 'the body is not valid JSON', [{ path: '$', message: (error as Error).message }]) };
  }
}

/**
 * `/_mock/...`: only mounted in mock mode. Lets a user (or a demo) read the simulated mailbox and
 * records and move the virtual clock forward by days to watch reminders and escalations fire.
 */
export function mockRoutes(mock: MockDeps, target: MockWebhookTarget): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // One advance at a time: two overlapping jumps would interleave their timers.
  let advancing: Promise<unknown> = Promise.resolve();

  app.get('/_mock/mailbox', (c) => {
    const query = MailboxQuery.safeParse(c.req.query());
    if (!query.success) return validationError(c, 'the query', query.error);
    const to = query.data.to?.toLowerCase();
    const messages = mock.systems.email.messages().filter((m) => to === undefined || addressesOf(m).includes(to));
    return c.json({ messages } satisfies z.infer<typeof Mailbox>);
  });

  app.get('/_mock/records', (c) => c.json(mock.systems.snapshot() as object));

  app.get('/_mock/clock', (c) => c.json({ now: iso(mock.clock.now()) } satisfies z.infer<typeof MockClock>));

  app.post('/_mock/clock/advance', async (c) => {
    const body = await readJson(c);
    if (!body.ok) return body.response;
    const parsed = AdvanceClock.safeParse(body.json);
    if (!parsed.success) return validationError(c, 'the body', parsed.error);
    const { by } = parsed.data;
    let target: number;
    try {
      target = addIsoDuration(mock.clock.now(), by);
    } catch {
      return jsonError(c, 400, `"${by}" is not an ISO 8601 duration (e.g. P2D, PT36H)`, [{ path: 'by', message: 'not an ISO 8601 duration' }]);
    }
    if (!(target > mock.clock.now())) return jsonError(c, 400, `"${by}" does not move the clock forward; it only goes forward`, [{ path: 'by', message: 'must be positive' }]);
    const done = advancing.then(() => mock.advance(by));
    advancing = done.catch(() => {});
    await done;
    return c.json({ now: iso(mock.clock.now()) } satisfies z.infer<typeof MockClock>);
  });

  // What the PRM's outbound call does when a partner submits or ops change a request: a signed delivery
  // of the record as it is now, through the real webhook route.
  app.post('/_mock/prm/webhooks', async (c) => {
    const body = await readJson(c);
    if (!body.ok) return body.response;
    const parsed = MockPrmWebhook.safeParse(body.json);
    if (!parsed.success) return validationError(c, 'the body', parsed.error);
    const record = mock.systems.prm.findMdfRequest(parsed.data.mdf_number);
    if (!record) return jsonError(c, 404, `the simulated PRM has no MDF request ${parsed.data.mdf_number}`);
    if (!target.prmWebhookSecret) return jsonError(c, 404, 'no webhook secret is configured for the prm source');
    const delivery = signedDelivery({
      secret: target.prmWebhookSecret,
      deliveryId: parsed.data.delivery_id ?? randomUUID(),
      event: parsed.data.event,
      data: record,
      timestampSeconds: Math.floor(Date.now() / 1000),
    });
    return target.dispatch(new Request(new URL('/webhooks/prm', c.req.url), { method: 'POST', headers: delivery.headers, body: delivery.body }));
  });

  return app;
}

/** The lower-cased recipients (to and cc) of a simulated email, whatever else it carries. */
function addressesOf(message: unknown): string[] {
  const m = message as { to?: unknown; cc?: unknown };
  const list = (v: unknown) => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []).filter((x): x is string => typeof x === 'string');
  return [...list(m.to), ...list(m.cc)].map((a) => a.toLowerCase());
}

export const mockDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/_mock/mailbox',
    tag: 'mock',
    summary: 'Emails the simulated email provider received (mock mode only)',
    query: MailboxQuery,
    responses: { 200: { description: 'Messages, newest last', schema: Mailbox } },
  },
  {
    method: 'get',
    path: '/_mock/records',
    tag: 'mock',
    summary: 'The simulated systems’ records (mock mode only)',
    responses: { 200: { description: 'A snapshot per system', schema: MockRecords } },
  },
  {
    method: 'get',
    path: '/_mock/clock',
    tag: 'mock',
    summary: 'The virtual clock (mock mode only)',
    responses: { 200: { description: 'Current time', schema: MockClock } },
  },
  {
    method: 'post',
    path: '/_mock/clock/advance',
    tag: 'mock',
    summary: 'Move the virtual clock forward and run every timer due on the way (mock mode only)',
    body: { schema: AdvanceClock },
    responses: { 200: { description: 'The new time, once the due work has run', schema: MockClock }, 400: { description: 'Not a forward ISO 8601 duration', schema: ErrorBody } },
  },
  {
    method: 'post',
    path: '/_mock/prm/webhooks',
    tag: 'mock',
    summary: 'Make the simulated PRM send a signed webhook for one of its MDF requests to POST /webhooks/prm (mock mode only)',
    body: { schema: MockPrmWebhook },
    responses: {
      202: { description: 'The answer of POST /webhooks/prm', schema: WebhookAccepted },
      400: { description: 'Not a known event, or the webhook refused the record', schema: ErrorBody },
      404: { description: 'No such MDF request in the simulated PRM', schema: ErrorBody },
    },
  },
];
