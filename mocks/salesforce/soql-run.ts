import { describedField, isCustomField, type SfField, type SfObject } from './salesforce-objects.ts';
import { SoqlError, type SoqlCondition, type SoqlQuery, type SoqlValue } from './soql.ts';
import { keyOf } from './record-key.ts';

/**
 * Runs a parsed query over an object's records: checks its field names against the object, filters,
 * orders, applies OFFSET and LIMIT, and projects each record on the selected fields with Salesforce's
 * `attributes`. For `COUNT()` the rows are empty and the total is the count. The records are only read
 * (the rows are new objects), so the org's stored records can be passed as they are.
 */
export function runSoql(query: SoqlQuery, object: SfObject, records: Iterable<Readonly<Record<string, unknown>>>, apiVersion: string): { totalSize: number; rows: Array<Record<string, unknown>> } {
  const fieldOf = (name: string) => checkField(object, name);
  const selected = query.select === 'count' ? [] : query.select.map(fieldOf);
  if (query.where) checkCondition(query.where, object);
  const order = query.orderBy.map((o) => ({ ...o, field: fieldOf(o.field) }));

  const where = query.where;
  let matching: Array<Readonly<Record<string, unknown>>> = [];
  for (const record of records) if (!where || matches(record, where)) matching.push(record);
  if (order.length > 0) {
    matching.sort((a, b) => {
      for (const o of order) {
        const result = compareForSort(valueOf(a, o.field.name), valueOf(b, o.field.name), o.desc, o.nullsLast);
        if (result !== 0) return result;
      }
      return 0;
    });
  }
  matching = matching.slice(query.offset ?? 0, query.limit === undefined ? undefined : (query.offset ?? 0) + query.limit);
  if (query.select === 'count') return { totalSize: matching.length, rows: [] };

  const rows = matching.map((record) => {
    const row: Record<string, unknown> = {
      attributes: { type: object.name, url: `/services/data/v${apiVersion}/sobjects/${object.name}/${String(record.Id)}` },
    };
    for (const field of selected) {
      const key = keyOf(record, field.name);
      row[field.described ? field.name : (key ?? field.name)] = key === undefined ? null : record[key];
    }
    return row;
  });
  return { totalSize: rows.length, rows };
}

interface ResolvedField {
  name: string;
  described?: SfField;
}

function checkField(object: SfObject, name: string): ResolvedField {
  if (name.includes('.')) throw new SoqlError('INVALID_FIELD', `relationship fields such as ${name} are not supported by the simulated org`);
  const described = describedField(object, name);
  if (described) return { name: described.name, described };
  if (object.fields && !isCustomField(name)) {
    throw new SoqlError('INVALID_FIELD', `No such column '${name}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`);
  }
  return { name };
}

/** Refuses a literal of the wrong type for a described field, as Salesforce does before running anything. */
function checkCondition(condition: SoqlCondition, object: SfObject): void {
  if (condition.kind === 'not') {
    checkCondition(condition.inner, object);
    return;
  }
  if (condition.kind !== 'compare') {
    checkCondition(condition.left, object);
    checkCondition(condition.right, object);
    return;
  }
  const field = checkField(object, condition.field);
  condition.field = field.name;
  const type = field.described?.type;
  if (!type) return;
  for (const value of Array.isArray(condition.value) ? condition.value : [condition.value]) {
    if (value === null) continue;
    const textual = ['id', 'string', 'textarea', 'url', 'picklist', 'reference'].includes(type);
    const numeric = ['currency', 'double', 'int'].includes(type);
    if (textual && typeof value !== 'string') {
      throw new SoqlError('INVALID_FIELD', `value of filter criterion for field '${field.name}' must be of type string and should be enclosed in quotes`);
    }
    if (numeric && typeof value !== 'number') {
      throw new SoqlError('INVALID_FIELD', `value of filter criterion for field '${field.name}' must be of type ${type === 'int' ? 'int' : 'double'} and should not be enclosed in quotes`);
    }
    if (type === 'boolean' && typeof value !== 'boolean') throw new SoqlError('INVALID_FIELD', `value of filter criterion for field '${field.name}' must be of type boolean`);
    if (type === 'date' && !(typeof value === 'object' && 'date' in value)) throw new SoqlError('INVALID_FIELD', `value of filter criterion for field '${field.name}' must be of type date and should not be enclosed in quotes`);
    if (type === 'datetime' && !(typeof value === 'object' && 'datetime' in value)) throw new SoqlError('INVALID_FIELD', `value of filter criterion for field '${field.name}' must be of type dateTime and should not be enclosed in quotes`);
  }
}

function matches(record: Record<string, unknown>, condition: SoqlCondition): boolean {
  switch (condition.kind) {
    case 'and':
      return matches(record, condition.left) && matches(record, condition.right);
    case 'or':
      return matches(record, condition.left) || matches(record, condition.right);
    case 'not':
      return !matches(record, condition.inner);
    case 'compare': {
      const actual = valueOf(record, condition.field);
      const values = Array.isArray(condition.value) ? condition.value : [condition.value];
      switch (condition.op) {
        case 'in':
          return values.some((v) => compare(actual, v) === 0);
        case 'not in':
          return values.every((v) => compare(actual, v) !== 0);
        case 'like':
          return typeof actual === 'string' && typeof values[0] === 'string' && likePattern(values[0]).test(actual);
        case '=':
          return compare(actual, values[0]!) === 0;
        case '!=':
          return compare(actual, values[0]!) !== 0;
        default: {
          const order = compare(actual, values[0]!);
          if (order === undefined || order === null) return false;
          return condition.op === '<' ? order < 0 : condition.op === '<=' ? order <= 0 : condition.op === '>' ? order > 0 : order >= 0;
        }
      }
    }
  }
}

/** -1/0/1, null when either side is null and they differ, undefined when they cannot be compared. */
function compare(actual: unknown, value: SoqlValue): number | null | undefined {
  const a = actual === undefined ? null : actual;
  if (value === null || a === null) return a === value ? 0 : null;
  if (typeof value === 'object' && 'datetime' in value) {
    const t = typeof a === 'string' ? Date.parse(a) : Number.NaN;
    return Number.isNaN(t) ? undefined : Math.sign(t - value.datetime);
  }
  if (typeof value === 'object' && 'date' in value) {
    if (typeof a !== 'string') return undefined;
    const day = a.slice(0, 10);
    return day === value.date ? 0 : day < value.date ? -1 : 1;
  }
  if (typeof value === 'number') return typeof a === 'number' ? Math.sign(a - value) : undefined;
  if (typeof value === 'boolean') return typeof a === 'boolean' ? (a === value ? 0 : a ? 1 : -1) : undefined;
  // Text: SOQL compares without regard to case.
  const left = String(a).toLowerCase();
  const right = value.toLowerCase();
  return left === right ? 0 : left < right ? -1 : 1;
}

/** One ORDER BY key: nulls go where NULLS FIRST/LAST says whatever the direction; text ignores case. */
function compareForSort(a: unknown, b: unknown, desc: boolean, nullsLast: boolean): number {
  const aNull = a === null || a === undefined;
  const bNull = b === null || b === undefined;
  if (aNull || bNull) return aNull && bNull ? 0 : aNull === nullsLast ? 1 : -1;
  let order: number;
  if (typeof a === 'number' && typeof b === 'number') order = Math.sign(a - b);
  else {
    const left = String(a).toLowerCase();
    const right = String(b).toLowerCase();
    order = left === right ? 0 : left < right ? -1 : 1;
  }
  return desc ? -order : order;
}

function valueOf(record: Record<string, unknown>, name: string): unknown {
  const key = keyOf(record, name);
  return key === undefined ? null : record[key];
}

/** `%` any run, `_` one character, `\%` and `\_` themselves; case-insensitive like the rest of SOQL. */
function likePattern(pattern: string): RegExp {
  const literal = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let body = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && (pattern[i + 1] === '%' || pattern[i + 1] === '_')) {
      body += literal(pattern[i + 1]!);
      i += 1;
    } else body += c === '%' ? '.*' : c === '_' ? '.' : literal(c);
  }
  return new RegExp(`^${body}$`, 'is');
}
