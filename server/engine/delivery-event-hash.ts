import { createHash } from 'node:crypto';

/**
 * What a delivery id names: one event. The store keeps this hash with each delivery, so that its id
 * arriving again is told apart: the same hash is the sender's retry (a duplicate, 202 with the first
 * run ids), another hash is a new event under a used id, refused with 409 (DeliveryIdReusedError)
 * rather than dropped as a "duplicate".
 *
 * The hash is of the event as parsed, not of the body's bytes: the SHA-256 of the event name and the
 * data written out canonically (every object's keys sorted, no spacing, JSON's own escapes and number
 * forms; `canonical` below). A retry written out again (a relay that keeps deliveries as jsonb
 * reorders keys and drops spacing; another serialiser escapes `é` as `\u00e9` or writes `1000.0`) is
 * the same event, and a byte-level hash would refuse it. The envelope's other fields (`occurred_at`)
 * and the transport (signature, timestamp) are not part of it: the runtime acts on the event name and
 * the data only, so nothing it would act on is lost when they differ. Cost: about 3.5 µs for the PRM's
 * 700-byte MDF request, 5.4 times a SHA-256 of the raw body (bench/delivery-event-hash-cost.ts).
 *
 * `data` is a JSON value as JSON.parse makes it (what the webhook route hands the engine).
 * The hash is stored: computing it another way makes the retries of every delivery stored before
 * answer 409. Such a change needs a version prefix in the stored value, compared by version.
 */
export function deliveryEventHash(event: string, data: unknown): string {
  // createHash, not crypto.hash: that one came with Node 20.12, and package.json accepts 20.10.
  return createHash('sha256').update(JSON.stringify([event, canonical(data)])).digest('hex');
}

/**
 * `value` in a form JSON.stringify writes out the same whatever order the sender wrote its keys in:
 * each object becomes `{ k: <its keys, sorted>, v: <their values, in that order> }`, arrays and
 * plain values stay. Objects stay objects and arrays arrays, so two different values never meet.
 * Two arrays rather than a copy with sorted keys: building them and native JSON.stringify cost about
 * half (the copy added each key as a property), and reading a key reads JSON.parse's own `__proto__`
 * like any other, where assigning it would set a prototype.
 */
function canonical(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(canonical);
  const source = value as Record<string, unknown>;
  const k = sortedKeysOf(source);
  const v = new Array<unknown>(k.length);
  for (let i = 0; i < k.length; i++) v[i] = canonical(source[k[i]!]);
  return { k, v };
}

/**
 * The last key list sorted, and its sort: a sender's deliveries of one event list the same keys in the
 * same order (JSON.parse gives them the same strings), so the sort, a fifth of the hash's cost, is
 * mostly a comparison of the list with the last one. Other shapes just sort.
 */
let lastKeys: readonly string[] = [];
let lastSorted: readonly string[] = [];
function sortedKeysOf(object: object): readonly string[] {
  const keys = Object.keys(object);
  if (keys.length === lastKeys.length && keys.every((key, i) => key === lastKeys[i])) return lastSorted;
  lastKeys = keys;
  lastSorted = keys.slice().sort();
  return lastSorted;
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
