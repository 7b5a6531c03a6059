import { compileExpression } from './expression.ts';
import type { JsonataNode } from './jsonata-node.ts';

/** One step of where a value comes from: a `set` step that keeps it in `$vars`, or a table row a `lookup` reads. */
export interface ValueSource {
  kind: 'set' | 'table';
  /** As messages say it: `set as $vars.template by step "pick"`, `from column template of recipes/tables/notices.json rows[1] (status "Denied"), read by lookup step "notice"`. */
  text: string;
}

/** A string an expression can give, and where it comes from (outermost first; none when it is written in the expression). */
export interface Choice {
  value: string;
  from: readonly ValueSource[];
}

/** The strings found, and whether they are all the strings the node can give (for `&`). */
export interface Choices {
  values: Choice[];
  complete: boolean;
}

/**
 * What the recipe and its tables say a value of the run's scope can be (`['vars', 'template']`,
 * `['steps', 'notice', 'template']`, a foreach item's `['notice', 'template']`), or undefined where
 * they do not say (the event's data, an action's output).
 */
export type ResolveScopePath = (path: readonly string[]) => Choices | undefined;

const UNKNOWN: Choices = { values: [], complete: false };

/** Beyond this many combinations of a concatenation, nothing is claimed. */
const MAX_VALUES = 100;

/**
 * The strings an expression can give that are written in it or that `resolve` knows: string
 * literals where the expression's value comes from, through conditions (`c ? 'a' : 'b'`, `x ?: 'a'`,
 * `x ?? 'a'`, nested), the last expression of a block, `&` of parts that are all known
 * (`'mdf-claim-' & (ok ? 'approved' : 'denied')`), `$lookup` of an object written in the
 * expression, and a plain path of the run's scope (`$vars.template`, `$steps.notice.template`, also
 * read as `$lookup($steps.notice, 'template')`) that `resolve` follows to the recipe's `set` steps and
 * tables. Any other value read at run time (the trigger's payload, an action's output) is no known
 * string, and text joined with one is not either: never guessed at. Each value listed is one the
 * expression gives on some path, so `validate` can refuse a misspelt one without a false alarm. An
 * expression that does not compile gives none (the expression check names it).
 */
export function expressionChoices(source: string, resolve?: ResolveScopePath): Choices {
  let ast: unknown;
  try {
    ast = compileExpression(source).ast();
  } catch {
    return UNKNOWN;
  }
  // A name the expression binds itself (`$vars := …`) is not the run's any more.
  const rebound = new Set<string>();
  collectBound(ast, rebound);
  const found = choicesOf(ast as JsonataNode, { resolve, rebound });
  const seen = new Set<string>();
  const values = found.values.filter((choice) => {
    const key = JSON.stringify([choice.value, choice.from.map((f) => f.text)]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { values, complete: found.complete };
}

/**
 * The names of a plain path of the run's scope (`$vars.template` → vars, template; `steps.notice.x`
 * → steps, notice, x), or undefined for any other expression. Only plain names: a filter, index or
 * anything else on the way reads something else than every value the path can reach.
 */
export function scopePath(source: string): string[] | undefined {
  let ast: unknown;
  try {
    ast = compileExpression(source).ast();
  } catch {
    return undefined;
  }
  const rebound = new Set<string>();
  collectBound(ast, rebound);
  return pathOf(ast as JsonataNode, rebound);
}

interface Context {
  resolve: ResolveScopePath | undefined;
  rebound: ReadonlySet<string>;
}

function choicesOf(node: JsonataNode | undefined, context: Context): Choices {
  if (!node || typeof node !== 'object' || hasModifiers(node)) return UNKNOWN;
  if (node.type === 'string' && typeof node.value === 'string') return { values: [{ value: node.value, from: [] }], complete: true };
  if (node.type === 'condition') {
    const then = choicesOf(node.then, context);
    // No else: the value is nothing then, which is no template name (but joined with `&` it is '').
    const otherwise = node.else ? choicesOf(node.else, context) : UNKNOWN;
    return { values: [...then.values, ...otherwise.values], complete: then.complete && otherwise.complete };
  }
  if (node.type === 'block' && Array.isArray(node.expressions) && node.expressions.length > 0) return choicesOf(node.expressions[node.expressions.length - 1], context);
  if (node.type === 'binary' && node.value === '&' && !Array.isArray(node.lhs)) {
    const left = choicesOf(node.lhs, context);
    const right = choicesOf(node.rhs, context);
    if (!left.complete || !right.complete || left.values.length * right.values.length > MAX_VALUES) return UNKNOWN;
    return { values: left.values.flatMap((l) => right.values.map((r) => ({ value: l.value + r.value, from: [...l.from, ...r.from] }))), complete: true };
  }
  if (node.type === 'function' && node.procedure?.type === 'variable' && node.procedure.value === 'lookup' && !context.rebound.has('lookup') && node.arguments?.length === 2) {
    const [object, key] = node.arguments as [JsonataNode, JsonataNode];
    // `$lookup({ 'Approved': 'a', 'Denied': 'b' }, status)`: one of the object's values, or nothing.
    if (object.type === 'unary' && object.value === '{' && Array.isArray(object.lhs) && !hasModifiers(object)) {
      const values = object.lhs.map((pair) => choicesOf(pair[1], context));
      return { values: values.flatMap((v) => v.values), complete: values.every((v) => v.complete) };
    }
    // `$lookup($steps.notice, 'template')`: the path's field, as `$steps.notice.template` reads it.
    const path = pathOf(object, context.rebound);
    if (path && key.type === 'string' && typeof key.value === 'string' && !hasModifiers(key)) return resolved([...path, key.value], context);
    return UNKNOWN;
  }
  const path = pathOf(node, context.rebound);
  return path ? resolved(path, context) : UNKNOWN;
}

function resolved(path: readonly string[], context: Context): Choices {
  return context.resolve?.(path) ?? UNKNOWN;
}

/**
 * `$vars.template`, `vars.template` (the input is the run scope where these expressions are
 * evaluated) and `$notice.template` (a foreach item) as their names; undefined for anything else.
 */
function pathOf(node: JsonataNode, rebound: ReadonlySet<string>): string[] | undefined {
  const steps = node.type === 'path' && Array.isArray(node.steps) ? node.steps : [node];
  if (node.type === 'path' && hasModifiers(node)) return undefined;
  const names: string[] = [];
  for (const [i, step] of steps.entries()) {
    if (!step || typeof step !== 'object' || hasModifiers(step) || typeof step.value !== 'string') return undefined;
    const first = i === 0;
    // `$` and `$$` are the input itself; a variable the expression binds is its own.
    if (first && step.type === 'variable' && step.value !== '' && step.value !== '$' && !rebound.has(step.value)) names.push(step.value);
    else if (step.type === 'name') names.push(step.value);
    else return undefined;
  }
  return names.length > 0 ? names : undefined;
}

/** A node with a filter, sort, grouping or binding attached evaluates to something else than as written. */
function hasModifiers(node: JsonataNode): boolean {
  return ['stages', 'predicate', 'group', 'focus', 'index', 'tuple', 'keepArray'].some((field) => (node as Record<string, unknown>)[field] !== undefined);
}

/** The variables an expression binds itself (`$x := …`, a lambda's parameters). */
function collectBound(node: unknown, into: Set<string>): void {
  if (node === null || typeof node !== 'object') return;
  const n = node as JsonataNode & { arguments?: JsonataNode[] };
  if (n.type === 'bind' && !Array.isArray(n.lhs) && n.lhs?.type === 'variable' && typeof n.lhs.value === 'string') into.add(n.lhs.value);
  if (n.type === 'lambda') for (const parameter of n.arguments ?? []) if (typeof parameter.value === 'string') into.add(parameter.value);
  for (const child of Object.values(node)) {
    if (Array.isArray(child)) child.forEach((c) => collectBound(c, into));
    else collectBound(child, into);
  }
}
