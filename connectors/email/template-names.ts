import type { ParsedTemplate } from './email-templates.ts';

/** The top-level data names a template reads, for `validate` to compare with the data a step passes. */
export interface TemplateNames {
  /**
   * The names the template reads from the data without a fallback for their absence, in the order it
   * first reads them (subject, then body): absent, each shows as a blank.
   */
  required: string[];
  /**
   * The names the template reads only where it tests them: inside a conditional whose condition asks
   * whether they are there (`note ? 'Note: ' & note : ''`, `x ?: 2`, `x ?? 2`, `$exists(x) ? …`). The
   * template expects them to be absent at times.
   */
  optional: string[];
}

/**
 * The names a template's placeholders read from the step's `data`: the first name of each path
 * evaluated against the data (`request` of `request.amount`), and any name after `$$`. Names read
 * from something else are not the data's: a path's later steps, and filters, sorts and groupings, read
 * the values reached before them (the items of `leads.(firstName)`, `leads[status = 'new']`), and a
 * variable's fields (`$lead.email`) are its value's. A lambda's body keeps the context it is written
 * in, as JSONata evaluates it. Where the analysis cannot tell (the parent operator `%`), it claims
 * nothing: a name missed is a check not made, never a false alarm.
 */
export function templateNames(template: ParsedTemplate): TemplateNames {
  const found: Found = { read: new Set(), required: new Set() };
  for (const part of [...template.subject, ...template.body]) {
    if (typeof part !== 'string') visit(part.compiled.ast() as Node, true, new Set(), found);
  }
  const required = [...found.read].filter((name) => found.required.has(name));
  return { required, optional: [...found.read].filter((name) => !found.required.has(name)) };
}

interface Node {
  type?: string;
  value?: unknown;
  steps?: Node[];
  /** `@$x` on a path step: the next step reads the same context as this one. */
  focus?: string;
  condition?: Node;
  arguments?: Node[];
  procedure?: Node;
  lhs?: Node;
  rhs?: Node;
}

interface Found {
  /** Every name read from the data, in the order first read. */
  read: Set<string>;
  /** The names read at least once where the template does not test them. */
  required: Set<string>;
}

/** Fields whose expressions are evaluated against the values reached before them, not the node's context. */
const ANOTHER_CONTEXT = new Set(['stages', 'predicate', 'group', 'terms', 'pattern', 'update', 'delete']);

/**
 * @param atData whether `node` is evaluated with the data as its context
 * @param guarded the names a conditional around `node` tests
 */
function visit(node: unknown, atData: boolean, guarded: ReadonlySet<string>, found: Found): void {
  if (Array.isArray(node)) {
    for (const child of node) visit(child, atData, guarded, found);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const n = node as Node;
  if (n.type === 'name' && atData && typeof n.value === 'string') {
    found.read.add(n.value);
    if (!guarded.has(n.value)) found.required.add(n.value);
  }
  let inside = guarded;
  // The whole conditional is written for the tested names' absence: its condition, then and else.
  if (n.type === 'condition' && n.condition) inside = new Set([...guarded, ...testedNames(n.condition, atData)]);
  // `$exists(x)` answers false for an absent x: it is the question, not a read.
  if (n.type === 'function' && isCallOf(n, 'exists')) inside = new Set([...guarded, ...testedNames(n, atData)]);
  for (const [field, child] of Object.entries(n)) {
    if (n.type === 'path' && field === 'steps' && Array.isArray(child)) visitPathSteps(child as Node[], atData, inside, found);
    else if (child && typeof child === 'object') visit(child, atData && !ANOTHER_CONTEXT.has(field), inside, found);
  }
}

/**
 * A path's first step reads the path's context; each later step reads what the step before it reached,
 * except after `$` (the context itself), `$$` (the data, anywhere) and a focus binding `@$x`.
 */
function visitPathSteps(steps: readonly Node[], atData: boolean, guarded: ReadonlySet<string>, found: Found): void {
  let context = atData;
  for (const step of steps) {
    visit(step, context, guarded, found);
    if (step.type === 'variable' && step.value === '$') context = true;
    else if (step.type === 'variable' && step.value === '') continue;
    else if (!step.focus) context = false;
  }
}

/** Functions that ask whether a value is there (truthy) rather than show it. */
const ASKS_PRESENCE = new Set(['exists', 'boolean', 'not']);

/**
 * The data names a condition asks about: `x` and `x.y` (truthy), `$exists(x)`, `$boolean(x)`, `$not(x)`,
 * and those joined by `and`/`or`. Not a comparison (`x = 'Approved'`, `x = null`, `$count(x) > 0`): an
 * absent `x` silently takes the other branch there, as if it were a value (`$count` of a misspelt list
 * is 0, and its section vanishes from the email), so the name is needed.
 */
function testedNames(node: Node, atData: boolean): string[] {
  if (node.type === 'binary' && (node.value === 'and' || node.value === 'or')) {
    return [...(node.lhs ? testedNames(node.lhs, atData) : []), ...(node.rhs ? testedNames(node.rhs, atData) : [])];
  }
  if (node.type === 'function' && node.arguments?.length === 1 && [...ASKS_PRESENCE].some((name) => isCallOf(node, name))) return testedNames(node.arguments[0]!, atData);
  const first = node.type === 'path' ? node.steps?.[0] : undefined;
  return atData && first?.type === 'name' && typeof first.value === 'string' ? [first.value] : [];
}

function isCallOf(node: Node, name: string): boolean {
  return node.procedure?.type === 'variable' && node.procedure.value === name;
}
