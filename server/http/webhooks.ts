import { Hono } from 'hono';
import type { z } from 'zod';
import { EventRejectedError } from '../engine/engine.ts';
import { ErrorBody, WebhookAccepted, WebhookDelivery } from './api-schemas.ts';
import type { AppDeps, AppEnv } from './app.ts';
import { jsonError, validationError } from './errors.ts';
import type { RouteDoc } from './openapi.ts';
import { readBodyWithLimit } from './read-body.ts';
import { refuseWhenBehind, webhookBackpressureResponse } from './webhook-backpressure.ts';
import { requestHeader } from './request-header.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from './webhook-signature.ts';

/**
 * `POST /webhooks/:source`. The checks run cheapest first and each refusal stores nothing:
 * unknown source (404), the runtime too far behind to start the work soon (503, backpressure; before
 * the body is read), too large (413), bad signature (401), not JSON or not a delivery (400), an
 * event the source does not have or data its schema refuses (the engine: 400/404). Only then is the
 * delivery persisted with its runs, and only after that does the sender get its 202.
 */
export function webhookRoutes(deps: AppDeps): Hono<AppEnv> {
  const { engine, config } = deps;
  const app = new Hono<AppEnv>();

  app.post('/webhooks/:source', async (c) => {
    const source = c.req.param('source');
    // Own properties only: a source named `constructor` must not find Object.prototype's.
    const secret = Object.hasOwn(config.webhookSecrets, source) ? config.webhookSecrets[source] : undefined;
    if (typeof secret !== 'string') return jsonError(c, 404, `unknown source "${source}": no webhook secret is configured for it`);

    const refused = refuseWhenBehind(c, engine, config);
    if (refused) return refused;

    const body = await readBodyWithLimit(c, config.maxBodyBytes);
    if (!body.ok) return jsonError(c, 413, `the body is larger than ${config.maxBodyBytes} bytes (MAX_BODY_BYTES)`);

    // In mock mode the clock can be far ahead of real time (POST /_mock/clock/advance); a delivery
    // signed with the wall clock (curl) or the virtual clock (the harness) is accepted either way.
    const now = deps.mock ? [engine.clock.now(), Date.now()] : [engine.clock.now()];
    const signature = verifyWebhookSignature({
      secret,
      body: body.bytes,
      timestamp: requestHeader(c, TIMESTAMP_HEADER),
      signature: requestHeader(c, SIGNATURE_HEADER),
      now,
    });
    if (!signature.ok) {
      // Worth a warning: a run of these means a sender with the wrong secret, or someone probing.
      deps.log.warn({ requestId: c.get('requestId'), source, reason: signature.reason }, 'webhook signature refused');
      return jsonError(c, 401, signature.reason);
    }

    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.bytes));
    } catch (error) {
      const message = error instanceof SyntaxError ? error.message : 'the body is not UTF-8 text';
      return jsonError(c, 400, 'the body is not valid JSON', [{ path: '$', message }]);
    }
    const delivery = WebhookDelivery.safeParse(json);
    if (!delivery.success) return validationError(c, 'the delivery', delivery.error);

    try {
      const result = await engine.deliver({ source, deliveryId: delivery.data.id, event: delivery.data.event, data: delivery.data.data });
      return c.json({ delivery_id: delivery.data.id, duplicate: result.duplicate, run_ids: result.runIds } satisfies z.infer<typeof WebhookAccepted>, 202);
    } catch (error) {
      if (error instanceof EventRejectedError) return jsonError(c, error.status, error.message, error.issues);
      throw error;
    }
  });

  return app;
}

export const webhookDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/webhooks/:source',
    tag: 'webhooks',
    summary: 'Deliver a signed event from a source system',
    description:
      'Signed with `X-Partnerflow-Timestamp` (unix seconds, within 5 minutes of the server clock) and `X-Partnerflow-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`. ' +
      'The delivery and the runs it starts are stored before the 202; delivering the same id again starts nothing and answers the same run ids.',
    params: { source: 'Connector name, e.g. `prm`' },
    headers: {
      'X-Partnerflow-Timestamp': 'Unix time in seconds when the delivery was signed',
      'X-Partnerflow-Signature': '`sha256=` and the hex HMAC-SHA256 of `<timestamp>.<raw body>` with the source secret',
    },
    body: { schema: WebhookDelivery },
    responses: {
      202: { description: 'Accepted and stored', schema: WebhookAccepted },
      400: { description: 'Not JSON, not a delivery, an event the source does not have, or data the event schema refuses', schema: ErrorBody },
      401: { description: 'Signature or timestamp missing, stale or wrong', schema: ErrorBody },
      404: { description: 'Unknown source', schema: ErrorBody },
      413: { description: 'Body larger than MAX_BODY_BYTES', schema: ErrorBody },
      503: webhookBackpressureResponse,
    },
  },
];
