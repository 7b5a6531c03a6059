/**
 * A key computed by a recipe's expression (a dedup_key, a concurrency_key, a wait_for event's key) as
 * the text it is stored under, or what it computed instead when that was nothing: undefined (often a
 * field typo), null or an empty text. Such a key must never be stored: as "undefined" or "" it is the
 * same for every record, and would join every later event to the first one's run.
 */
export function computedKey(value: unknown): { key: string } | { nothing: 'undefined' | 'null' | 'an empty text' } {
  if (value === undefined) return { nothing: 'undefined' };
  if (value === null) return { nothing: 'null' };
  const key = String(value);
  return key === '' ? { nothing: 'an empty text' } : { key };
}

/**
 * What a dedup_key expression computes for an event (a polled item) of no data and no delivery id:
 * the key of nothing read from the event. A key equal to it for a real event read nothing of that
 * event either (`'new-request:' & data.mdfNumbr`: a field typo behind a prefix is `new-request:` for
 * every event), and would join every later event to the first one's run as a key of nothing would.
 * A key that reads the event (`data.id & '@' & data.updated`) differs from it even where an optional
 * field it also reads is absent. Computed once per event name and expression; undefined when the
 * expression throws or computes nothing without data (then nothing is compared).
 */
export function keyWithoutData(expression: string, scope: { trigger: unknown; data?: unknown }, evaluate: (scope: never) => Promise<unknown>): Promise<string | undefined> {
  const event = (scope.trigger as { event?: unknown } | null)?.event;
  const cacheKey = `${String(event)}\u0000${expression}`;
  let found = keysWithoutData.get(cacheKey);
  if (!found) {
    const trigger = { event, data: {} };
    found = evaluate({ ...scope, trigger, data: {} } as never).then(
      (value) => {
        const key = computedKey(value);
        return 'key' in key ? key.key : undefined;
      },
      () => undefined,
    );
    keysWithoutData.set(cacheKey, found);
  }
  return found;
}

const keysWithoutData = new Map<string, Promise<string | undefined>>();
