import { resolveReadField, type PrmField, type PrmObject } from './prm-objects.ts';

/**
 * The PRM's SQL-like list filter (docs/systems.md, PRM (Impartner), The API: Filters): `Region eq 'EMEA' and (MarketingReady eq true or Id le 5)`,
 * `updated > '2026-01-01 00:00:00'`, `Name like '%Cloud%'`, `Status in ('Open','Approved')`.
 * Operators: eq ne gt ge lt le = != <> > >= < <= like in; `and`, `or`, `not`, parentheses. Values:
 * 'strings' (a quote doubled inside), numbers, true, false, null. Keywords and field names are read in
 * any case; string comparisons are case-sensitive (a recipe that passes here cannot rely on a
 * case-insensitive collation the real PRM may not have).
 */

/** A filter that could not be read; the handler answers 400 with its message. */
export class PrmFilterError extends Error {
  override name = 'PrmFilterError';
}

type Value = string | number | boolean | null;
type Op = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'like' | 'in';

/** A parsed filter: comparisons joined by and/or/not, fields already resolved. */
export type PrmCondition =
  | { kind: 'and' | 'or'; left: PrmCondition; right: PrmCondition }
  | { kind: 'not'; inner: PrmCondition }
  | { kind: 'compare'; field: PrmField; op: Op; value: Value | Value[] };

type Token =
  | { type: 'word'; text: string; at: number }
  | { type: 'string'; value: string; at: number }
  | { type: 'number'; value: number; at: number }
  | { type: 'symbol'; text: string; at: number };

const SYMBOL_OPS: Record<string, Op> = { '=': 'eq', '==': 'eq', '!=': 'ne', '<>': 'ne', '>': 'gt', '>=': 'ge', '<': 'lt', '<=': 'le' };
const WORD_OPS = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'like', 'in']);

/** Parses a filter against an object's fields; throws PrmFilterError naming the position and the problem. */
export function parsePrmFilter(source: string, object: PrmObject): PrmCondition {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (message: string, token = peek()): never => {
    throw new PrmFilterError(`Invalid filter at position ${token ? token.at + 1 : source.length + 1}: ${message}`);
  };
  const isWord = (t: Token | undefined, word: string) => t?.type === 'word' && t.text.toLowerCase() === word;

  const orExpr = (): PrmCondition => {
    let left = andExpr();
    while (isWord(peek(), 'or')) {
      pos += 1;
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };
  const andExpr = (): PrmCondition => {
    let left = unary();
    while (isWord(peek(), 'and')) {
      pos += 1;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const unary = (): PrmCondition => {
    if (isWord(peek(), 'not')) {
      pos += 1;
      return { kind: 'not', inner: unary() };
    }
    const t = peek();
    if (t?.type === 'symbol' && t.text === '(') {
      pos += 1;
      const inner = orExpr();
      const close = peek();
      if (!(close?.type === 'symbol' && close.text === ')')) fail('expected )');
      pos += 1;
      return inner;
    }
    return comparison();
  };
  const comparison = (): PrmCondition => {
    const t = peek();
    if (t?.type !== 'word') return fail(t ? 'expected a field name' : 'the filter ends where a field name was expected');
    pos += 1;
    const field = resolveReadField(object, t.text);
    if (!field) fail(`${object.name} has no field '${t.text}'`, t);
    const opToken = peek();
    let op: Op | undefined;
    if (opToken?.type === 'symbol') op = SYMBOL_OPS[opToken.text];
    else if (opToken?.type === 'word' && WORD_OPS.has(opToken.text.toLowerCase())) op = opToken.text.toLowerCase() as Op;
    if (!op) return fail(`expected an operator (eq, ne, gt, ge, lt, le, like, in) after ${t.text}`);
    pos += 1;
    if (op === 'in') {
      const open = peek();
      if (!(open?.type === 'symbol' && open.text === '(')) fail('expected ( after in');
      pos += 1;
      const values: Value[] = [literal()];
      while (peek()?.type === 'symbol' && (peek() as { text: string }).text === ',') {
        pos += 1;
        values.push(literal());
      }
      const close = peek();
      if (!(close?.type === 'symbol' && close.text === ')')) fail('expected ) to close the in list');
      pos += 1;
      return { kind: 'compare', field: field!, op, value: values };
    }
    const value = literal();
    if (op === 'like' && typeof value !== 'string') fail('like takes a quoted pattern');
    return { kind: 'compare', field: field!, op, value };
  };
  const literal = (): Value => {
    const t = peek();
    if (!t) return fail('the filter ends where a value was expected');
    pos += 1;
    if (t.type === 'string' || t.type === 'number') return t.value;
    if (t.type === 'word') {
      const word = t.text.toLowerCase();
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (word === 'null') return null;
    }
    return fail(`expected a value ('text', a number, true, false or null), found ${t.type === 'word' || t.type === 'symbol' ? t.text : 'a value'}`, t);
  };

  const condition = orExpr();
  if (pos < tokens.length) fail(`unexpected ${describe(tokens[pos]!)}`);
  return condition;
}

/** Whether a record (response keys) satisfies the condition. */
export function matchesPrmFilter(record: Record<string, unknown>, condition: PrmCondition): boolean {
  switch (condition.kind) {
    case 'and':
      return matchesPrmFilter(record, condition.left) && matchesPrmFilter(record, condition.right);
    case 'or':
      return matchesPrmFilter(record, condition.left) || matchesPrmFilter(record, condition.right);
    case 'not':
      return !matchesPrmFilter(record, condition.inner);
    case 'compare':
      return compare(condition.field, record[condition.field.key] ?? null, condition.op, condition.value);
  }
}

function compare(field: PrmField, actual: unknown, op: Op, expected: Value | Value[]): boolean {
  if (op === 'in') return (expected as Value[]).some((v) => compare(field, actual, 'eq', v));
  const value = expected as Value;
  if (value === null || actual === null) {
    // SQL semantics: only eq/ne test for null; an ordering against null is never true.
    if (op === 'eq') return actual === value;
    if (op === 'ne') return actual !== value;
    return false;
  }
  if (op === 'like') return typeof actual === 'string' && likePattern(value as string).test(actual);
  const order = ordering(field, actual, value);
  if (order === undefined) return op === 'ne';
  switch (op) {
    case 'eq':
      return order === 0;
    case 'ne':
      return order !== 0;
    case 'gt':
      return order > 0;
    case 'ge':
      return order >= 0;
    case 'lt':
      return order < 0;
    case 'le':
      return order <= 0;
  }
}

/** Compares a record's value with a filter literal the way the field's type reads it; undefined when they cannot be compared. */
function ordering(field: PrmField, actual: unknown, value: Exclude<Value, null>): number | undefined {
  if (field.type === 'datetime' && typeof actual === 'string' && typeof value === 'string') {
    const a = Date.parse(actual);
    const b = parseFilterTime(value);
    return Number.isNaN(a) || Number.isNaN(b) ? undefined : Math.sign(a - b);
  }
  if (typeof actual === 'number') {
    const b = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
    return Number.isNaN(b) ? undefined : Math.sign(actual - b);
  }
  if (typeof actual === 'boolean') return typeof value === 'boolean' ? (actual === value ? 0 : actual ? 1 : -1) : undefined;
  if (typeof actual === 'string') {
    const b = String(value);
    return actual === b ? 0 : actual < b ? -1 : 1;
  }
  return undefined;
}

/** `'2026-01-01 00:00:00'` (the form public clients send) or ISO; without a zone it is UTC. */
function parseFilterTime(text: string): number {
  // A filter compares one literal with every record: read once, not 100,000 times.
  let time = filterTimes.get(text);
  if (time === undefined) {
    const iso = text.trim().replace(' ', 'T');
    time = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(iso) || /^\d{4}-\d{2}-\d{2}$/.test(iso) ? iso : `${iso}Z`);
    if (filterTimes.size > 1000) filterTimes.clear();
    filterTimes.set(text, time);
  }
  return time;
}

/** Filter literals read as times, by their text (a few per query; emptied past 1,000). */
const filterTimes = new Map<string, number>();

function likePattern(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw new PrmFilterError(`Invalid filter at position ${i + 1}: the string is not closed`);
        if (source[j] === "'") {
          if (source[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += source[j];
        j += 1;
      }
      tokens.push({ type: 'string', value, at: i });
      i = j + 1;
    } else if (/[-\d]/.test(c) && /^-?\d/.test(source.slice(i, i + 2))) {
      const match = /^-?\d+(\.\d+)?/.exec(source.slice(i))!;
      tokens.push({ type: 'number', value: Number(match[0]), at: i });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))!;
      tokens.push({ type: 'word', text: match[0], at: i });
      i += match[0].length;
    } else {
      const two = source.slice(i, i + 2);
      const text = ['>=', '<=', '<>', '!=', '=='].includes(two) ? two : c;
      if (!['(', ')', ',', '=', '>', '<', '>=', '<=', '<>', '!=', '=='].includes(text)) {
        throw new PrmFilterError(`Invalid filter at position ${i + 1}: unexpected character '${c}'`);
      }
      tokens.push({ type: 'symbol', text, at: i });
      i += text.length;
    }
  }
  return tokens;
}

function describe(token: Token): string {
  if (token.type === 'string') return `'${token.value}'`;
  if (token.type === 'number') return String(token.value);
  return `'${token.text}'`;
}
