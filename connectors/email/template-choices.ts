import { compileExpression } from '../../server/engine/expression.ts';

/**
 * The template names a `template` written as an expression can give that are written in it: string
 * literals where the expression's value comes from, through conditions (`c ? 'a' : 'b'`, `x ?: 'a'`,
 * `x ?? 'a'`, nested), the last expression of a block, `&` of parts that are all known
 * (`'mdf-claim-' & (ok ? 'approved' : 'denied')`), and `$lookup` of an object written in the
 * expression. A value read at run time (the trigger's payload, a step's output) is no known name, and
 * text joined with one is not either: those are left to the send, never guessed at. Each name listed
 * is one the expression gives on some path, so `validate` can refuse a misspelt one without a false alarm.
 * An expression that does not compile gives none (the expression check names it).
 */
export function templateChoices(source: string): string[] {
  let ast: unknown;
  try {
    ast = compileExpression(source).ast();
  } catch {
    return [];
  }
  return [...new Set(choicesOf(ast as Node).names)];
}

interface Node {
  type?: string;
  value?: unknown;
  condition?: Node;
  then?: Node;
  else?: Node;
  expressions?: Node[];
  lhs?: Node | Node[][];
  rhs?: Node;
  procedure?: Node;
  arguments?: Node[];
  /** Filters, sorts, bindings on a value: it is no longer the literal as written. */
  stages?: unknown[];
  predicate?: unknown[];
  group?: unknown;
  focus?: unknown;
  index?: unknown;
  tuple?: unknown;
}

/** The names found, and whether they are all the strings the node can give (for `&`). */
interface Choices {
  names: string[];
  complete: boolean;
}

const UNKNOWN: Choices = { names: [], complete: false };

/** Beyond this many combinations of a concatenation, nothing is claimed. */
const MAX_NAMES = 100;

function choicesOf(node: Node | undefined): Choices {
  if (!node || typeof node !== 'object' || hasModifiers(node)) return UNKNOWN;
  if (node.type === 'string' && typeof node.value === 'string') return { names: [node.value], complete: true };
  if (node.type === 'condition') {
    const then = choicesOf(node.then);
    // No else: the value is nothing then, which is no template name (but joined with `&` it is '').
    const otherwise = node.else ? choicesOf(node.else) : UNKNOWN;
    return { names: [...then.names, ...otherwise.names], complete: then.complete && otherwise.complete };
  }
  if (node.type === 'block' && Array.isArray(node.expressions) && node.expressions.length > 0) return choicesOf(node.expressions[node.expressions.length - 1]);
  if (node.type === 'binary' && node.value === '&' && !Array.isArray(node.lhs)) {
    const left = choicesOf(node.lhs);
    const right = choicesOf(node.rhs);
    if (!left.complete || !right.complete || left.names.length * right.names.length > MAX_NAMES) return UNKNOWN;
    return { names: left.names.flatMap((l) => right.names.map((r) => l + r)), complete: true };
  }
  // `$lookup({ 'Approved': 'a', 'Denied': 'b' }, status)`: one of the object's values, or nothing.
  if (node.type === 'function' && node.procedure?.type === 'variable' && node.procedure.value === 'lookup' && node.arguments?.length === 2) {
    const object = node.arguments[0]!;
    if (object.type !== 'unary' || object.value !== '{' || !Array.isArray(object.lhs) || hasModifiers(object)) return UNKNOWN;
    const values = object.lhs.map((pair) => choicesOf(pair[1]));
    return { names: values.flatMap((v) => v.names), complete: values.every((v) => v.complete) };
  }
  return UNKNOWN;
}

/** A node with a filter, sort, grouping or binding attached evaluates to something else than as written. */
function hasModifiers(node: Node): boolean {
  return ['stages', 'predicate', 'group', 'focus', 'index', 'tuple'].some((field) => (node as Record<string, unknown>)[field] !== undefined);
}
