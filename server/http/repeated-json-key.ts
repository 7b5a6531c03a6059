import { formatPath } from '../../schemas/format-issues.ts';

/** A key written twice in one object of a JSON text: where the object is (`['data', 'items', 2]`, [] for the top) and the key. */
export interface RepeatedKey {
  path: PropertyKey[];
  key: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** One open container of the scan: an object's keys seen so far (null for an array) and where in it the scan is. */
interface Frame {
  keys: Set<string> | null;
  /** The key whose value is being read (an object), or the index of the item (an array). */
  at: string | number;
}

/**
 * The first key written twice in one object of `text`, a JSON text that JSON.parse accepted, or null.
 * JSON.parse keeps the last of them without a word; in a signed business payload a repeated key is
 * ambiguous (another reader of the same bytes, such as the sender's own log or a relay, may take the
 * first) and may be an attack, so a webhook refuses it (`POST /webhooks/:source`, 400).
 *
 * One pass over the text, linear in its length whatever its shape: strings are skipped with indexOf
 * (each backslash before a quote is counted once), a key is decoded only when it holds an escape (so
 * `"a"` and `"\u0061"` are the same key), each object keeps a Set of its keys, and the path is built
 * only for the key found. The text must be valid JSON (it is not checked again).
 */
export function firstRepeatedKey(text: string): RepeatedKey | null {
  const stack: Frame[] = [];
  const length = text.length;
  let at = 0;
  // After `{` or `,` in an object the next string is a key.
  let expectKey = false;
  while (at < length) {
    const c = text.charCodeAt(at);
    if (c === QUOTE) {
      const start = at;
      const end = stringEnd(text, start);
      at = end + 1;
      if (expectKey) {
        expectKey = false;
        const raw = text.slice(start + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(start, end + 1)) as string) : raw;
        const frame = stack[stack.length - 1]!;
        if (frame.keys!.has(key)) return { path: stack.slice(0, -1).map((f) => f.at), key };
        frame.keys!.add(key);
        frame.at = key;
      }
      continue;
    }
    if (c === OPEN_OBJECT) {
      stack.push({ keys: new Set(), at: '' });
      expectKey = true;
    } else if (c === OPEN_ARRAY) {
      stack.push({ keys: null, at: 0 });
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
      expectKey = false;
    } else if (c === COMMA) {
      const frame = stack[stack.length - 1]!;
      if (frame.keys) expectKey = true;
      else frame.at = (frame.at as number) + 1;
    } else if (c === COLON) {
      expectKey = false;
    }
    at++;
  }
  return null;
}

/**
 * Whether `text`, a JSON text that JSON.parse turned into `value`, writes a key twice in one object: the
 * keys written (one `:` outside strings each) outnumber the keys `value` holds, as JSON.parse keeps one
 * of each. A count, cheaper than `firstRepeatedKey` (no key is cut out of the text or kept in a set): a
 * webhook asks this of every delivery, and `firstRepeatedKey` only of one that repeats a key.
 */
export function repeatsAKey(text: string, value: unknown): boolean {
  return keysWritten(text) !== keysHeld(value);
}

function keysWritten(text: string): number {
  let colons = 0;
  let at = 0;
  for (;;) {
    const quote = text.indexOf('"', at);
    const stop = quote < 0 ? text.length : quote;
    for (let i = at; i < stop; i++) if (text.charCodeAt(i) === COLON) colons++;
    if (quote < 0) return colons;
    at = stringEnd(text, quote) + 1;
  }
}

/**
 * Where the JSON string that opens at `quote` ends: the next quote with an even run of backslashes
 * before it (an escaped quote does not end it). Each backslash before a quote is counted once.
 */
function stringEnd(text: string, quote: number): number {
  let end = text.indexOf('"', quote + 1);
  for (;;) {
    let slashes = 0;
    while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

function keysHeld(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let keys = 0;
  if (Array.isArray(value)) {
    for (const item of value) keys += keysHeld(item);
    return keys;
  }
  for (const key in value) {
    keys++;
    keys += keysHeld((value as Record<string, unknown>)[key]);
  }
  return keys;
}

/** The path of a repeated key as the API names paths: `data.amount`, `data.items[2].sku`, `id` at the top. */
export function repeatedKeyPath(found: RepeatedKey): string {
  return formatPath([...found.path, found.key]);
}
