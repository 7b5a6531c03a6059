import { compileExpression, referencedSteps } from '../engine/expression.ts';
import type { JsonataNode } from '../engine/jsonata-node.ts';
import { truthy as takesThen } from '../engine/interpreter.ts';

/** An `if` a step sits in: its condition, and whether the step is in `then` (the condition was true) or `else`. */
export interface Guard {
  condition: string;
  then: boolean;
}

/** What a condition is for a row: true, false, or undefined when it cannot be decided here. */
type Decided = { value: unknown } | undefined;

/**
 * Whether a row a lookup step can read may be the one a step inside these `if`s reads: each guard
 * whose condition reads `$steps.<lookup>` is evaluated with that step bound to the row (`[row]` for
 * `mode: all`) and must be true for `then`, false for `else`. A condition that cannot be decided
 * (it also reads the event, an action's output, a variable, or uses what this small evaluator does
 * not know) rules the row out: a template name is only claimed where no `if` on the same lookup
 * can have kept the run from the send. A condition that does not read the lookup leaves the row in.
 */
export function rowPassesGuards(guards: readonly Guard[], lookupId: string, row: unknown): boolean {
  for (const guard of guards) {
    let reads: boolean;
    try {
      reads = referencedSteps(guard.condition).some((r) => r.id === lookupId || r.bracketed) || readsCopies(compileExpression(guard.condition).ast() as JsonataNode);
    } catch {
      continue; // A condition that does not compile: the expression check names it.
    }
    if (!reads) continue;
    let decided: Decided;
    try {
      decided = evaluate(compileExpression(guard.condition).ast() as JsonataNode, lookupId, row);
    } catch {
      decided = undefined;
    }
    if (!decided) return false;
    // The branch the engine takes (interpreter.ts), not JSONata's $boolean: `{}` and `[false]` take `then`.
    if (takesThen(decided.value) !== guard.then) return false;
  }
  return true;
}

/**
 * Whether a condition reads what may be a copy of a row: `$vars` (a `set` step may have kept a cell
 * there) or a field of the scope (a foreach item over the lookup's rows). Such a condition cannot be
 * decided for the row, so the row is not claimed: a false report would refuse a recipe that runs well.
 */
function readsCopies(node: JsonataNode | undefined, atStart = true): boolean {
  if (!node || typeof node !== 'object') return false;
  if (node.type === 'variable' && node.value === 'vars') return true;
  if (atStart && node.type === 'name') return true;
  if (node.type === 'path' && Array.isArray(node.steps)) return node.steps.some((step, i) => readsCopies(step, atStart && i === 0));
  return Object.entries(node).some(([field, child]) =>
    field !== 'steps' && (Array.isArray(child) ? child.some((c) => readsCopies(c as JsonataNode, atStart)) : child && typeof child === 'object' ? readsCopies(child as JsonataNode, atStart) : false),
  );
}

/** JSONata's boolean of a value (`$boolean`): what `and`, `or` and `$not` make of their operands. */
function truthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.some(truthy);
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'function') return false;
  return Object.keys(value as object).length > 0;
}

const DECORATED = ['stages', 'predicate', 'group', 'focus', 'index', 'tuple', 'keepArray'] as const;

/** A condition's value for the row, for the plain forms conditions are written in; undefined otherwise. */
function evaluate(node: JsonataNode, lookupId: string, row: unknown): Decided {
  if (DECORATED.some((field) => node[field] !== undefined && !(Array.isArray(node[field]) && (node[field] as unknown[]).length === 0))) return undefined;
  switch (node.type) {
    case 'string':
    case 'number':
      return { value: node.value };
    case 'value':
      return { value: node.value };
    case 'path': {
      const steps = node.steps ?? [];
      const [first, second, ...rest] = steps;
      if (first?.type !== 'variable' || first.value !== 'steps' || second?.type !== 'name' || second.value !== lookupId) return undefined;
      if (steps.some((step) => DECORATED.some((name) => step[name] !== undefined))) return undefined;
      let value: unknown = row;
      for (const step of rest) {
        if (step.type !== 'name') return undefined;
        value = field(value, String(step.value));
      }
      return { value };
    }
    case 'block':
      if (node.expressions?.length !== 1) return undefined;
      return evaluate(node.expressions[0]!, lookupId, row);
    case 'condition': {
      const test = node.condition && evaluate(node.condition, lookupId, row);
      if (!test) return undefined;
      const branch = truthy(test.value) ? node.then : node.else;
      return branch ? evaluate(branch, lookupId, row) : { value: undefined };
    }
    case 'function': {
      if (node.procedure?.type !== 'variable' || node.arguments?.length !== 1) return undefined;
      const arg = evaluate(node.arguments[0]!, lookupId, row);
      if (!arg) return undefined;
      if (node.procedure.value === 'not') return arg.value === undefined ? { value: undefined } : { value: !truthy(arg.value) };
      if (node.procedure.value === 'boolean') return arg.value === undefined ? { value: undefined } : { value: truthy(arg.value) };
      if (node.procedure.value === 'exists') return { value: arg.value !== undefined };
      return undefined;
    }
    case 'binary': {
      const op = String(node.value);
      const lhs = node.lhs && !Array.isArray(node.lhs) ? evaluate(node.lhs, lookupId, row) : undefined;
      if (!lhs) return undefined;
      if (op === 'and' && !truthy(lhs.value)) return { value: false };
      if (op === 'or' && truthy(lhs.value)) return { value: true };
      const rhs = node.rhs && evaluate(node.rhs, lookupId, row);
      if (!rhs) return undefined;
      const [a, b] = [lhs.value, rhs.value];
      switch (op) {
        case 'and':
        case 'or':
          return { value: truthy(b) };
        case '=':
        case '!=':
          if (a === undefined || b === undefined) return { value: false };
          if (!isScalar(a) || !isScalar(b)) return undefined;
          return { value: op === '=' ? a === b : a !== b };
        case '<':
        case '<=':
        case '>':
        case '>=':
          if (a === undefined || b === undefined) return { value: undefined };
          if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) return undefined;
          return { value: op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b };
        case 'in': {
          if (a === undefined || b === undefined) return { value: false };
          const list = Array.isArray(b) ? b : [b];
          if (!isScalar(a) || !list.every(isScalar)) return undefined;
          return { value: list.includes(a) };
        }
      }
      return undefined;
    }
    case 'unary':
      if (node.value === '[' && Array.isArray(node.expressions)) {
        const items = node.expressions.map((e) => evaluate(e, lookupId, row));
        if (items.some((i) => !i)) return undefined;
        return { value: items.map((i) => i!.value).filter((v) => v !== undefined) };
      }
      return undefined;
  }
  return undefined;
}

function field(value: unknown, name: string): unknown {
  if (Array.isArray(value)) {
    const found = value.map((item) => field(item, name)).filter((v) => v !== undefined).flat();
    return found.length === 0 ? undefined : found.length === 1 ? found[0] : found;
  }
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, name)) return (value as Record<string, unknown>)[name];
  return undefined;
}

function isScalar(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}
