/**
 * The parts of a compiled JSONata expression's syntax tree (`compileExpression(...).ast()`) that the
 * static checks read: which literal values an expression can give (expression-choices.ts) and what a
 * condition is for a table row (recipes/row-guards.ts). JSONata does not export its node type.
 */
export interface JsonataNode {
  type?: string;
  value?: unknown;
  condition?: JsonataNode;
  then?: JsonataNode;
  else?: JsonataNode;
  expressions?: JsonataNode[];
  /** A binary operator's left side; an object constructor's (`unary` `{`) key/value pairs. */
  lhs?: JsonataNode | JsonataNode[][];
  rhs?: JsonataNode;
  procedure?: JsonataNode;
  arguments?: JsonataNode[];
  steps?: JsonataNode[];
  /** Filters, sorts, bindings on a value: it is no longer the literal as written. */
  stages?: unknown[];
  predicate?: unknown[];
  group?: unknown;
  focus?: unknown;
  index?: unknown;
  tuple?: unknown;
  keepArray?: unknown;
}
