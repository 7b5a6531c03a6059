import { compileExpression } from '../engine/expression.ts';
import type { JsonataNode } from '../engine/jsonata-node.ts';

/**
 * The first-level fields of the event's data that an expression of a trigger or `cancel_on` reads
 * (they are evaluated with `{ event, data }` as their input and `$data`, `$trigger` bound to the
 * same), found in its syntax tree, in the order they appear: `data.status`, `$.data.status`,
 * `$$.data.status`, `$data.status`, `$trigger.data.status`. Only where a name reads the input: in
 * `lines[data.x]` or `lines.(data.x)` it reads a field of each line. A variable the expression binds
 * itself (`$data := …`, a lambda's parameter) is its own. `$lookup(data, 'x')` is not followed: a
 * recipe that must read a field its event's schema does not know can write it so.
 */
export function eventDataFieldsRead(source: string): string[] {
  return fieldsRead(source, eventDataFieldRead);
}

/**
 * The first-level fields of the trigger's data that an expression of a step reads (steps are evaluated
 * with the run's context `{ trigger, steps, vars, run }` as their input and `$trigger` bound to its
 * trigger): `trigger.data.status`, `$.trigger.data.status`, `$$.trigger.data.status`,
 * `$trigger.data.status`. As eventDataFieldsRead otherwise.
 */
export function triggerDataFieldsRead(source: string): string[] {
  return fieldsRead(source, runTriggerDataFieldRead);
}

type FieldRead = (node: JsonataNode, atInput: boolean, rebound: ReadonlySet<string>) => string | undefined;

function fieldsRead(source: string, fieldRead: FieldRead): string[] {
  let ast: unknown;
  try {
    ast = compileExpression(source).ast();
  } catch {
    return [];
  }
  const rebound = new Set<string>();
  collectBound(ast, rebound);
  const found = new Set<string>();
  const visit = (node: unknown, atInput: boolean): void => {
    if (node === null || typeof node !== 'object') return;
    const n = node as JsonataNode;
    const field = fieldRead(n, atInput, rebound);
    if (field !== undefined) found.add(field);
    for (const [key, child] of Object.entries(node)) {
      const childAtInput = atInput && !ANOTHER_CONTEXT.has(key);
      if (n.type === 'path' && key === 'steps' && Array.isArray(child)) child.forEach((step, i) => visit(step, childAtInput && i === 0));
      else if (Array.isArray(child)) child.forEach((c) => visit(c, childAtInput));
      else if (child && typeof child === 'object') visit(child, childAtInput);
    }
  };
  visit(ast, true);
  return [...found];
}

/** Fields of a node whose expressions are evaluated against other values than the input. */
const ANOTHER_CONTEXT = new Set(['stages', 'predicate', 'group', 'pattern', 'update', 'delete']);

/** A path step that is the name or variable `value`, with nothing attached. */
function isPlain(step: JsonataNode | undefined, type: string, value: string): boolean {
  return step?.type === type && step.value === value && plain(step);
}

/** The name a path reads at `at`, when it is a plain name. */
function nameAt(steps: JsonataNode[], at: number): string | undefined {
  const field = steps[at];
  return field?.type === 'name' && typeof field.value === 'string' ? field.value : undefined;
}

/** The field of the event's data a trigger's path reads first (the input is `{ event, data }`), or undefined. */
function eventDataFieldRead(node: JsonataNode, atInput: boolean, rebound: ReadonlySet<string>): string | undefined {
  if (node.type !== 'path' || !Array.isArray(node.steps)) return undefined;
  const steps = node.steps;
  let at: number;
  // `data.x`: the input's data, where the context is the input.
  if (isPlain(steps[0], 'name', 'data') && atInput) at = 1;
  // `$data.x`
  else if (isPlain(steps[0], 'variable', 'data') && !rebound.has('data')) at = 1;
  // `$trigger.data.x`
  else if (isPlain(steps[0], 'variable', 'trigger') && !rebound.has('trigger') && isPlain(steps[1], 'name', 'data')) at = 2;
  // `$$.data.x` (the input in any context), `$.data.x` (where the context is the input)
  else if ((isPlain(steps[0], 'variable', '$') || (isPlain(steps[0], 'variable', '') && atInput)) && isPlain(steps[1], 'name', 'data')) at = 2;
  else return undefined;
  return nameAt(steps, at);
}

/** The field of the trigger's data a step's path reads first (the input is the run's context), or undefined. */
function runTriggerDataFieldRead(node: JsonataNode, atInput: boolean, rebound: ReadonlySet<string>): string | undefined {
  if (node.type !== 'path' || !Array.isArray(node.steps)) return undefined;
  const steps = node.steps;
  let at: number;
  // `trigger.data.x`, where the context is the input.
  if (isPlain(steps[0], 'name', 'trigger') && atInput && isPlain(steps[1], 'name', 'data')) at = 2;
  // `$trigger.data.x`
  else if (isPlain(steps[0], 'variable', 'trigger') && !rebound.has('trigger') && isPlain(steps[1], 'name', 'data')) at = 2;
  // `$$.trigger.data.x`, `$.trigger.data.x` (where the context is the input)
  else if ((isPlain(steps[0], 'variable', '$') || (isPlain(steps[0], 'variable', '') && atInput)) && isPlain(steps[1], 'name', 'trigger') && isPlain(steps[2], 'name', 'data')) at = 3;
  else return undefined;
  return nameAt(steps, at);
}

/** A step with nothing attached that makes it read something else than the named value. */
function plain(step: JsonataNode): boolean {
  return ['stages', 'predicate', 'group', 'focus', 'index', 'tuple'].every((field) => (step as Record<string, unknown>)[field] === undefined);
}

/** The variables an expression binds itself (`$x := …`, a lambda's parameters). */
function collectBound(node: unknown, into: Set<string>): void {
  if (node === null || typeof node !== 'object') return;
  const n = node as JsonataNode;
  if (n.type === 'bind' && !Array.isArray(n.lhs) && n.lhs?.type === 'variable' && typeof n.lhs.value === 'string') into.add(n.lhs.value);
  if (n.type === 'lambda') for (const parameter of n.arguments ?? []) if (typeof parameter.value === 'string') into.add(parameter.value);
  for (const child of Object.values(node)) {
    if (Array.isArray(child)) child.forEach((c) => collectBound(c, into));
    else collectBound(child, into);
  }
}

/** A read of a step's result field: `$steps.<id>.<field>`. */
export interface StepFieldRead {
  id: string;
  field: string;
}

/**
 * The first-level fields of steps' results an expression reads as `$steps.<id>.<field>` (a plain
 * path: no filter on the id or before it), in the order they appear. `$steps` is bound wherever a
 * recipe expression is evaluated, so the context does not matter; a `$steps` the expression binds
 * itself is its own. `steps.<id>` without `$` and `$lookup($steps.<id>, 'field')` are not followed.
 */
export function stepFieldsRead(source: string): StepFieldRead[] {
  let ast: unknown;
  try {
    ast = compileExpression(source).ast();
  } catch {
    return [];
  }
  const rebound = new Set<string>();
  collectBound(ast, rebound);
  if (rebound.has('steps')) return [];
  const found = new Map<string, StepFieldRead>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const n = node as JsonataNode;
    if (n.type === 'path' && Array.isArray(n.steps)) {
      const [first, id, field] = n.steps;
      const plainName = (step: JsonataNode | undefined): step is JsonataNode & { value: string } => step?.type === 'name' && typeof step.value === 'string' && plain(step);
      if (first?.type === 'variable' && first.value === 'steps' && plain(first) && plainName(id) && field?.type === 'name' && typeof field.value === 'string') {
        found.set(`${id.value}.${field.value}`, { id: id.value, field: field.value });
      }
    }
    for (const child of Object.values(node)) {
      if (Array.isArray(child)) child.forEach(visit);
      else if (child && typeof child === 'object') visit(child);
    }
  };
  visit(ast);
  return [...found.values()];
}
