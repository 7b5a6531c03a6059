/**
 * Keys the store keeps as text (delivery ids, dedup and correlation keys, the keys waits listen on,
 * poll cursors) must not hold a NUL character (U+0000): PostgreSQL's text cannot store one, SQLite can.
 * Such a key is refused where it is made, the same on both stores, rather than failing every
 * redelivery with a 500 (and the group commit of the writes stored with it) on PostgreSQL only. No
 * system's key legitimately holds one.
 */
export const NUL_REFUSAL = 'contains a NUL character (\\u0000)';

export function hasNul(text: string): boolean {
  return text.includes('\u0000');
}

/**
 * Where `key`'s NUL came from: the paths of `value` (written from `base`, e.g. `data.id`) whose strings
 * hold a NUL and appear in `key`; `base` itself when none does (the key was computed from them).
 */
export function nulSourcesOf(value: unknown, key: string, base: string): string[] {
  const found: string[] = [];
  const visit = (v: unknown, path: string): void => {
    if (typeof v === 'string') {
      if (hasNul(v) && key.includes(v)) found.push(path);
    } else if (Array.isArray(v)) v.forEach((item, i) => visit(item, `${path}[${i}]`));
    else if (v !== null && typeof v === 'object') for (const [k, item] of Object.entries(v)) visit(item, `${path}.${k}`);
  };
  visit(value, base);
  return found.length > 0 ? found : [base];
}
