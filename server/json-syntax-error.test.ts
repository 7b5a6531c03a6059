import { describe, expect, it } from 'vitest';
import { parseJsonText } from './json-duplicate-keys.ts';
import { jsonSyntaxError } from './json-syntax-error.ts';

/** The text with `‸` where the mistake is expected; the answer is checked against that line and column. */
function at(marked: string): { text: string; line: number; column: number } {
  const offset = marked.indexOf('‸');
  const before = marked.slice(0, offset);
  return { text: marked.replace('‸', ''), line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

describe('jsonSyntaxError: where a JSON file stops being JSON, in editor terms, and why in words', () => {
  it.each([
    ['a comma missing between two members', '{\n  "name": "r",\n  "version": 1\n  ‸"description": "d"\n}', 'a comma or } is missing after the value'],
    ['a comma missing between two array items', '{ "rules": [\n  "D1"\n  ‸"D2"\n] }', 'a comma or ] is missing after the value'],
    ['a trailing comma in an object', '{\n  "name": "r",\n  "steps": []‸,\n}', 'trailing comma not allowed: remove the , before }'],
    ['a trailing comma in an array', '{ "steps": [\n  { "advance": "P1D" }‸,\n] }', 'trailing comma not allowed: remove the , before ]'],
    ['an unterminated string', '{\n  "name": ‸"no end,\n  "version": 1\n}', 'unterminated string: the " that opens it is not closed on its line (a line break inside a string is written \\n)'],
    ['a key without quotes', '{\n  ‸name: "r"\n}', 'a key must be in double quotes ("key": value)'],
    ['single quotes', "{ \"name\": ‸'r' }", 'strings take double quotes ("), not single quotes'],
    ['a missing colon', '{ "name" ‸"r" }', 'a colon (:) is missing after the key'],
    ['a comment', '{\n  ‸// the name\n  "name": "r"\n}', 'comments are not allowed in JSON'],
    ['True in capitals', '{ "on": ‸True }', 'True is not JSON: write true in lower case'],
    ['a value missing', '{ "name": ‸}', 'a value is missing before this }'],
    ['a number with a leading zero', '{ "code": ‸07 }', 'a number must not start with 0 (write 7, not 07; a code with leading zeros is a string: "07")'],
    ['a bad escape (a Windows path)', '{ "path": "C:‸\\data" }', '\\d is not a JSON escape (a backslash itself is written \\\\)'],
    ['a number without its leading 0', '{ "share": ‸.5 }', 'a number needs a digit before its point (0.5, not .5)'],
    ['a bracket too many', '{ "name": "r" }\n‸}', 'more text after the end of the JSON value (a bracket too many, or a second value?)'],
    ['an object never closed', '{\n  "steps": [\n    { "advance": "P1D" }\n  ]\n‸', 'the file ends before the { opened at 1:1 is closed'],
    ['an empty file', '\n‸', 'the file is empty: a JSON file holds one value, e.g. {}'],
  ])('%s', (_kind, marked, message) => {
    const { text, line, column } = at(marked);
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonSyntaxError(text)).toEqual({ line, column, message });
  });

  it('finds nothing wrong in what JSON.parse accepts', () => {
    for (const text of ['{}', '[]', '0', '-1.5e+3', '"\\u00e9\\n"', 'null', ' { "a": [true, false, null, {"b": "c\\"}"}] } ', JSON.stringify({ s: 'x"}]{,', n: [1, -2.5e3] }, null, 2)]) {
      expect(jsonSyntaxError(text), text).toBeUndefined();
    }
  });

  it('counts columns in characters, as an editor does, after an emoji earlier on the line', () => {
    expect(jsonSyntaxError('{ "a": "🎉", "b": 1 "c": 2 }')).toMatchObject({ line: 1, column: 20 });
  });

  it('is what a loader says of a file that is not JSON: its line and column, not a character offset', () => {
    expect(parseJsonText('{\n  "name": "r",\n}').problems).toEqual([{ path: '', line: 2, column: 14, message: 'not valid JSON: trailing comma not allowed: remove the , before }' }]);
  });
});
