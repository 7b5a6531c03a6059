import { hash } from 'node:crypto';

/**
 * What a delivery id names: one event. The store keeps this hash with each delivery, so that its id
 * arriving again is told apart: the same hash is the sender's retry (a duplicate, 202 with the first
 * run ids), another hash is a new event under a used id, refused with 409 (DeliveryIdReusedError)
 * rather than dropped as a "duplicate".
 *
 * The hash is of the event as parsed, not of the body's bytes: the SHA-256 of the event name and the
 * data written out canonically (every object's keys sorted, no spacing, JSON's own escapes and number
 * forms). A retry written out again (a relay that keeps deliveries as jsonb reorders keys and drops
 * spacing; another serialiser escapes `é` as `\u00e9` or writes `1000.0`) is the same event, and a
 * byte-level hash would refuse it. The envelope's other fields (`occurred_at`) and the transport
 * (signature, timestamp) are not part of it: the runtime acts on the event name and the data only, so
 * nothing it would act on is lost when they differ. Cost: about 6 µs for the PRM's 700-byte MDF request
 * (bench/delivery-event-hash-cost.ts), against about 1.5 µs for the raw bytes.
 *
 * `data` is a JSON value as JSON.parse makes it (what the webhook route hands the engine).
 */
export function deliveryEventHash(event: string, data: unknown): string {
  return hash('sha256', JSON.stringify([event, withSortedKeys(data)]), 'hex');
}

/**
 * A copy of `value` whose objects list their keys sorted, so JSON.stringify writes it out the same
 * whatever order the sender wrote them in. (V8 lists integer-like keys first, in numeric order,
 * whatever the insertion order: still the same for the same keys.) Native JSON.stringify over the
 * copy is quicker than writing the canonical text by hand.
 */
function withSortedKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(withSortedKeys);
  const source = value as Record<string, unknown>;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(source).sort()) {
    // JSON.parse makes `__proto__` an own key; an assignment would set the copy's prototype instead.
    if (key === '__proto__') Object.defineProperty(sorted, key, { value: withSortedKeys(source[key]), enumerable: true, writable: true, configurable: true });
    else sorted[key] = withSortedKeys(source[key]);
  }
  return sorted;
}

/**
 * A delivery id already stored with another event (another `deliveryEventHash`). Nothing was stored
 * or changed: the event's runs, cancels, answers and timers are those of the first event. The sender
 * must send a new event under a new delivery id; repeating this one gets the same answer.
 */
export class DeliveryIdReusedError extends Error {
  override name = 'DeliveryIdReusedError';
  readonly status = 409;
  constructor(
    readonly source: string,
    readonly deliveryId: string,
  ) {
    super(
      `delivery id ${JSON.stringify(deliveryId)} of source ${source} was already used for a different event: this delivery started nothing and changed nothing (the first event stays as it was); a new event needs a new delivery id`,
    );
  }
}
