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
