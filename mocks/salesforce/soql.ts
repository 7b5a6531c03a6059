/**
 * The part of SOQL the simulated org understands:
 * `SELECT f1, f2 | COUNT() FROM Obj [WHERE ...] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]`,
 * with `= != <> < <= > >= LIKE IN NOT IN`, `AND OR NOT` and parentheses; values 'text' (backslash
 * escapes), numbers, true, false, null, dates (2026-04-20) and dateTimes (2026-04-20T09:00:00Z).
 * Like the real one, keywords and names are read in any case and text comparisons ignore case.
 * Relationship fields (`ChannelPartner.Name`), functions and date literals such as TODAY are not supported.
 */

/** A query Salesforce would refuse, with the error code it would give. */
export class SoqlError extends Error {
  override name = 'SoqlError';
  constructor(
    readonly errorCode: 'MALFORMED_QUERY' | 'INVALID_TYPE' | 'INVALID_FIELD' | 'NUMBER_OUTSIDE_VALID_RANGE',
    message: string,
  ) {
    super(message);
  }
}

/** A literal in a WHERE clause; dates and dateTimes keep their kind. */
export type SoqlValue = string | number | boolean | null | { date: string } | { datetime: number };
type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'like' | 'in' | 'not in';

/** A parsed WHERE clause. */
export type SoqlCondition =
  | { kind: 'and' | 'or'; left: SoqlCondition; right: SoqlCondition }
  | { kind: 'not'; inner: SoqlCondition }
  | { kind: 'compare'; field: string; op: CompareOp; value: SoqlValue | SoqlValue[] };

/** A parsed SELECT statement. */
export interface SoqlQuery {
  /** Field names as written, or 'count' for `SELECT COUNT()`. */
  select: string[] | 'count';
  from: string;
  where?: SoqlCondition;
  orderBy: Array<{ field: string; desc: boolean; nullsLast: boolean }>;
  limit?: number;
  offset?: number;
}

type Token =
  | { type: 'word'; text: string }
  | { type: 'string'; value: string }
  | { type: 'number'; value: number; text: string }
  | { type: 'date'; value: { date: string } | { datetime: number }; text: string }
  | { type: 'symbol'; text: string };

/** Reads a SOQL statement; throws SoqlError (MALFORMED_QUERY) naming what it did not expect. */
export function parseSoql(source: string): SoqlQuery {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = (offset = 0) => tokens[pos + offset];
  const isWord = (t: Token | undefined, ...words: string[]) => t?.type === 'word' && words.includes(t.text.toUpperCase());
  const isSymbol = (t: Token | undefined, text: string) => t?.type === 'symbol' && t.text === text;
  const unexpected = (): never => {
    const t = peek();
    throw new SoqlError('MALFORMED_QUERY', t ? `unexpected token: '${'text' in t ? t.text : t.value}'` : 'unexpected end of query');
  };
  const expectWord = (word: string) => {
    if (!isWord(peek(), word)) unexpected();
    pos += 1;
  };
  const expectSymbol = (text: string) => {
    if (!isSymbol(peek(), text)) unexpected();
    pos += 1;
  };
  const fieldName = (): string => {
    const t = peek();
    if (t?.type !== 'word') return unexpected();
    pos += 1;
    return t.text;
  };
  const wholeNumber = (): number => {
    const t = peek();
    if (t?.type !== 'number' || !Number.isInteger(t.value) || t.value < 0) return unexpected();
    pos += 1;
    return t.value;
  };

  expectWord('SELECT');
  let select: string[] | 'count';
  if (isWord(peek(), 'COUNT') && isSymbol(peek(1), '(')) {
    pos += 2;
    expectSymbol(')');
    select = 'count';
  } else {
    select = [fieldName()];
    while (isSymbol(peek(), ',')) {
      pos += 1;
      select.push(fieldName());
    }
  }
  expectWord('FROM');
  const from = fieldName();

  const literal = (): SoqlValue => {
    const t = peek();
    if (!t) return unexpected();
    if (t.type === 'string' || t.type === 'number' || t.type === 'date') {
      pos += 1;
      return t.value;
    }
    if (isWord(t, 'TRUE', 'FALSE', 'NULL')) {
      pos += 1;
      const word = (t as { text: string }).text.toUpperCase();
      return word === 'NULL' ? null : word === 'TRUE';
    }
    return unexpected();
  };
  const list = (): SoqlValue[] => {
    expectSymbol('(');
    const values = [literal()];
    while (isSymbol(peek(), ',')) {
      pos += 1;
      values.push(literal());
    }
    expectSymbol(')');
    return values;
  };
  const comparison = (): SoqlCondition => {
    const field = fieldName();
    const t = peek();
    if (isWord(t, 'IN')) {
      pos += 1;
      return { kind: 'compare', field, op: 'in', value: list() };
    }
    if (isWord(t, 'NOT') && isWord(peek(1), 'IN')) {
      pos += 2;
      return { kind: 'compare', field, op: 'not in', value: list() };
    }
    if (isWord(t, 'LIKE')) {
      pos += 1;
      return { kind: 'compare', field, op: 'like', value: literal() };
    }
    if (t?.type === 'symbol' && ['=', '!=', '<>', '<', '<=', '>', '>='].includes(t.text)) {
      pos += 1;
      return { kind: 'compare', field, op: t.text === '<>' ? '!=' : (t.text as CompareOp), value: literal() };
    }
    return unexpected();
  };
  const primary = (): SoqlCondition => {
    if (isWord(peek(), 'NOT')) {
      pos += 1;
      return { kind: 'not', inner: primary() };
    }
    if (isSymbol(peek(), '(')) {
      pos += 1;
      const inner = orExpr();
      expectSymbol(')');
      return inner;
    }
    return comparison();
  };
  const andExpr = (): SoqlCondition => {
    let left = primary();
    while (isWord(peek(), 'AND')) {
      pos += 1;
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  };
  const orExpr = (): SoqlCondition => {
    let left = andExpr();
    while (isWord(peek(), 'OR')) {
      pos += 1;
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };

  const query: SoqlQuery = { select, from, orderBy: [] };
  if (isWord(peek(), 'WHERE')) {
    pos += 1;
    query.where = orExpr();
  }
  if (isWord(peek(), 'ORDER')) {
    pos += 1;
    expectWord('BY');
    do {
      if (query.orderBy.length > 0) pos += 1;
      const field = fieldName();
      let desc = false;
      if (isWord(peek(), 'ASC', 'DESC')) {
        desc = (peek() as { text: string }).text.toUpperCase() === 'DESC';
        pos += 1;
      }
      let nullsLast = desc;
      if (isWord(peek(), 'NULLS')) {
        pos += 1;
        if (!isWord(peek(), 'FIRST', 'LAST')) unexpected();
        nullsLast = (peek() as { text: string }).text.toUpperCase() === 'LAST';
        pos += 1;
      }
      query.orderBy.push({ field, desc, nullsLast });
    } while (isSymbol(peek(), ','));
  }
  if (isWord(peek(), 'LIMIT')) {
    pos += 1;
    query.limit = wholeNumber();
  }
  if (isWord(peek(), 'OFFSET')) {
    pos += 1;
    query.offset = wholeNumber();
    if (query.offset > 2000) throw new SoqlError('NUMBER_OUTSIDE_VALID_RANGE', 'Maximum SOQL offset allowed is 2000');
  }
  if (pos < tokens.length) unexpected();
  return query;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '"': '"', "'": "'", '\\': '\\' };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const rest = source.slice(i);
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw new SoqlError('MALFORMED_QUERY', 'unterminated string literal');
        const ch = source[j]!;
        if (ch === '\\') {
          const next = source[j + 1] ?? '';
          // \% and \_ keep their backslash: they are LIKE escapes, read by the pattern.
          value += ESCAPES[next] ?? `\\${next}`;
          j += 2;
          continue;
        }
        if (ch === "'") break;
        value += ch;
        j += 1;
      }
      tokens.push({ type: 'string', value });
      i = j + 1;
      continue;
    }
    const dateTime = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})/.exec(rest);
    if (dateTime) {
      const zone = dateTime[3] === 'Z' ? 'Z' : dateTime[3]!.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
      tokens.push({ type: 'date', value: { datetime: Date.parse(`${dateTime[1]}T${dateTime[2]}${zone}`) }, text: dateTime[0] });
      i += dateTime[0].length;
      continue;
    }
    const date = /^\d{4}-\d{2}-\d{2}(?![\w:])/.exec(rest);
    if (date) {
      tokens.push({ type: 'date', value: { date: date[0] }, text: date[0] });
      i += date[0].length;
      continue;
    }
    const number = /^-?\d+(\.\d+)?/.exec(rest);
    if (number) {
      tokens.push({ type: 'number', value: Number(number[0]), text: number[0] });
      i += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(rest);
    if (word) {
      tokens.push({ type: 'word', text: word[0] });
      i += word[0].length;
      continue;
    }
    const symbol = ['<=', '>=', '!=', '<>', '=', '<', '>', '(', ')', ','].find((s) => rest.startsWith(s));
    if (!symbol) throw new SoqlError('MALFORMED_QUERY', `unexpected character: '${c}'`);
    tokens.push({ type: 'symbol', text: symbol });
    i += symbol.length;
  }
  return tokens;
}
