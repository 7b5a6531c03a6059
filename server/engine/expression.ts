import jsonata from 'jsonata';
import { DateTime, Duration } from 'luxon';
import type { BusinessCalendar } from './business-calendar.ts';
import { addBusinessDays, isBusinessDay } from './business-calendar.ts';
import { recordDay } from './business-timer-times.ts';
import type { Clock } from './clock.ts';
import { countryName } from './country-name.ts';
import { countEvaluationStep, EVALUATE_ENTRY, expressionLimits } from './expression-limits.ts';
import { exactUsd, usdDigits } from './money.ts';

/**
 * Expressions in recipes are JSONata (the language AWS Step Functions adopted for the same job): no
 * `eval`, no user JavaScript, and a limit on the work one evaluation does (expression-limits.ts) so that
 * a runaway expression cannot stall the runtime.
 * A string written `{% … %}` is an expression; every other JSON value is a literal.
 */

const EXPRESSION = /^\{%([\s\S]*)%\}$/;

/** Whether a recipe value is an expression rather than a literal. */
export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && EXPRESSION.test(value);
}

/** An expression that failed to compile or evaluate; `position` is the offset in the source. */
export class ExpressionError extends Error {
  override name = 'ExpressionError';
  constructor(
    message: string,
    readonly source: string,
    readonly position?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

type Compiled = ReturnType<typeof jsonata>;
const cache = new Map<string, Compiled>();

/** Compiles (once, cached) the JSONata inside `{% … %}`; throws ExpressionError with the position. */
export function compileExpression(source: string): Compiled {
  const cached = cache.get(source);
  if (cached) return cached;
  const match = EXPRESSION.exec(source);
  if (!match) throw new ExpressionError('an expression is written {% … %}', source);
  try {
    // No wall-clock `timeout`: it failed legitimate templates on a busy machine. The step count stops a
    // runaway whatever the load; the depth and sequence limits stop most of them sooner.
    const { maxDepth, maxSequence } = expressionLimits();
    const compiled = jsonata(match[1]!.trim(), { stack: maxDepth, sequence: maxSequence } as never);
    compiled.assign(EVALUATE_ENTRY as never, countEvaluationStep);
    if (cache.size > 5_000) cache.clear();
    cache.set(source, compiled);
    return compiled;
  } catch (error) {
    throw toExpressionError(error, source);
  }
}

function toExpressionError(error: unknown, source: string): ExpressionError {
  const e = error as { message?: string; position?: number; code?: string; token?: string };
  const where = e.position !== undefined ? ` at position ${e.position}` : '';
  return new ExpressionError(`${e.message ?? String(error)}${where} in ${source}`, source, e.position, { cause: error });
}

/** What expressions can read: `trigger`, `steps`, `vars`, `run`, a foreach item, an `error`. */
export interface ExpressionScope {
  trigger: unknown;
  steps: Record<string, unknown>;
  vars: Record<string, unknown>;
  /**
   * `waiting_for`: only in a `cancel_on` filter, the signal or event the run rests on in a `wait_for`, or null.
   * `trigger`: only in a `cancel_on` filter (where `$trigger` is the event), the event the run started on.
   */
  run: { id: string; recipe: string; version: number; started_at: string; waiting_for?: string | null; trigger?: { event?: string; data: unknown } };
  error?: unknown;
  [loopVariable: string]: unknown;
}

/** What `$run` holds for a run's expressions: its id, recipe, version and when it started. */
export function runScopeOf(run: { id: string; recipe: string; recipeVersion: number; createdAt: number }): ExpressionScope['run'] {
  return { id: run.id, recipe: run.recipe, version: run.recipeVersion, started_at: new Date(run.createdAt).toISOString() };
}

/** The services that functions such as `$now()` and `$addBusinessDays()` depend on. */
export interface ExpressionEnv {
  clock: Clock;
  calendar: BusinessCalendar;
}

/** One set of bound functions per environment (a turn's, or the engine's): not rebuilt per expression. */
const functionsByEnv = new WeakMap<ExpressionEnv, Record<string, unknown>>();

function functionsFor(env: ExpressionEnv): Record<string, unknown> {
  let functions = functionsByEnv.get(env);
  if (!functions) functionsByEnv.set(env, (functions = buildFunctions(env)));
  return functions;
}

function buildFunctions(env: ExpressionEnv): Record<string, unknown> {
  const toDateTime = (value: unknown): DateTime => {
    const dt = typeof value === 'number' ? DateTime.fromMillis(value, { zone: 'utc' }) : DateTime.fromISO(String(value), { zone: 'utc' });
    if (!dt.isValid) throw new Error(`not a date or time: ${JSON.stringify(value)}`);
    return dt;
  };
  /** A date is that day in the calendar's zone; a time is the day it falls on there. */
  const calendarDay = (value: unknown): DateTime =>
    (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)
      ? DateTime.fromISO(value, { zone: env.calendar.timezone })
      : toDateTime(value).setZone(env.calendar.timezone)
    ).startOf('day');
  return {
    // The virtual clock, not the machine's: scenarios that jump thirty days see thirty days pass.
    now: () => new Date(env.clock.now()).toISOString(),
    millis: () => env.clock.now(),
    /** Today's date (YYYY-MM-DD) in the business calendar's time zone. */
    today: () => DateTime.fromMillis(env.clock.now(), { zone: env.calendar.timezone }).toISODate(),
    /**
     * `$isDate("2026-03-06")` → true; false for "", "2026-02-30", "06.03.2026" or a number: whether a timer
     * trigger reads the value as a day (recordDay), so a recipe can tell ops of a date the timers drop.
     */
    isDate: (value: unknown) => recordDay(value, env.calendar) !== null,
    /** `$countryName("PL")` → "Poland" (country-name.ts); nothing for what is not a country code. */
    countryName,
    /** `$localDate($addBusinessDays($now(), 2))` → that time's date (YYYY-MM-DD) in the business calendar's time zone. */
    localDate: (value: unknown) => calendarDay(value).toISODate(),
    /**
     * `$workingDays("2026-03-06", "2026-03-09")` → the working days (YYYY-MM-DD) from the first day
     * through the second on the business calendar: ["2026-03-06", "2026-03-09"]; none when the second
     * is earlier. Whole days, so that leave can be compared with a decision window.
     */
    workingDays: (from: unknown, to: unknown) => {
      const days: string[] = [];
      const last = calendarDay(to);
      let day = calendarDay(from);
      // A bound against a typo of a year: leave and decision windows are days or weeks long.
      for (let n = 0; day <= last && n < 3_660; n++, day = day.plus({ days: 1 })) {
        if (isBusinessDay(day, env.calendar)) days.push(day.toISODate()!);
      }
      return days;
    },
    /** `$addDuration("2026-03-01", "P2D")` → ISO time two days later. */
    addDuration: (value: unknown, iso: string) => {
      const duration = Duration.fromISO(iso);
      if (!duration.isValid) throw new Error(`not an ISO 8601 duration: ${iso}`);
      return toDateTime(value).plus(duration).toUTC().toISO();
    },
    /** `$addBusinessDays($now(), 2)` → ISO time two business days later on the business calendar. */
    addBusinessDays: (value: unknown, days: number) =>
      new Date(addBusinessDays(toDateTime(value).toMillis(), days, env.calendar)).toISOString(),
    ...MONEY_FUNCTIONS,
  };
}

/**
 * Money as every partner-facing text shows it: `USD 1,000.50`, `USD 8,000` (whole dollars without
 * cents). An amount with a fraction of a cent is shown with it (`USD 999.999`), never rounded to an
 * amount the PRM does not hold and the rules do not compare (money.ts); binary floating point noise
 * (0.1 + 0.2) is no fraction. Not a number (a blank amount: null, missing) gives nothing (undefined),
 * so a template or recipe decides what to say instead of failing the run.
 */
export function usd(amount: unknown): string | undefined {
  if (typeof amount !== 'number' || !Number.isFinite(amount)) return undefined;
  const exact = exactUsd(amount);
  if (exact.scale > 2) {
    const { negative, dollars, fraction } = usdDigits(exact);
    return `USD ${negative ? '-' : ''}${dollars}.${fraction}`;
  }
  const cents = Math.round(amount * 100);
  const digits = cents % 100 === 0 ? 0 : 2;
  return `USD ${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/**
 * The functions that need no clock or calendar, bound in recipes' expressions and in email templates
 * alike: `$usd(1000.5)` → "USD 1,000.50"; `$formatUsd` is its older name.
 */
export const MONEY_FUNCTIONS: Readonly<Record<string, (amount: unknown) => string | undefined>> = { usd, formatUsd: usd };

/** JSONata's own functions, which recipe expressions and email templates alike may call. */
const JSONATA_FUNCTIONS: ReadonlySet<string> = new Set([
  ...['sum', 'count', 'max', 'min', 'average', 'string', 'substring', 'substringBefore', 'substringAfter', 'lowercase', 'uppercase', 'length', 'trim', 'pad'],
  ...['match', 'contains', 'replace', 'split', 'join', 'formatNumber', 'formatBase', 'formatInteger', 'parseInteger', 'number', 'floor', 'ceil', 'round'],
  ...['abs', 'sqrt', 'power', 'random', 'boolean', 'not', 'map', 'zip', 'filter', 'single', 'reduce', 'sift', 'keys', 'lookup', 'append', 'exists', 'spread'],
  ...['merge', 'reverse', 'each', 'error', 'assert', 'type', 'sort', 'shuffle', 'distinct', 'base64encode', 'base64decode', 'encodeUrlComponent', 'encodeUrl'],
  ...['decodeUrlComponent', 'decodeUrl', 'eval', 'toMillis', 'fromMillis', 'clone', 'now', 'millis'],
]);

/**
 * The functions an expression may call: JSONata's own and the runtime's (`$now`, `$addBusinessDays`,
 * `$usd`, …). Validation names a call of any other (a typo such as `$adBusinessDays`), which JSONata
 * only finds when the call is evaluated ("Attempted to invoke a non-function").
 */
export const KNOWN_FUNCTIONS: ReadonlySet<string> = new Set([
  ...JSONATA_FUNCTIONS,
  // Bound without calling them: only their names are read.
  ...Object.keys(buildFunctions({} as ExpressionEnv)),
]);

/**
 * The functions an email template may call: JSONata's own and the money ones (`$usd`, `$formatUsd`),
 * the only runtime functions a template is evaluated with (email-templates.ts). The others of recipes
 * (`$addBusinessDays`, `$countryName`, …) are not there: a template calling one fails every send.
 */
export const TEMPLATE_FUNCTIONS: ReadonlySet<string> = new Set([...JSONATA_FUNCTIONS, ...Object.keys(MONEY_FUNCTIONS)]);

/** What an expression names: the functions it calls, the `$name`s it reads as values, and the names it binds itself. */
export interface ExpressionNames {
  /** `$name(…)`, also partially applied. */
  called: Set<string>;
  /** `$name` read as a value, not called; `$` (the context) and `$$` (the data) left out. */
  read: Set<string>;
  /** `$x := …`, a lambda's parameters, a focus (`@$x`) or index (`#$i`) variable. */
  bound: Set<string>;
}

/** The names in an expression's syntax tree (a compiled expression's `ast()`), in the order they appear. */
export function expressionNames(ast: unknown): ExpressionNames {
  const names: ExpressionNames = { called: new Set(), read: new Set(), bound: new Set() };
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    const n = node as { type?: string; value?: unknown; procedure?: { type?: string; value?: unknown }; lhs?: { type?: string; value?: unknown }; arguments?: Array<{ type?: string; value?: unknown }>; focus?: unknown; index?: unknown };
    const call = n.type === 'function' || n.type === 'partial';
    if (call && n.procedure?.type === 'variable' && typeof n.procedure.value === 'string') names.called.add(n.procedure.value);
    if (n.type === 'variable' && typeof n.value === 'string' && n.value !== '' && n.value !== '$') names.read.add(n.value);
    if (n.type === 'bind' && n.lhs?.type === 'variable' && typeof n.lhs.value === 'string') names.bound.add(n.lhs.value);
    if (n.type === 'lambda') for (const a of n.arguments ?? []) if (a.type === 'variable' && typeof a.value === 'string') names.bound.add(a.value);
    if (typeof n.focus === 'string') names.bound.add(n.focus);
    if (typeof n.index === 'string') names.bound.add(n.index);
    for (const [field, child] of Object.entries(n)) {
      // A called function's name is a call, not a value read; its arguments are visited.
      if (field === 'procedure' && call) continue;
      if (child && typeof child === 'object') visit(child);
    }
  };
  visit(ast);
  return names;
}

/**
 * The names of the functions an expression calls (`$name(…)`, also partially applied), leaving out
 * those it defines itself (`$f := function(…)`, a lambda's parameters), in the order they appear.
 * Takes the expression's source (`{% … %}`) or its compiled syntax tree.
 */
export function calledFunctions(source: string | { ast(): unknown }): string[] {
  const { called, bound } = expressionNames((typeof source === 'string' ? compileExpression(source) : source).ast());
  return [...called].filter((name) => !bound.has(name));
}

/** Evaluates one expression string against a scope; `input` defaults to the scope itself. */
export async function evaluateExpression(source: string, scope: ExpressionScope, env: ExpressionEnv, input?: unknown): Promise<unknown> {
  const compiled = compileExpression(source);
  const read = readPlainPath(compiled, scope, input === undefined ? scope : input);
  if (read !== UNREADABLE) return read;
  const bindings = { ...functionsFor(env), ...scope };
  try {
    const result = await compiled.evaluate(input === undefined ? scope : input, bindings);
    return normalize(result);
  } catch (error) {
    throw toExpressionError(error, source);
  }
}

/**
 * Evaluates a mapping: expression strings become their value, objects and arrays are walked, other
 * values are kept. An expression that yields nothing (JSONata `undefined`) drops its object key.
 */
export async function evaluateMapping(value: unknown, scope: ExpressionScope, env: ExpressionEnv): Promise<unknown> {
  if (isExpression(value)) return evaluateExpression(value, scope, env);
  if (Array.isArray(value)) return Promise.all(value.map((v) => evaluateMapping(v, scope, env)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const evaluated = await evaluateMapping(v, scope, env);
      if (evaluated !== undefined) out[key] = evaluated;
    }
    return out;
  }
  return value;
}

/**
 * A path of plain names, such as `$trigger.data.mdfNumber` or `data.status`: the fields to read, from
 * a variable of the scope or from the input. Most expressions in recipes are one, and the JSONata
 * evaluator takes some 40 µs for what a property read does in well under one.
 */
interface PlainPath {
  variable: string | null;
  names: string[];
}

const plainPaths = new WeakMap<Compiled, PlainPath | null>();

function plainPathOf(compiled: Compiled): PlainPath | null {
  let path = plainPaths.get(compiled);
  if (path === undefined) {
    path = toPlainPath(compiled.ast());
    plainPaths.set(compiled, path);
  }
  return path;
}

/** Only steps with nothing but a name: any predicate, stage, index or grouping is JSONata's to evaluate. */
function toPlainPath(ast: unknown): PlainPath | null {
  const node = ast as { type?: string; steps?: Array<Record<string, unknown>> };
  if (node.type !== 'path' || !Array.isArray(node.steps) || Object.keys(node).some((k) => k !== 'type' && k !== 'steps')) return null;
  const plain = node.steps.every((step) => typeof step.value === 'string' && Object.keys(step).every((k) => k === 'type' || k === 'value' || k === 'position'));
  if (!plain) return null;
  const [first, ...rest] = node.steps as Array<{ type: string; value: string }>;
  if (rest.some((step) => step.type !== 'name')) return null;
  if (first!.type === 'variable') return { variable: first!.value, names: rest.map((step) => step.value) };
  if (first!.type === 'name') return { variable: null, names: node.steps.map((step) => step.value as string) };
  return null;
}

const UNREADABLE = Symbol('unreadable');

/**
 * The value of a plain path where JSONata's answer is certain: a string, number, boolean or null,
 * reached through plain objects; a field that is absent (inherited names included) answers undefined
 * as in JSONata. Anything else (arrays with their sequence rules, objects) is UNREADABLE: JSONata
 * evaluates it.
 */
function readPlainPath(compiled: Compiled, scope: ExpressionScope, input: unknown): unknown {
  const path = plainPathOf(compiled);
  if (!path) return UNREADABLE;
  let value: unknown;
  if (path.variable === null) value = input;
  else if (Object.hasOwn(scope, path.variable)) value = scope[path.variable];
  else return UNREADABLE;
  for (const name of path.names) {
    if (value === undefined) return undefined;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return UNREADABLE;
    if (!Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  // As JSON would carry it: -0 is 0.
  if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : UNREADABLE;
  return UNREADABLE;
}

/** JSONata returns sequences (arrays with extra flags) and functions; keep plain JSON only. */
function normalize(value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (typeof value === 'function') return undefined;
  // A function named without being called: JSONata answers its own wrapper object.
  if (typeof value === 'object' && ('_jsonata_function' in value || '_jsonata_lambda' in value)) return undefined;
  return JSON.parse(JSON.stringify(value));
}

/** Every expression string inside a mapping, with its JSON path (for validation). */
export function* expressionsIn(value: unknown, path: (string | number)[] = []): Generator<{ source: string; path: (string | number)[] }> {
  if (isExpression(value)) yield { source: value, path };
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* expressionsIn(v, [...path, i]);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) yield* expressionsIn(v, [...path, k]);
}

/**
 * A read of one step's result in an expression. `bracketed` marks `$steps['id']`: JSONata reads the
 * brackets as a filter over all steps (a non-empty string is true), not as the field `id`, so such an
 * expression never reads that step; validation names it rather than the field that follows.
 */
export interface StepReference {
  id: string;
  bracketed: boolean;
}

/**
 * The steps an expression reads through `$steps.<id>`, or through `steps.<id>` where `steps` is a field
 * of the run scope (or tries to, through `$steps['<id>']`), found in its syntax tree, in the order they
 * appear. Validation uses it to reject references to steps that do not exist or have not run yet.
 *
 * `$steps` is bound wherever a recipe expression is evaluated, but a name without `$` reads the input,
 * which is the run scope only where `inputIsScope`: a lookup's `where` reads each table row and a
 * trigger's expressions read the event, where `steps.region` is a column or a field, not a step.
 * Inside an expression, too, a name reads the run scope only where the context is still the input:
 * `lines[steps.x]` and `lines.(steps.x)` read a field of each line.
 */
export function referencedSteps(source: string, options: { inputIsScope?: boolean } = {}): StepReference[] {
  const inputIsScope = options.inputIsScope ?? true;
  const ast = compileExpression(source).ast() as unknown;
  const found = new Map<string, StepReference>();
  const add = (reference: StepReference) => {
    const key = `${reference.bracketed ? '[' : '.'}${reference.id}`;
    if (!found.has(key)) found.set(key, reference);
  };
  /** `atInput`: the node is evaluated with the expression's input as its context. */
  const visit = (node: unknown, atInput: boolean): void => {
    if (node === null || typeof node !== 'object') return;
    const n = node as AstNode;
    const reference = stepsRead(n, inputIsScope, atInput);
    if (reference) add(reference);
    for (const [field, child] of Object.entries(node)) {
      // A path's later steps, and filters, groupings and transforms, are evaluated against the values
      // reached before them; a lambda's body keeps the context it is written in.
      const childAtInput = atInput && !ANOTHER_CONTEXT.has(field);
      if (n.type === 'path' && field === 'steps' && Array.isArray(child)) child.forEach((step, i) => visit(step, childAtInput && i === 0));
      else if (Array.isArray(child)) child.forEach((c) => visit(c, childAtInput));
      else if (child && typeof child === 'object') visit(child, childAtInput);
    }
  };
  visit(ast, true);
  return [...found.values()];
}

const ANOTHER_CONTEXT = new Set(['stages', 'predicate', 'group', 'pattern', 'update', 'delete']);

interface AstNode {
  type?: string;
  value?: unknown;
  steps?: AstNode[];
  /** Filters on a variable (`$steps[…]`). */
  predicate?: Array<{ type?: string; expr?: AstNode }>;
  /** Filters on a name (`steps[…]`). */
  stages?: Array<{ type?: string; expr?: AstNode }>;
}

/**
 * The step `node` reads: through `$steps` always; through `steps` or `$.steps` when the context is
 * the input and the input is the run scope; through `$$.steps` (`$$` is the input in any context)
 * when the input is the run scope. `$steps['id']` alone is a variable node, not a path.
 */
function stepsRead(node: AstNode, inputIsScope: boolean, atInput: boolean): StepReference | undefined {
  const path = node.type === 'path' && Array.isArray(node.steps) ? node.steps : [node];
  const [first, second] = path;
  let at: number;
  if (first?.type === 'variable' && first.value === 'steps') at = 0;
  else if (first?.type === 'name' && first.value === 'steps' && inputIsScope && atInput) at = 0;
  else if (first?.type === 'variable' && second?.type === 'name' && second.value === 'steps' && inputIsScope && (first.value === '$' || (first.value === '' && atInput))) at = 1;
  else return undefined;
  const bracket = bracketedName(path[at]!);
  if (bracket !== undefined) return { id: bracket, bracketed: true };
  const name = path[at + 1];
  return name?.type === 'name' && typeof name.value === 'string' ? { id: name.value, bracketed: false } : undefined;
}

/** `'zzz'` of `$steps['zzz']`: a string literal as the first filter on `steps`. */
function bracketedName(node: AstNode): string | undefined {
  const filter = (node.predicate ?? node.stages)?.[0];
  return filter?.type === 'filter' && filter.expr?.type === 'string' && typeof filter.expr.value === 'string' ? filter.expr.value : undefined;
}
