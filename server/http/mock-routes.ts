import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import { AdvanceClock, ErrorBody, Mailbox, MailboxQuery, MOCK_CLAIM_EVENTS, MockClaimChange, MockClaimDelivered, MockClaimSubmission, MockClock, MockPrmWebhook, MockRecords, MockRequestChange, MockRequestDelivered, WebhookAccepted } from './api-schemas.ts';
import type { AppEnv, MockDeps } from './app.ts';
import { jsonError, validationError } from './errors.ts';
import type { RouteDoc } from './openapi.ts';
import { readMockJson } from './mock-json-body.ts';
import { advanceMockClock } from './mock-clock-advance.ts';
import { mailboxTo } from './mailbox-to.ts';
import { queryParameterIssues } from './query-parameters.ts';
import { summarizeIssues } from '../../schemas/format-issues.ts';
import { mockLeadDocs, mockLeadRoutes } from './mock-lead-routes.ts';
import { mockSalesforceDocs, mockSalesforceRoutes } from './mock-salesforce-routes.ts';
import { iso } from './views.ts';
import { signedDelivery } from './webhook-signature.ts';

/** Deliveries the simulated PRM remembers for redelivery (mock mode: a demo's worth, bounded all the same). */
const MAX_REMEMBERED = 10_000;

/** How the mock PRM reaches the runtime's own webhook route. */
export interface MockWebhookTarget {
  dispatch(request: Request): Response | Promise<Response>;
  prmWebhookSecret: string | undefined;
}

/**
 * `/_mock/...`: only mounted in mock mode. Lets a user (or a demo) read the simulated mailbox and
 * records and move the virtual clock forward by days to watch reminders and escalations fire.
 */
export function mockRoutes(mock: MockDeps, target: MockWebhookTarget): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  /** What the simulated PRM sent under each delivery id, so a redelivery sends that again (at most MAX_REMEMBERED, oldest forgotten). */
  const sent = new Map<string, { event: string; record: unknown }>();

  app.get('/_mock/mailbox', (c) => {
    // `?too=` or `?to=a&to=b` would list every message, or one address's, as if it were what was asked.
    const unread = queryParameterIssues(c.req.queries(), Object.keys(MailboxQuery.shape));
    if (unread.length > 0) return jsonError(c, 400, `the query is not valid: ${summarizeIssues(unread)}`, unread);
    const query = MailboxQuery.safeParse(c.req.query());
    if (!query.success) return validationError(c, 'the query', query.error);
    const messages = mailboxTo(mock.systems.email.messages(), query.data.to);
    return c.json({ messages } satisfies z.infer<typeof Mailbox>);
  });

  app.get('/_mock/records', (c) => c.json(mock.systems.snapshot() as object));

  app.get('/_mock/clock', (c) => c.json({ now: iso(mock.clock.now()) } satisfies z.infer<typeof MockClock>));

  app.post('/_mock/clock/advance', async (c) => {
    const body = await readMockJson(c);
    if (!body.ok) return body.response;
    const parsed = AdvanceClock.safeParse(body.json);
    if (!parsed.success) return validationError(c, 'the body', parsed.error);
    const { by } = parsed.data;
    const moved = await advanceMockClock(mock, by);
    if (!moved.ok) return jsonError(c, 400, moved.message, [{ path: 'by', message: moved.problem }]);
    return c.json({ now: iso(mock.clock.now()) } satisfies z.infer<typeof MockClock>);
  });

  /**
   * What the PRM's outbound call does for a change of a record: a signed delivery of it as it is now,
   * through the real webhook route. A delivery id it sent before with the same event is a redelivery,
   * as a real sender's retry: the record as it was sent then (the runtime answers a duplicate), not as
   * it is now (another event under a used id: 409). Signed afresh.
   */
  const sendPrmEvent = (c: Context<AppEnv>, event: string, record: unknown, givenId?: string): Response | Promise<Response> => {
    if (!target.prmWebhookSecret) return jsonError(c, 404, 'no webhook secret is configured for the prm source');
    const deliveryId = givenId ?? randomUUID();
    const before = givenId === undefined ? undefined : sent.get(givenId);
    // Only an id the caller chose can be sent again: a fresh UUID's event need not be remembered.
    if (!before && givenId !== undefined) {
      if (sent.size >= MAX_REMEMBERED) sent.delete(sent.keys().next().value!);
      sent.set(deliveryId, { event, record: structuredClone(record) });
    }
    // The same record only (its PRM object id): another request or claim under a used id is another
    // event, which the runtime refuses with 409, and is sent as asked, not replaced by the first record.
    const redelivery = before?.event === event && (before.record as { id?: unknown }).id === (record as { id?: unknown }).id;
    const delivery = signedDelivery({
      secret: target.prmWebhookSecret,
      deliveryId,
      event,
      data: redelivery ? before.record : record,
      timestampSeconds: Math.floor(Date.now() / 1000),
    });
    return target.dispatch(new Request(new URL('/webhooks/prm', c.req.url), { method: 'POST', headers: delivery.headers, body: delivery.body }));
  };

  /** Sends the PRM's event for a record and reads what POST /webhooks/prm answered (its JSON, or the text as it was). */
  const deliverPrmEvent = async (c: Context<AppEnv>, event: string, record: unknown): Promise<{ status: number; body: unknown }> => {
    const res = await sendPrmEvent(c, event, record);
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: text };
    }
  };

  /** A claim change or submission answered with the claim and what the webhook answered to its event. */
  const claimDelivered = async (c: Context<AppEnv>, status: 200 | 201, claim: Record<string, unknown>, event: string): Promise<Response> => {
    const webhook = await deliverPrmEvent(c, event, claim);
    return c.json({ claim, webhook } satisfies z.infer<typeof MockClaimDelivered>, status);
  };

  // What the PRM's outbound call does when a partner submits or ops change a request or a claim.
  app.post('/_mock/prm/webhooks', async (c) => {
    const body = await readMockJson(c);
    if (!body.ok) return body.response;
    const parsed = MockPrmWebhook.safeParse(body.json);
    if (!parsed.success) return validationError(c, 'the body', parsed.error);
    const { event, mdf_number, claim_id, claim_title, delivery_id } = parsed.data;
    let record: unknown;
    if ((MOCK_CLAIM_EVENTS as readonly string[]).includes(event)) {
      record = claim_id !== undefined ? mock.systems.prm.mdfClaims().find((claim) => claim.id === claim_id) : mock.systems.prm.findMdfClaimsByTitle(claim_title!)[0];
      if (!record) return jsonError(c, 404, `the simulated PRM has no MDF claim ${claim_id !== undefined ? `with id ${claim_id}` : `titled ${JSON.stringify(claim_title)}`}`);
    } else {
      record = mock.systems.prm.findMdfRequest(mdf_number!);
      if (!record) return jsonError(c, 404, `the simulated PRM has no MDF request ${mdf_number}`);
    }
    return sendPrmEvent(c, event, record, delivery_id);
  });

  // A partner submits a claim in the portal (D15, D16): the PRM stores it (Open) and sends mdf_claim.submitted.
  app.post('/_mock/prm/claims', async (c) => {
    const body = await readMockJson(c);
    if (!body.ok) return body.response;
    const parsed = MockClaimSubmission.safeParse(body.json);
    if (!parsed.success) return validationError(c, 'the body', parsed.error);
    if (!target.prmWebhookSecret) return jsonError(c, 404, 'no webhook secret is configured for the prm source');
    const claim = mock.systems.prm.addMdfClaim(parsed.data) as Record<string, unknown>;
    return claimDelivered(c, 201, claim, 'mdf_claim.submitted');
  });

  // Ops change a claim in the portal (D17 Missing POP, D18 status and purchase order): the PRM sends mdf_claim.changed.
  app.patch('/_mock/prm/claims/:id', async (c) => {
    const id = Number(c.req.param('id'));
    if (!Number.isInteger(id) || id <= 0) return jsonError(c, 400, `"${c.req.param('id')}" is not a claim id (a positive integer)`, [{ path: 'id', message: 'not a positive integer' }]);
    const body = await readMockJson(c);
    if (!body.ok) return body.response;
    const parsed = MockClaimChange.safeParse(body.json);
    if (!parsed.success) return validationError(c, 'the body', parsed.error);
    if (!target.prmWebhookSecret) return jsonError(c, 404, 'no webhook secret is configured for the prm source');
    const claim = mock.systems.prm.updateMdfClaim(id, parsed.data);
    if (!claim) return jsonError(c, 404, `the simulated PRM has no MDF claim with id ${id}`);
    return claimDelivered(c, 200, claim as Record<string, unknown>, 'mdf_claim.changed');
  });

  // Ops change a request in the portal (D14: its end date moves the claim reminders; D11, D12: its status).
  // The real PRM then sends mdf_request.status_changed when the status changed, mdf_request.changed otherwise.
  app.patch('/_mock/prm/mdf_requests/:mdf_number', async (c) => {
    const mdfNumber = c.req.param('mdf_number');
    const body = await readMockJson(c);
    if (!body.ok) return body.response;
    const parsed = MockRequestChange.safeParse(body.json);
    if (!parsed.success) return validationError(c, 'the body', parsed.error);
    if (!target.prmWebhookSecret) return jsonError(c, 404, 'no webhook secret is configured for the prm source');
    const before = mock.systems.prm.findMdfRequest(mdfNumber) as { status?: unknown } | undefined;
    if (!before) return jsonError(c, 404, `the simulated PRM has no MDF request ${mdfNumber}`);
    const request = mock.systems.prm.updateMdfRequest(mdfNumber, parsed.data) as Record<string, unknown>;
    const event = request.status !== before.status ? 'mdf_request.status_changed' : 'mdf_request.changed';
    const webhook = await deliverPrmEvent(c, event, request);
    return c.json({ mdf_request: request, webhook: { event, ...webhook } } satisfies z.infer<typeof MockRequestDelivered>, 200);
  });

  app.route('/', mockSalesforceRoutes(mock));
  app.route('/', mockLeadRoutes(mock));
  return app;
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
    responses: { 200: { description: 'The new time, once the due work has run', schema: MockClock }, 400: { description: 'Not a forward ISO 8601 duration, or longer than P2Y (two years) at once', schema: ErrorBody } },
  },
  {
    method: 'post',
    path: '/_mock/prm/webhooks',
    tag: 'mock',
    summary: 'Make the simulated PRM send a signed webhook for one of its MDF requests or claims to POST /webhooks/prm (mock mode only)',
    body: { schema: MockPrmWebhook },
    responses: {
      202: { description: 'The answer of POST /webhooks/prm', schema: WebhookAccepted },
      400: { description: 'Not a known event, a request event without mdf_number or a claim event without claim_id or claim_title, or the webhook refused the record', schema: ErrorBody },
      404: { description: 'No such MDF request or claim in the simulated PRM', schema: ErrorBody },
    },
  },
  {
    method: 'post',
    path: '/_mock/prm/claims',
    tag: 'mock',
    summary: 'Submit an MDF claim in the simulated PRM as a partner does: it is stored (Open) and its mdf_claim.submitted webhook is sent (mock mode only)',
    body: { schema: MockClaimSubmission },
    responses: {
      201: { description: 'The stored claim (with its id) and the answer of POST /webhooks/prm to its event', schema: MockClaimDelivered },
      400: { description: 'Not a claim form: the fields named', schema: ErrorBody },
    },
  },
  {
    method: 'patch',
    path: '/_mock/prm/claims/:id',
    tag: 'mock',
    params: { id: 'The claim\'s PRM id (the `claim.id` POST /_mock/prm/claims answered)' },
    summary: 'Change an MDF claim in the simulated PRM as ops do (Missing POP, status, purchase order number); its mdf_claim.changed webhook is sent (mock mode only)',
    body: { schema: MockClaimChange },
    responses: {
      200: { description: 'The claim as changed and the answer of POST /webhooks/prm to its event', schema: MockClaimDelivered },
      400: { description: 'Not a claim change: the fields named', schema: ErrorBody },
      404: { description: 'No such claim in the simulated PRM', schema: ErrorBody },
    },
  },
  {
    method: 'patch',
    path: '/_mock/prm/mdf_requests/:mdf_number',
    tag: 'mock',
    params: { mdf_number: 'The request\'s MDF number, e.g. MDF-0901' },
    summary: 'Change an MDF request in the simulated PRM as ops do (status, dates, amounts); its mdf_request.status_changed (the status changed) or mdf_request.changed webhook is sent (mock mode only)',
    description: 'D14: moving an approved request\'s end date moves the claim reminders still to come (GET /timers).',
    body: { schema: MockRequestChange },
    responses: {
      200: { description: 'The request as changed, the event sent and the answer of POST /webhooks/prm to it', schema: MockRequestDelivered },
      400: { description: 'Not a request change: the fields named', schema: ErrorBody },
      404: { description: 'No such MDF request in the simulated PRM', schema: ErrorBody },
    },
  },
  ...mockSalesforceDocs,
  ...mockLeadDocs,
];
