import { join } from 'node:path';
import type { ForeachStep, LookupStep, Recipe, SetStep, Step } from '../../schemas/recipe.ts';
import { expressionChoices, scopePath, type Choices, type ValueSource } from '../engine/expression-choices.ts';
import { isExpression } from '../engine/expression.ts';
import { sameValue } from '../engine/same-value.ts';
import type { Tables } from '../engine/tables.ts';
import { displayPath } from '../find-files.ts';
import { rowPassesGuards, type Guard } from './row-guards.ts';
import { walkSteps } from './walk-steps.ts';

/** The `set` steps whose value of a variable can be the one a step reads. */
type VarState = ReadonlyMap<string, ReadonlySet<string>>;

/** Where a step runs: the `set` steps whose values reach it, and the foreach items it is inside of. */
interface StepPlace {
  vars: VarState;
  /** `as` name → the foreach step, innermost last. */
  items: ReadonlyMap<string, ForeachStep>;
  /** The `if`s the step sits in, outermost first. */
  guards: readonly Guard[];
}

/** Beyond this many hops (a variable set from a variable set from …) nothing is claimed. */
const MAX_DEPTH = 16;

/** The reads being followed, each once: a variable a foreach sets from itself is not followed round. */
type Following = ReadonlySet<string>;

/**
 * What a recipe and its tables say the run's scope can hold where each step runs, for the checks of
 * an action's input (ActionInputContext.valuesAt): `$vars.<name>` as the `set` steps that can have
 * set it last before the step give it (a literal, an expression with literal branches, a table
 * column, another variable), `$steps.<set>.<name>` likewise, `$steps.<lookup>.<column>` as every row
 * of the table the lookup can read (the rows whose cells equal the values its `where` writes
 * literally), and a foreach item over such a path or over a list a `set` step writes. Each string
 * comes with where it comes from: the set step and the table file, row and column. Anything else (the
 * event's data, an action's output) is undefined: not known, never guessed.
 *
 * Which `set` steps reach a step follows the recipe's order: a later `set` replaces an earlier one,
 * both branches of an `if` may have run, a foreach's steps may have run any number of times, an
 * `on_error` or `on_timeout` may have run, a `stop` ends the run; the recipe's `on_error` may start
 * after any step.
 */
export function recipeValues(recipe: Recipe, tables: Pick<Tables, 'rows'>, tablesDir?: string): (step: { id: string }, path: readonly string[]) => Choices | undefined {
  const places = stepPlaces(recipe);
  const byId = new Map<string, Step>();
  for (const { step } of walkSteps(recipe)) if (!byId.has(step.id)) byId.set(step.id, step);

  /** `via`: the steps the value passes on its way to the step that reads it, whose `if`s a table row must get through. */
  const resolve = (at: string, path: readonly string[], following: Following, each = false, via: readonly string[] = []): Choices | undefined => {
    const place = places.get(at);
    const read = JSON.stringify([at, path]);
    if (!place || following.has(read) || following.size > MAX_DEPTH || path.length === 0) return undefined;
    const inner = new Set(following).add(read);
    const through = via.includes(at) ? via : [...via, at];
    const [root, ...rest] = path as [string, ...string[]];
    const item = place.items.get(root);
    if (item) {
      // A foreach item is one of the items: a path into it reads what the same path into the list reads.
      const items = scopePath(item.items);
      return items ? resolve(item.id, [...items, ...rest], inner, true, through) : undefined;
    }
    if (root === 'vars') {
      const [name, ...inside] = rest;
      const setters = name === undefined ? undefined : place.vars.get(name);
      if (!setters || setters.size === 0) return undefined;
      return merge([...setters].map((id) => setValue(byId.get(id) as SetStep, name!, inside, inner, each, through)));
    }
    if (root === 'steps') {
      const [id, ...inside] = rest;
      const step = id === undefined ? undefined : byId.get(id);
      if (step?.type === 'set' && inside.length > 0 && Object.hasOwn(step.values, inside[0]!)) return setValue(step, inside[0]!, inside.slice(1), inner, each, through);
      if (step?.type === 'lookup' && inside.length === 1) return tableColumn(step, inside[0]!, through);
    }
    return undefined;
  };

  /**
   * What a set step keeps as `name`, at `inside` within it, each string with the set step named first;
   * with `each` (a foreach item over it), each item of a list written in the recipe.
   */
  const setValue = (step: SetStep, name: string, inside: readonly string[], following: Following, each: boolean, via: readonly string[]): Choices | undefined => {
    const source: ValueSource = { kind: 'set', text: `set as $vars.${name} by step "${step.id}"` };
    let value: unknown = step.values[name];
    let rest = inside;
    // Into an object written in the recipe, as far as the path goes.
    while (rest.length > 0 && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      value = (value as Record<string, unknown>)[rest[0]!];
      rest = rest.slice(1);
    }
    let found: Choices | undefined;
    if (each && Array.isArray(value)) found = listed(value, rest);
    else if (isExpression(value)) {
      if (rest.length === 0) found = expressionChoices(value, (path) => resolve(step.id, path, following, false, via));
      else {
        // `{% $steps.notice %}` kept whole, read as `$vars.notice.template`.
        const path = scopePath(value);
        found = path ? resolve(step.id, [...path, ...rest], following, false, via) : undefined;
      }
    } else if (typeof value === 'string' && rest.length === 0) found = { values: [{ value, from: [] }], complete: true };
    if (!found) return undefined;
    return { values: found.values.map((choice) => ({ value: choice.value, from: [source, ...choice.from] })), complete: found.complete };
  };

  const tableColumn = (step: LookupStep, column: string, via: readonly string[]): Choices | undefined => {
    const rows = tables.rows(step.table);
    if (!rows) return undefined;
    // The ifs the value passes through on its way to the send: a row one of them rules out is never sent.
    const guards = via.flatMap((id) => places.get(id)?.guards ?? []);
    const file = tablesDir === undefined ? `table ${step.table}` : displayPath(join(tablesDir, `${step.table}.json`));
    const where = typeof step.where === 'object' ? step.where : {};
    const written = Object.entries(where).filter(([, value]) => isLiteral(value));
    const computed = Object.entries(where).filter(([, value]) => isExpression(value)).map(([c]) => c);
    const values: Choices['values'] = [];
    let complete = true;
    rows.forEach((row, i) => {
      // A row the lookup's literal `where` values leave out is never what it reads.
      if (!written.every(([c, value]) => sameValue(row[c], value))) return;
      // Nor a row without a value in a column it computes: a value of nothing matches no row (interpreter.ts lookup).
      if (computed.some((c) => row[c] === undefined || row[c] === null)) return;
      // A row an enclosing if on this lookup rules out (or may rule out) is not claimed: no false alarm.
      if (!rowPassesGuards(guards, step.id, step.mode === 'all' ? [row] : row)) return;
      const cell = row[column];
      if (typeof cell !== 'string') {
        complete = false;
        return;
      }
      const key = Object.keys(where)
        .map((c) => `${c} ${JSON.stringify(row[c]) ?? 'missing'}`)
        .join(', ');
      values.push({ value: cell, from: [{ kind: 'table', text: `from column ${column} of ${file} rows[${i}]${key ? ` (${key})` : ''}, read by lookup step "${step.id}"` }] });
    });
    return { values, complete: complete && step.required === true && step.mode !== 'all' };
  };

  return (step, path) => resolve(step.id, path, new Set(), false, []);
}

/** The strings at `path` in each item of a list written in the recipe; an item that is no such string makes the list incomplete. */
function listed(items: readonly unknown[], path: readonly string[]): Choices {
  let complete = true;
  const values: Choices['values'] = [];
  for (const item of items) {
    let value = item;
    for (const name of path) value = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
    if (typeof value === 'string' && !isExpression(value)) values.push({ value, from: [] });
    else complete = false;
  }
  return { values, complete };
}

function merge(all: readonly (Choices | undefined)[]): Choices {
  return { values: all.flatMap((c) => c?.values ?? []), complete: all.every((c) => c?.complete === true) };
}

/** A `where` value written in the recipe (a string, number, boolean or null that is no expression). */
function isLiteral(value: unknown): boolean {
  return value === null || ['number', 'boolean'].includes(typeof value) || (typeof value === 'string' && !isExpression(value));
}

/** Each step's place: the set steps that can have set each variable last before it, and its foreach items. */
function stepPlaces(recipe: Recipe): Map<string, StepPlace> {
  const places = new Map<string, StepPlace>();
  const record = (step: Step, vars: VarState, items: ReadonlyMap<string, ForeachStep>, guards: readonly Guard[]) => {
    const before = places.get(step.id);
    places.set(step.id, { vars: before ? union(before.vars, vars) : vars, items, guards: before ? before.guards.filter((g) => guards.some((h) => h.condition === g.condition && h.then === g.then)) : guards });
  };
  /** The variables after the steps, or null when they end the run (a `stop`). */
  const sequence = (steps: readonly Step[], entry: VarState | null, items: ReadonlyMap<string, ForeachStep>, guards: readonly Guard[] = []): VarState | null => {
    let state = entry;
    for (const step of steps) {
      const vars = state ?? new Map();
      record(step, vars, items, guards);
      switch (step.type) {
        case 'set': {
          const next = new Map(vars);
          for (const name of Object.keys(step.values)) next.set(name, new Set([step.id]));
          state = next;
          break;
        }
        case 'if':
          state = unionOrNull(
            sequence(step.then, vars, items, [...guards, { condition: step.condition, then: true }]),
            step.else ? sequence(step.else, vars, items, [...guards, { condition: step.condition, then: false }]) : vars,
          );
          break;
        case 'foreach': {
          const inner = new Map(items).set(step.as ?? 'item', step);
          // Its steps may run any number of times: what one pass sets reaches the next.
          let around: VarState = vars;
          for (let pass = 0; pass < 8; pass++) {
            const next = union(around, sequence(step.steps, around, inner, guards) ?? new Map());
            if (sameState(next, around)) break;
            around = next;
          }
          state = around;
          break;
        }
        case 'action':
          if (typeof step.on_error === 'object') {
            const handled = sequence(step.on_error.steps, vars, items, guards);
            if (step.on_error.then === 'continue') state = unionOrNull(vars, handled);
          }
          break;
        case 'wait_for':
          if (step.on_timeout) state = unionOrNull(vars, sequence(step.on_timeout, vars, items, guards));
          break;
        case 'stop':
          state = null;
          break;
      }
    }
    return state;
  };
  sequence(recipe.steps, new Map(), new Map());
  // The recipe's on_error may start after any step: whatever any of them can have set.
  if (recipe.on_error) sequence(recipe.on_error.steps, [...places.values()].reduce<VarState>((all, place) => union(all, place.vars), new Map()), new Map());
  return places;
}

function union(a: VarState, b: VarState): VarState {
  const out = new Map<string, Set<string>>();
  for (const state of [a, b]) for (const [name, ids] of state) out.set(name, new Set([...(out.get(name) ?? []), ...ids]));
  return out;
}

function unionOrNull(a: VarState | null, b: VarState | null): VarState | null {
  if (a === null) return b;
  if (b === null) return a;
  return union(a, b);
}

function sameState(a: VarState, b: VarState): boolean {
  if (a.size !== b.size) return false;
  for (const [name, ids] of a) {
    const other = b.get(name);
    if (!other || other.size !== ids.size || [...ids].some((id) => !other.has(id))) return false;
  }
  return true;
}
