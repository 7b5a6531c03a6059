import type { Logger } from '../../connectors/kit/define-connector.ts';

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
 * default level. Backpressure (503) is the exception: it comes in storms of thousands a second, so it
 * gets at most one line per `intervalMs`, counting the refusals since the line before.
 * `now` is the wall clock: the engine's may be virtual and stand still.
 */
export function webhookRefusalLog(log: Logger, options: { intervalMs?: number; now?: () => number } = {}) {
  const intervalMs = options.intervalMs ?? 1000;
  const now = options.now ?? Date.now;
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
  };
}
