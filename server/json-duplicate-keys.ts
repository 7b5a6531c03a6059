import { formatPath } from '../schemas/format-issues.ts';
import { withoutByteOrderMark } from './byte-order-mark.ts';
import { jsonSyntaxError } from './json-syntax-error.ts';

/** A key written twice in one JSON object: where the object is (`['steps', 3, 'input']`, [] for the top) and the key. */
export interface DuplicateKey {
  path: PropertyKey[];
  key: string;
}

/**
 * The keys written more than once in an object of a JSON text that JSON.parse accepted. JSON.parse keeps
 * the last of them without a word, so in a recipe the first (a step's input, a retry) is silently not
 * what runs: usually a merge or a copy-paste gone wrong. A scan of the text, as the parsed value no
 * longer shows them.
 */
export function duplicateKeys(text: string): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  let at = 0;
  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  const string = (): string => {
    const start = at;
    at++; // the opening quote
    while (text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    at++;
    return JSON.parse(text.slice(start, at)) as string;
  };
  const value = (path: PropertyKey[]): void => {
    space();
    const c = text[at];
    if (c === '{') {
      at++;
      const seen = new Set<string>();
      space();
      if (text[at] === '}') {
        at++;
        return;
      }
      for (;;) {
        space();
        const key = string();
        if (seen.has(key)) found.push({ path, key });
        seen.add(key);
        space();
        at++; // ':'
        value([...path, key]);
        space();
        if (text[at++] === '}') return;
      }
    }
    if (c === '[') {
      at++;
      space();
      if (text[at] === ']') {
        at++;
        return;
      }
      for (let i = 0; ; i++) {
        value([...path, i]);
        space();
        if (text[at++] === ']') return;
      }
    }
    if (c === '"') {
      string();
      return;
    }
    while (at < text.length && !',}] \t\n\r'.includes(text[at]!)) at++; // a number, true, false or null
  };
  value([]);
  return found;
}

/** What is wrong with a JSON file: at a JSON path ('' for the whole file), or, for text that is not JSON, at a line and column. */
export interface JsonFileProblem {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/**
 * A JSON file's text as a loader reads it (tables, recipes, scenarios): the value, or what is wrong, each
 * with its path as users read it ('' for the whole file): not JSON (with the line and column of the
 * first mistake), or a key written twice in one object. A leading byte order mark is ignored.
 */
export function parseJsonText(source: string): { value: unknown; problems: [] } | { value?: undefined; problems: JsonFileProblem[] } {
  const text = withoutByteOrderMark(source);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const mistake = jsonSyntaxError(text);
    // The scan and JSON.parse agree on what JSON is; should they not, Node's own words are still something.
    if (mistake === undefined) return { problems: [{ path: '', message: `not valid JSON: ${(error as Error).message}` }] };
    return { problems: [{ path: '', message: `not valid JSON: ${mistake.message}`, line: mistake.line, column: mistake.column }] };
  }
  const twice = duplicateKeys(text).map(({ path, key }) => ({ path: formatPath([...path, key]), message: 'written twice in one object; JSON keeps the last and ignores the first, so write it once' }));
  return twice.length > 0 ? { problems: twice } : { value, problems: [] };
}

/** `<file>:<line>:<column>: <message>` for text that is not JSON (editors and terminals jump there), else `<file>: <path>: <message>`. */
export function formatJsonFileProblem(file: string, problem: JsonFileProblem): string {
  if (problem.line !== undefined) return `${file}:${problem.line}:${problem.column}: ${problem.message}`;
  return problem.path ? `${file}: ${problem.path}: ${problem.message}` : `${file}: ${problem.message}`;
}
