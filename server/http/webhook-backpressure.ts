import type { Context } from 'hono';
import type { RuntimeConfig } from '../config.ts';
import type { Engine } from '../engine/engine.ts';
import { ErrorBody } from './api-schemas.ts';
import { jsonError } from './errors.ts';
import type { ResponseDoc } from './openapi.ts';

/**
 * Backpressure on `POST /webhooks/:source`: while the due backlog is past MAX_DUE_BACKLOG or
 * MAX_DUE_AGE_MS, a delivery gets 503 with `Retry-After` before its body is read, and nothing is
 * stored; its sender delivers it again later. Only webhooks are refused: approval clicks and the
 * operator API answer as usual, so people can still decide and look while the runtime catches up.
 * Synchronous (the backlog is counted in the background), so a refused body is never read. Answers
 * the refusal to send, or null to go on.
 */
export function refuseWhenBehind(c: Context, engine: Engine, config: Pick<RuntimeConfig, 'maxDueBacklog' | 'maxDueAgeMs'>): Response | null {
  const refusal = engine.refusal({ maxDue: config.maxDueBacklog, maxAgeMs: config.maxDueAgeMs });
  if (!refusal) return null;
  engine.metrics.webhooksRefused.inc({ reason: refusal.reason });
  c.header('Retry-After', String(refusal.retryAfterSeconds));
  return jsonError(c, 503, refusal.message);
}

/** The 503 of the webhook route in the OpenAPI document. */
export const webhookBackpressureResponse: ResponseDoc = {
  description:
    'The runtime is behind: MAX_DUE_BACKLOG runs or more are due and not started, or the oldest waits longer than MAX_DUE_AGE_MS. Nothing was stored; ' +
    'deliver the same event (same id) again after the `Retry-After` header (1 to 60 seconds, from the backlog and the recent execution rate). ' +
    'Also when the store (PostgreSQL) cannot serve: it cannot be reached, or must be asked again (a statement timeout, too many connections, a deadlock); the error begins `the store is unavailable`, `Retry-After` is 5 seconds, and the refusal is counted as `store_unavailable`. ' +
    'Then the delivery MAY have been stored (the store can fail after storing it, before its answer arrives): deliver it again under the SAME delivery id, which is deduplicated (a stored delivery answers 202 with its run ids, `duplicate: true`), never under a new id, which would start its runs a second time.',
  schema: ErrorBody,
};
