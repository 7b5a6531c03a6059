/** Where a JSON text stops being JSON (line and column from 1, as editors count them) and why, in words. */
export interface JsonSyntaxError {
  line: number;
  column: number;
  message: string;
}

/** Thrown inside the scan only: the offset of the first mistake and what it is. */
class Mistake {
  constructor(
    readonly at: number,
    readonly message: string,
  ) {}
}

const SPACE = ' \t\n\r';
const WORDS: Record<string, string> = { true: 'true', false: 'false', null: 'null' };

/**
 * The first mistake of a text JSON.parse refused, with its line and column. Node's own message is a
 * character offset ("Unexpected token } in JSON at position 312"), which an author has to count out
 * in the file; this scan says where in editor terms and what to change. Undefined for valid JSON.
 */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  try {
    scan(text);
    return undefined;
  } catch (error) {
    if (!(error instanceof Mistake)) throw error;
    return { ...lineAndColumn(text, error.at), message: error.message };
  }
}

function lineAndColumn(text: string, at: number): { line: number; column: number } {
  const before = text.slice(0, at);
  const lineStart = before.lastIndexOf('\n') + 1;
  // Code points, not UTF-16 units: an emoji earlier on the line is one column, as in an editor.
  return { line: before.split('\n').length, column: [...before.slice(lineStart)].length + 1 };
}

function scan(text: string): void {
  let at = 0;
  const space = () => {
    while (at < text.length && SPACE.includes(text[at]!)) at++;
  };
  const where = (offset: number) => {
    const { line, column } = lineAndColumn(text, offset);
    return `${line}:${column}`;
  };

  const string = (): void => {
    const open = at;
    at++;
    for (;;) {
      if (at >= text.length) throw new Mistake(open, 'unterminated string: the " that opens it is never closed');
      const c = text[at]!;
      if (c === '"') {
        at++;
        return;
      }
      if (c === '\n' || c === '\r') throw new Mistake(open, 'unterminated string: the " that opens it is not closed on its line (a line break inside a string is written \\n)');
      if (c === '\t') throw new Mistake(at, 'a tab inside a string must be written \\t');
      if (c < ' ') throw new Mistake(at, `a control character inside a string must be written as an escape (\\u${c.charCodeAt(0).toString(16).padStart(4, '0')})`);
      if (c === '\\') {
        const e = text[at + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) throw new Mistake(at, '\\u must be followed by four hex digits, e.g. \\u00e9');
          at += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) throw new Mistake(at, `\\${e ?? ''} is not a JSON escape (a backslash itself is written \\\\)`);
        at += 2;
        continue;
      }
      at++;
    }
  };

  const number = (): void => {
    const start = at;
    if (text[at] === '-') at++;
    if (text[at] === '0' && /[0-9]/.test(text[at + 1] ?? '')) throw new Mistake(start, 'a number must not start with 0 (write 7, not 07; a code with leading zeros is a string: "07")');
    if (!/[0-9]/.test(text[at] ?? '')) throw new Mistake(start, text[at] === '.' ? 'a number needs a digit before its point (-0.5, not -.5)' : 'a - must be followed by the digits of a number');
    while (/[0-9]/.test(text[at] ?? '')) at++;
    if (text[at] === '.') {
      at++;
      if (!/[0-9]/.test(text[at] ?? '')) throw new Mistake(at, 'a digit must follow the decimal point (1.0, not 1.)');
      while (/[0-9]/.test(text[at] ?? '')) at++;
    }
    if (text[at] === 'e' || text[at] === 'E') {
      at++;
      if (text[at] === '+' || text[at] === '-') at++;
      if (!/[0-9]/.test(text[at] ?? '')) throw new Mistake(at, 'an exponent needs digits (1e3)');
      while (/[0-9]/.test(text[at] ?? '')) at++;
    }
  };

  const notAValue = (start: number): never => {
    const c = text[start];
    if (c === undefined) throw new Mistake(start, 'the file ends where a value is expected');
    if (c === "'") throw new Mistake(start, 'strings take double quotes ("), not single quotes');
    if (c === '/') throw new Mistake(start, 'comments are not allowed in JSON');
    if (c === '}' || c === ']' || c === ',') throw new Mistake(start, `a value is missing before this ${c}`);
    if (c === '+') throw new Mistake(start, 'a number must not start with +');
    if (c === '.') throw new Mistake(start, 'a number needs a digit before its point (0.5, not .5)');
    const word = /^[A-Za-z_$][\w$]*/.exec(text.slice(start))?.[0];
    if (word !== undefined) {
      const meant = WORDS[word.toLowerCase()];
      throw new Mistake(start, meant ? `${word} is not JSON: write ${meant} in lower case` : `${word} is not a JSON value: a string takes double quotes ("${word}"); the other values are numbers, true, false, null, objects and arrays`);
    }
    throw new Mistake(start, `${c} cannot start a value: a value is a string in double quotes, a number, true, false, null, an object or an array`);
  };

  const value = (): void => {
    space();
    const c = text[at];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    for (const word of Object.keys(WORDS)) {
      if (text.startsWith(word, at) && !/[\w$]/.test(text[at + word.length] ?? '')) {
        at += word.length;
        return;
      }
    }
    notAValue(at);
  };

  const object = (): void => {
    const open = at;
    at++;
    space();
    if (text[at] === '}') {
      at++;
      return;
    }
    for (;;) {
      space();
      const c = text[at];
      if (c === undefined) throw new Mistake(at, `the file ends before the { opened at ${where(open)} is closed`);
      if (c !== '"') {
        if (c === "'") throw new Mistake(at, 'keys take double quotes ("), not single quotes');
        if (c === '/') throw new Mistake(at, 'comments are not allowed in JSON');
        if (/[A-Za-z_$]/.test(c)) throw new Mistake(at, 'a key must be in double quotes ("key": value)');
        throw new Mistake(at, `a key in double quotes is expected here, not ${c}`);
      }
      string();
      space();
      if (text[at] !== ':') throw new Mistake(at, text[at] === undefined ? `the file ends before the { opened at ${where(open)} is closed` : 'a colon (:) is missing after the key');
      at++;
      value();
      space();
      const after = text[at];
      if (after === '}') {
        at++;
        return;
      }
      if (after === undefined) throw new Mistake(at, `the file ends before the { opened at ${where(open)} is closed`);
      if (after !== ',') throw new Mistake(at, after === '/' ? 'comments are not allowed in JSON' : 'a comma or } is missing after the value');
      const comma = at;
      at++;
      space();
      if (text[at] === '}') throw new Mistake(comma, 'trailing comma not allowed: remove the , before }');
    }
  };

  const array = (): void => {
    const open = at;
    at++;
    space();
    if (text[at] === ']') {
      at++;
      return;
    }
    for (;;) {
      value();
      space();
      const after = text[at];
      if (after === ']') {
        at++;
        return;
      }
      if (after === undefined) throw new Mistake(at, `the file ends before the [ opened at ${where(open)} is closed`);
      if (after !== ',') throw new Mistake(at, after === '/' ? 'comments are not allowed in JSON' : 'a comma or ] is missing after the value');
      const comma = at;
      at++;
      space();
      if (text[at] === ']') throw new Mistake(comma, 'trailing comma not allowed: remove the , before ]');
    }
  };

  space();
  if (at >= text.length) throw new Mistake(at, 'the file is empty: a JSON file holds one value, e.g. {}');
  value();
  space();
  if (at < text.length) throw new Mistake(at, 'more text after the end of the JSON value (a bracket too many, or a second value?)');
}
