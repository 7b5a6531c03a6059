import { describe, expect, it } from 'vitest';
import { firstRepeatedKey, repeatedKeyPath, repeatsAKey } from './repeated-json-key.ts';

// The webhook's check of a repeated key (POST /webhooks/:source answers 400 naming it; webhooks.test.ts).
describe('repeated JSON keys', () => {
  const both = (text: string) => ({ counted: repeatsAKey(text, JSON.parse(text)), found: firstRepeatedKey(text) });

  it('finds a key written twice and names its path, at the top, in an object, in an array item', () => {
    expect(both('{"a":1,"a":2}')).toEqual({ counted: true, found: { path: [], key: 'a' } });
    expect(repeatedKeyPath(firstRepeatedKey('{"d":{"x":[1,{"k":1}],"y":{"k":1,"z":{},"k":2}}}')!)).toBe('d.y.k');
    expect(repeatedKeyPath(firstRepeatedKey('{"d":[[],{"k":1},{"k":1,"k":1}]}')!)).toBe('d[2].k');
    // Escaped otherwise, the same key; an escaped quote or backslash in a key or a value does not end its string early.
    expect(both('{"a\\"":1,"\\u0061\\"":2}').found).toEqual({ path: [], key: 'a"' });
    expect(both('{"s":"\\\\","t":"\\"x\\":1,\\"x\\":2","s\\\\":1}')).toEqual({ counted: false, found: null });
  });

  it('finds nothing in JSON that repeats no key: the same key in sibling objects, key-like text in strings, empty containers', () => {
    for (const text of ['{}', '[]', '1', '"a:b"', '{"a":{"a":{"a":[]}}}', '[{"k":1},{"k":2}]', '{"k":"{\\"k\\":1,\\"k\\":2}","__proto__":{"x":1}}', ' { "a" : [ { } , { "b" : null } ] } ']) {
      expect(both(text), text).toEqual({ counted: false, found: null });
    }
  });

  it('is linear: a megabyte of backslashes, quotes or keys is scanned in one pass', () => {
    for (const text of [JSON.stringify({ s: '\\'.repeat(500_000) }), JSON.stringify({ s: '"'.repeat(300_000) }), JSON.stringify(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i])))]) {
      const started = performance.now();
      expect(both(text)).toEqual({ counted: false, found: null });
      expect(performance.now() - started).toBeLessThan(2000);
    }
  });
});
