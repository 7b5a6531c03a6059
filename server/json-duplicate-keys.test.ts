import { describe, expect, it } from 'vitest';
import { duplicateKeys } from './json-duplicate-keys.ts';

describe('duplicateKeys: keys JSON.parse would keep the last of without a word', () => {
  it('names each object that writes a key twice, by its path in the document', () => {
    const text = `{
      "name": "r", "steps": [
        { "id": "a", "input": { "from": "{% $vars.a %}", "to": 1, "from": "{% $vars.b %}" } },
        { "id": "b", "retry": { "give_up_after": "PT1H" }, "retry": { "give_up_after": "PT12H" } }
      ],
      "name": "r2"
    }`;
    expect(duplicateKeys(text)).toEqual([
      { path: ['steps', 0, 'input'], key: 'from' },
      { path: ['steps', 1], key: 'retry' },
      { path: [], key: 'name' },
    ]);
  });

  it('finds none in a document without, whatever its strings, escapes, numbers and nesting hold', () => {
    const text = JSON.stringify({ a: 'x"}]{,"a":', b: [1, -2.5e3, true, null, [], {}, { a: 'a\\"' }], c: { a: { a: '\u00e9' } }, '': 0 }, null, 2);
    expect(duplicateKeys(text)).toEqual([]);
    expect(duplicateKeys('[]')).toEqual([]);
    expect(duplicateKeys('{"k":1,"k\\u0031":2,"k1":3}')).toEqual([{ path: [], key: 'k1' }]);
  });
});
