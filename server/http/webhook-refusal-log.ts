import type { Logger } from '../../connectors/kit/define-connector.ts';
import { Outage, type OutageMessages } from '../engine/outage.ts';

/**
 * How long after the last delivery refused 503 `store_unavailable` deliveries must keep being stored
 * before the outage is said to be over (real ms). Deliveries come when senders send them, and a refused
 * sender comes back after Retry-After (5 s): a store that fails some commits and not others (a
 * flapping network, a pooler losing connections) would otherwise print an error and an info line for
 * nearly every request, which is the flood this log exists to stop. Six Retry-Afters without a refusal
 * is a store that serves again.
 */
export const WEBHOOK_STORE_OUTAGE_QUIET_MS = 30_000;

/** What the log says while deliveries are refused because the store cannot serve (an Outage, outage.ts). */
const WEBHOOK_STORE_OUTAGE: OutageMessages = {
  started: 'webhook deliveries refused 503 store_unavailable: the store cannot serve; senders are told to deliver them again under the same delivery id after Retry-After',
  still: 'webhook deliveries still refused 503 store_unavailable: the store cannot serve',
  over: (failures) => `webhook deliveries are stored again, after ${failures} refused 503 store_unavailable`,
};

/** What a refused delivery's log line says: never its body or a secret. */
export interface WebhookRefusal {
  requestId?: string;
  source: string;
  /** The delivery's `id`, once the body was parsed far enough to have one. */
  deliveryId?: string;
  status: number;
  reason: string;
}

/**
 * Logs refused webhook deliveries at `warn`, one line each, so that a sender whose deliveries bounce
 * (a wrong content type, a schema its data breaks, an event nobody declared) shows in the log at the
 * default level. The 503s are the exception. Backpressure comes in storms of thousands a second, so it
 * gets at most one line per `intervalMs`, counting the refusals since the line before. A store that
 * cannot serve (PostgreSQL away) is an outage, said once at error when the first delivery is refused,
 * at warn at most a minute with how many were refused, and at info once deliveries are stored again
 * (WEBHOOK_STORE_OUTAGE_QUIET_MS after the last refusal; review 9, finding 4).
 * `now` is real time in ms (performance.now() by default): the engine's clock may be virtual and stand still.
 */
export function webhookRefusalLog(log: Logger, options: { intervalMs?: number; now?: () => number } = {}) {
  const intervalMs = options.intervalMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  const storeOutage = new Outage(log, WEBHOOK_STORE_OUTAGE, { now, quietMs: WEBHOOK_STORE_OUTAGE_QUIET_MS });
  let lastBackpressureLine = -Infinity;
  let unlogged = 0;
  const line = (r: WebhookRefusal, extra: Record<string, unknown> = {}, suffix = '') => {
    const fields = { requestId: r.requestId, source: r.source, ...(r.deliveryId !== undefined ? { deliveryId: r.deliveryId } : {}), status: r.status, reason: r.reason, ...extra };
    const delivery = r.deliveryId !== undefined ? ` delivery ${r.deliveryId}` : ' a delivery';
    log.warn(fields, `webhook refused: ${r.source}${delivery} answered ${r.status}: ${r.reason}${suffix}`);
  };
  return {
    /** One refusal (4xx): one line. */
    refused(refusal: WebhookRefusal): void {
      line(refusal);
    },
    /** One 503 of backpressure: a line only if the last was `intervalMs` ago, with the count since. */
    behind(refusal: WebhookRefusal): void {
      unlogged++;
      const at = now();
      if (at - lastBackpressureLine < intervalMs) return;
      const count = unlogged;
      lastBackpressureLine = at;
      unlogged = 0;
      line(refusal, { refusedSinceLastLine: count }, count > 1 ? ` (${count} deliveries refused since the last such line)` : '');
    },
    /** One 503 because the store cannot serve: a line when it starts an outage, or is its minute's reminder. */
    storeUnavailable(refusal: Omit<WebhookRefusal, 'status' | 'reason'>, error: unknown): void {
      const { requestId, source, deliveryId } = refusal;
      storeOutage.failed(error, { requestId, source, ...(deliveryId !== undefined ? { deliveryId } : {}), status: 503, reason: 'store_unavailable' });
    },
    /** A delivery stored (202): the store serves; an outage is over once that lasts. */
    stored(): void {
      storeOutage.succeeded();
    },
  };
}
