import { Hono } from 'hono';
import type { z } from 'zod';
import { DeliveryIdReusedError } from '../engine/delivery-event-hash.ts';
import { EventRejectedError } from '../engine/engine.ts';
import { MAX_DEDUP_KEY_LENGTH } from '../engine/stored-key-limits.ts';
import type { WebhookRefusalReason } from '../engine/metrics.ts';
import { ErrorBody, WebhookAccepted, WebhookDelivery } from './api-schemas.ts';
import { parseWebhookDelivery } from './webhook-envelope.ts';
import type { AppDeps, AppEnv } from './app.ts';
import { DELIVERY_LIMITS, deliveryLimitIssue } from './delivery-limits.ts';
import { formatPath, issuesOf, summarizeIssues, type Issue } from '../../schemas/format-issues.ts';
import { firstRepeatedKey, repeatedKeyPath, repeatsAKey } from './repeated-json-key.ts';
import { jsonError } from './errors.ts';
import { isJsonContentType } from './json-content-type.ts';
import type { RouteDoc } from './openapi.ts';
import { readBodyWithLimit } from './read-body.ts';
import { webhookSecretVariable } from '../config.ts';
import { refuseWhenBehind, webhookBackpressureResponse } from './webhook-backpressure.ts';
import { requestHeader } from './request-header.ts';
import { webhookRefusalLog } from './webhook-refusal-log.ts';
import { STORE_UNAVAILABLE_RETRY_AFTER_SECONDS, StoreUnavailableError } from '../store/store-unavailable.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from './webhook-signature.ts';
import { closestName } from '../recipes/closest-name.ts';

/** A name a connector could have: only for such a source is its secret's variable named. */
const SOURCE_NAME = /^[a-z][a-z0-9_]{0,39}$/;

/** The statuses a delivery is refused with through `refuse` (503s are told apart). */
type RefusedStatus = 400 | 401 | 404 | 409 | 413 | 415;
/**
 * The `reason` label of partnerflow_webhooks_refused_total for a refusal's status: `invalid` is a
 * delivery refused for good as no event at all (not JSON, beyond a shape limit, not a delivery, an event
 * the source does not have, data its schema refuses, a key too long): the event is lost, so ops alert on it.
 */
const REFUSAL_REASONS: Readonly<Record<RefusedStatus, WebhookRefusalReason>> = {
  400: 'invalid',
  401: 'signature',
  404: 'unknown_source',
  409: 'delivery_id_reused',
  413: 'too_large',
  415: 'content_type',
};

/**
 * The error of a delivery refused 503 because the store cannot serve: unlike every other refusal it
 * may have been stored (a commit whose answer was lost), so the sender is told to repeat it under the
 * same delivery id, which is deduplicated, and never under a new one.
 */
export const STORE_UNAVAILABLE_ANSWER =
  'the store is unavailable: the delivery may have been stored (the store can fail after storing it, before answering); deliver the same event again after Retry-After under the SAME delivery id, which is recognised and answers the same runs; never under a new id, which would start its runs a second time';

/** One decoder for every delivery: `decode` without `stream` keeps no state between calls. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `POST /webhooks/:source`. The checks run cheapest first and each of these refusals stores nothing:
 * unknown source (404), not declared as JSON (415), the runtime too far behind to start the work soon
 * (503, backpressure; before the body is read), too large (413), bad signature (401), not JSON, beyond
 * a shape limit (DELIVERY_LIMITS) or not a delivery (400), an event the source does not have, data its
 * schema refuses or a dedup key that is too long (the engine: 400/404). Only then is the
 * delivery persisted with its runs, and only after that does the sender get its 202; a store that
 * cannot serve (PostgreSQL away) is a 503 with Retry-After, which may have stored the delivery (its
 * commit's answer lost): the sender repeats it under the same id. A delivery id stored before answers
 * its first run ids (a duplicate), unless it was stored with a different event: 409, nothing done.
 */
export function webhookRoutes(deps: AppDeps): Hono<AppEnv> {
  const { engine, config } = deps;
  const app = new Hono<AppEnv>();
  // Every refusal is logged at warn (a sender's deliveries bouncing must show at info); 503s sparingly.
  const refusals = webhookRefusalLog(deps.log, deps.realNow ? { now: deps.realNow } : {});

  app.post('/webhooks/:source', async (c) => {
    const source = c.req.param('source');
    const requestId = c.get('requestId');
    // Every refusal is a line and a count (review 6): a business event refused for good (400: it is lost,
    // a sender does not retry a 4xx) must show in /metrics for ops to alert on, not only in the log.
    const refuse = (status: RefusedStatus, error: string, reason: string, deliveryId?: string, issues?: Issue[]): Response => {
      refusals.refused({ requestId, source, deliveryId, status, reason });
      engine.metrics.webhooksRefused.inc({ reason: REFUSAL_REASONS[status] });
      return jsonError(c, status, error, issues);
    };
    // Own properties only: a source named `constructor` must not find Object.prototype's.
    const secret = Object.hasOwn(config.webhookSecrets, source) ? config.webhookSecrets[source] : undefined;
    if (typeof secret !== 'string') {
      // A typo of a source that has one (`/webhooks/prn`, `/webhooks/PRM`): the sender's URL is wrong.
      const sources = Object.keys(config.webhookSecrets);
      const meant = sources.find((name) => name === source.toLowerCase()) ?? closestName(source.slice(0, 100), sources);
      // Else the variable that would accept it (an optional source such as web forms answers 404 until it is
      // set), but only for a connector that takes webhooks: WEBHOOK_SECRET_MARKETO is read by nothing.
      const takesWebhooks = engine.webhookSources();
      const hint = meant
        ? ` (did you mean "${meant}"? POST /webhooks/${meant})`
        : !SOURCE_NAME.test(source)
          ? ''
          : takesWebhooks.includes(source)
            ? ` (its secret is read from ${webhookSecretVariable(source)})`
            : ` (no connector takes webhooks as "${source}"; the sources that do: ${takesWebhooks.length > 0 ? takesWebhooks.join(', ') : 'none'})`;
      const reason = `unknown source "${source.slice(0, 100)}": no webhook secret is configured for it${hint}`;
      return refuse(404, reason, reason);
    }

    const contentType = requestHeader(c, 'content-type');
    if (!isJsonContentType(contentType)) {
      const got = contentType === undefined ? 'it has none' : `got "${contentType.slice(0, 100)}"`;
      const reason = `a delivery must be sent with Content-Type application/json (UTF-8); ${got}`;
      return refuse(415, reason, reason);
    }
    const refused = refuseWhenBehind(c, engine, config);
    if (refused) {
      refusals.behind({ requestId, source, status: refused.status, reason: 'the runtime is behind (backpressure: MAX_DUE_BACKLOG or MAX_DUE_AGE_MS); the sender is told to retry after Retry-After' });
      return refused;
    }

    const body = await readBodyWithLimit(c, config.maxBodyBytes);
    if (!body.ok) {
      const reason = `the body is larger than ${config.maxBodyBytes} bytes (MAX_BODY_BYTES)`;
      return refuse(413, reason, reason);
    }

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
    // Worth a warning: a run of these means a sender with the wrong secret, or someone probing.
    if (!signature.ok) return refuse(401, signature.reason, `signature refused: ${signature.reason}`);

    let json: unknown;
    let text: string;
    try {
      text = UTF8.decode(body.bytes);
      json = JSON.parse(text);
    } catch (error) {
      // The parser's message quotes the body: the log gets the verdict only.
      const message = error instanceof SyntaxError ? error.message : 'the body is not UTF-8 text';
      return refuse(400, 'the body is not valid JSON', 'the body is not valid JSON', undefined, [{ path: '$', message }]);
    }
    // Before anything walks the value recursively (zod, storing it as JSON): a deep value overflowed the stack.
    const beyond = deliveryLimitIssue(json);
    const idOf = (value: unknown) => {
      const id = value && typeof value === 'object' && 'id' in value ? (value as { id: unknown }).id : undefined;
      return typeof id === 'string' ? id.slice(0, 200) : undefined;
    };
    if (beyond) {
      const reason = `the delivery is beyond a limit: ${beyond.path}: ${beyond.message}`;
      return refuse(400, reason, reason, idOf(json), [beyond]);
    }
    // A key written twice in one object: JSON.parse kept the last without a word, but in a signed
    // business payload the repeat is ambiguous (the sender's log, a relay or another parser may read the
    // first) and may be an attack (an amount or a status written twice): refused, naming the key.
    // A count (about 1 µs on a 700-byte MDF request) for every delivery; the key is looked for only in one that repeats it.
    const repeated = repeatsAKey(text, json) ? firstRepeatedKey(text) : null;
    if (repeated) {
      const where = repeated.path.length === 0 ? 'the delivery' : formatPath(repeated.path);
      const issue = { path: repeatedKeyPath(repeated), message: `the key "${repeated.key}" is written twice in ${where}: a repeated key is ambiguous (JSON keeps the last one, another reader may take the first), so the delivery is refused; send each key once` };
      const reason = `the delivery is not valid: ${issue.path}: ${issue.message}`;
      return refuse(400, reason, reason, idOf(json), [issue]);
    }
    const delivery = parseWebhookDelivery(json);
    if (!delivery.success) {
      const issues = issuesOf(delivery.error);
      const reason = `the delivery is not valid: ${summarizeIssues(issues)}`;
      return refuse(400, reason, reason, idOf(json), issues);
    }

    try {
      const result = await engine.deliver({ source, deliveryId: delivery.data.id, event: delivery.data.event, data: delivery.data.data });
      refusals.stored();
      return c.json({ delivery_id: delivery.data.id, duplicate: result.duplicate, run_ids: result.runIds } satisfies z.infer<typeof WebhookAccepted>, 202);
    } catch (error) {
      if (error instanceof EventRejectedError) return refuse(error.status, error.message, error.message, delivery.data.id, error.issues);
      // A sender reusing ids (or two events sharing one): a 409 it will not retry, a line, and a count to alert on.
      if (error instanceof DeliveryIdReusedError) {
        return refuse(409, error.message, error.message, delivery.data.id);
      }
      // PostgreSQL is away: nothing can be promised as stored, so no 202. Nor can "nothing stored" be
      // promised: a commit whose answer was lost (the connection gone after COMMIT was sent) may have
      // stored the delivery and its runs (review 9, finding 6). The sender must deliver the same id
      // again, which answers the same run ids if it was stored; a new id would start the runs twice.
      if (error instanceof StoreUnavailableError) {
        engine.metrics.webhooksRefused.inc({ reason: 'store_unavailable' });
        refusals.storeUnavailable({ requestId, source, deliveryId: delivery.data.id }, error);
        c.header('Retry-After', String(STORE_UNAVAILABLE_RETRY_AFTER_SECONDS));
        return jsonError(c, 503, STORE_UNAVAILABLE_ANSWER);
      }
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
      'The delivery and the runs it starts are stored before the 202; delivering the same event under the same id again (a retry) starts nothing and answers the same run ids (`duplicate: true`). ' +
      'The same event means the same event name and the same data as JSON values: key order, spacing and escapes may differ. A different event under a used id is refused with 409. ' +
      "A recipe whose trigger filter or key cannot be computed for the event (it throws, or a key computes nothing) does not refuse the delivery: its run is among the run ids, stored failed with the error, and the other recipes' runs go on. " +
      `Limits: Content-Type \`application/json\` (UTF-8); objects and arrays nested at most ${DELIVERY_LIMITS.maxDepth} levels (the delivery is level 1); ` +
      `keys of at most ${DELIVERY_LIMITS.maxKeyLength} characters, each written once per object (a repeated key is refused: 400 naming it and its path); a string value (free text) only as long as the body allows; the record's key (e.g. an MDF number) and a recipe's dedup and concurrency keys of at most ${MAX_DEDUP_KEY_LENGTH} characters. ` +
      'A refusal is counted in `partnerflow_webhooks_refused_total` by reason (README, Metrics).',
    params: { source: 'Connector name, e.g. `prm`' },
    headers: {
      'X-Partnerflow-Timestamp': 'Unix time in seconds when the delivery was signed',
      'X-Partnerflow-Signature': '`sha256=` and the hex HMAC-SHA256 of `<timestamp>.<raw body>` with the source secret',
    },
    body: { schema: WebhookDelivery },
    responses: {
      202: { description: 'Accepted and stored', schema: WebhookAccepted },
      400: {
        description:
          'Not JSON, nested too deep or with a key too long (the limits above), a key written twice in one object (named with its path: ambiguous, as parsers differ on which one counts), not a delivery, an event the source does not have, data the event schema refuses (for the PRM: no record at all, e.g. without its MDF number or partner id; a field in an unexpected form is read, not refused), or a record key or dedup key too long',
        schema: ErrorBody,
      },
      401: { description: 'Signature or timestamp missing, stale or wrong', schema: ErrorBody },
      404: { description: 'Unknown source, or a source without its secret (`WEBHOOK_SECRET_<SOURCE>`); a typo of a configured source is named (did you mean)', schema: ErrorBody },
      409: { description: 'The delivery id was already used for a different event: nothing was started or changed; send a new event under a new delivery id', schema: ErrorBody },
      413: { description: 'Body larger than MAX_BODY_BYTES', schema: ErrorBody },
      415: { description: 'Content-Type is not `application/json` (with a UTF-8 charset, if one is named)', schema: ErrorBody },
      503: webhookBackpressureResponse,
    },
  },
];
