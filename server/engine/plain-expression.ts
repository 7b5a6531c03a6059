import type jsonata from 'jsonata';
import { expressionLimits } from './expression-limits.ts';

/**
 * A faster evaluator for the expressions email templates are mostly made of: text joined with `&`,
 * fields read by name, conditions, `=`/`!=`, `$count`, `$join`, and a list mapped to one line per item
 * (`$join(leads.('- ' & email & (company ? ', ' & company : '')), '\n')`). JSONata walks its syntax
 * tree through promises, every node once per item: the D23 digest's line per lead cost some 20 µs of
 * CPU and its garbage, 2 s of 100,000 leads. Here the same tree is evaluated by plain functions.
 *
 * Only where the answer is JSONata's for certain: any other node, and at evaluation any value outside
 * plain JSON objects, strings, booleans, null and safe whole numbers (arrays of arrays, fractions,
 * objects turned into text), any JSONata type error, and any list long enough to come near the limits
 * of one evaluation (expression-limits.ts) is answered UNSURE, and the caller lets JSONata evaluate
 * the whole expression: the same text, the same error, the same verdict on a runaway.
 */
export const UNSURE: unique symbol = Symbol('plain-expression.unsure');

/** Evaluates against the input; UNSURE when JSONata must. */
export type PlainEvaluator = (input: unknown) => unknown;

type Compiled = ReturnType<typeof jsonata>;
type Node = Record<string, unknown> & { type?: string };

/** A list of values as JSONata's path or map gives it (a sequence): only $count, $join and a map read it. */
class Sequence {
  constructor(readonly items: readonly unknown[]) {}
}

/** Thrown inside an evaluation that has left the subset; caught by the evaluator, which answers UNSURE. */
class Unsure {}
const UNSURE_THROWN = new Unsure();

interface Work {
  /** Nodes evaluated so far; JSONata's step count for the same evaluation is at most STEPS_PER_NODE times it. */
  nodes: number;
}

/**
 * JSONata enters its evaluator at most this many times per node of these trees per item (a path
 * step, its name lookup and the block it maps: 3; measured in plain-expression.test.ts). With work
 * times this under the step limit, JSONata would not have stopped the expression either.
 */
export const STEPS_PER_NODE = 4;

type Fn = (input: unknown, work: Work) => unknown;

const evaluators = new WeakMap<Compiled, PlainEvaluator | null>();

/** The plain evaluator of a compiled expression, or null when its tree is outside the subset. */
export function plainEvaluatorOf(compiled: Compiled): PlainEvaluator | null {
  let evaluator = evaluators.get(compiled);
  if (evaluator === undefined) {
    const fn = compileNode(compiled.ast() as Node);
    evaluator = fn ? wrap(fn) : null;
    evaluators.set(compiled, evaluator);
  }
  return evaluator;
}

function wrap(fn: Fn): PlainEvaluator {
  return (input) => {
    const work: Work = { nodes: 0 };
    let value: unknown;
    try {
      value = fn(input, work);
    } catch (error) {
      if (error === UNSURE_THROWN) return UNSURE;
      throw error;
    }
    if (work.nodes * STEPS_PER_NODE >= expressionLimits().maxSteps) return UNSURE;
    // A list or an object at the top: JSONata's singleton and array rules decide its shape.
    if (value !== null && typeof value === 'object') return UNSURE;
    return value;
  };
}

function unsure(): never {
  throw UNSURE_THROWN;
}

/** Whether a node has only the fields its type is read by here (any other field changes its meaning). */
function only(node: Node, fields: readonly string[]): boolean {
  return Object.keys(node).every((key) => key === 'type' || key === 'position' || fields.includes(key));
}

function compileNode(node: Node): Fn | null {
  switch (node.type) {
    case 'string':
      if (!only(node, ['value']) || typeof node.value !== 'string') return null;
      return constant(node.value);
    case 'number':
      if (!only(node, ['value']) || typeof node.value !== 'number' || !Number.isSafeInteger(node.value)) return null;
      return constant(node.value);
    case 'block': {
      const expressions = node.expressions;
      if (!only(node, ['expressions']) || !Array.isArray(expressions) || expressions.length !== 1) return null;
      return compileNode(expressions[0] as Node);
    }
    case 'path':
      return compilePath(node);
    case 'binary':
      return compileBinary(node);
    case 'condition':
      return compileCondition(node);
    case 'function':
      return compileFunction(node);
    default:
      return null;
  }
}

function constant(value: unknown): Fn {
  return (_input, work) => {
    work.nodes++;
    return value;
  };
}

/** Names read one after the other, the last step optionally a parenthesised expression mapped over the items reached. */
function compilePath(node: Node): Fn | null {
  if (!only(node, ['steps']) || !Array.isArray(node.steps) || node.steps.length === 0) return null;
  const steps = node.steps as Node[];
  const last = steps[steps.length - 1]!;
  const mapped = last.type === 'block' ? compileNode(last) : null;
  if (last.type === 'block' && !mapped) return null;
  const names = (mapped ? steps.slice(0, -1) : steps).map((step) => (step.type === 'name' && only(step, ['value']) && typeof step.value === 'string' ? step.value : null));
  if (names.length === 0 || names.some((name) => name === null)) return null;
  const path = names as string[];
  return (input, work) => {
    work.nodes += path.length + 1;
    let value = input;
    for (const name of path) {
      if (value === undefined) return undefined;
      // JSONata maps a name over a list, and reads no field of a string or number: not this subset.
      if (value === null || typeof value !== 'object' || Array.isArray(value)) unsure();
      value = Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
    }
    if (Array.isArray(value)) {
      // JSONata flattens lists in lists; too long a list is for its limits to judge.
      if (value.length > expressionLimits().maxSequence || value.some(Array.isArray)) unsure();
      if (!mapped) return new Sequence(value);
    } else if (!mapped || value === undefined) return value;
    const items = Array.isArray(value) ? value : [value];
    const out: unknown[] = [];
    for (const item of items) {
      // The mapped expression reads the item's fields: a plain object, or JSONata's rules.
      if (item === null || typeof item !== 'object') unsure();
      const result = mapped(item, work);
      if (result === undefined) continue;
      if (result !== null && typeof result === 'object') unsure();
      out.push(result);
    }
    return out.length === 0 ? undefined : new Sequence(out);
  };
}

function compileBinary(node: Node): Fn | null {
  if (!only(node, ['value', 'lhs', 'rhs'])) return null;
  const lhs = compileNode(node.lhs as Node);
  const rhs = compileNode(node.rhs as Node);
  if (!lhs || !rhs) return null;
  switch (node.value) {
    case '&':
      return (input, work) => {
        work.nodes++;
        return text(lhs(input, work)) + text(rhs(input, work));
      };
    case '=':
    case '!=': {
      const equal = node.value === '=';
      return (input, work) => {
        work.nodes++;
        const a = scalar(lhs(input, work));
        const b = scalar(rhs(input, work));
        if (a === undefined || b === undefined) return false;
        return (a === b) === equal;
      };
    }
    default:
      return null;
  }
}

function compileCondition(node: Node): Fn | null {
  if (!only(node, ['condition', 'then', 'else'])) return null;
  const condition = compileNode(node.condition as Node);
  const then = compileNode(node.then as Node);
  const otherwise = node.else === undefined ? null : compileNode(node.else as Node);
  if (!condition || !then || (node.else !== undefined && !otherwise)) return null;
  return (input, work) => {
    work.nodes++;
    if (truthy(condition(input, work))) return then(input, work);
    return otherwise ? otherwise(input, work) : undefined;
  };
}

function compileFunction(node: Node): Fn | null {
  if (!only(node, ['value', 'name', 'arguments', 'procedure']) || node.value !== '(' || node.name !== undefined || !Array.isArray(node.arguments)) return null;
  const procedure = node.procedure as Node;
  if (procedure?.type !== 'variable' || !only(procedure, ['value'])) return null;
  const args = (node.arguments as Node[]).map(compileNode);
  if (args.some((a) => a === null)) return null;
  const [first, second] = args as Fn[];
  if (procedure.value === 'count' && args.length === 1) {
    return (input, work) => {
      work.nodes += 2;
      const value = first!(input, work);
      if (value === undefined) return 0;
      if (value instanceof Sequence) return value.items.length;
      if (value !== null && typeof value === 'object') unsure();
      return 1;
    };
  }
  if (procedure.value === 'join' && (args.length === 1 || args.length === 2)) {
    return (input, work) => {
      work.nodes += 2;
      const value = first!(input, work);
      const separator = second ? second(input, work) : '';
      if (typeof separator !== 'string') unsure();
      if (value === undefined) return undefined;
      if (typeof value === 'string') return value;
      if (!(value instanceof Sequence) || value.items.some((item) => typeof item !== 'string')) unsure();
      return (value.items as string[]).join(separator);
    };
  }
  return null;
}

/** A value as `&` turns it into text (JSONata's $string), for the values of this subset. */
function text(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null) return 'null';
  // Whole numbers print the same; fractions go through JSONata's 15-digit rounding.
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return unsure();
}

function scalar(value: unknown): string | number | boolean | null | undefined {
  if (value === undefined || value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  return unsure();
}

/** JSONata's $boolean for the values of this subset. */
function truthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value !== 0;
  return unsure();
}
