import { formatIssues } from './format-issues.ts';
import {
  Recipe,
  type ActionStep,
  type Delay,
  type ForeachStep,
  type IfStep,
  type LookupStep,
  type RecipeInput,
  type SetStep,
  type Step,
  type StopStep,
  type WaitForStep,
  type WaitStep,
} from './recipe.ts';

/**
 * The typed builder for `*.recipe.ts` files. A TS recipe is still data: `defineRecipe` returns the
 * same JSON a `.recipe.json` file would hold, and the loader validates it like one. The helpers only
 * save typing and catch mistakes in the editor (an expression without its braces, a missing field).
 *
 * ```ts
 * export default defineRecipe({
 *   name: 'mdf-request-received', version: 1, description: '…',
 *   trigger: { type: 'webhook', event: 'prm.mdf_request.submitted' },
 *   steps: [action('request', 'prm.get_mdf_request', { mdf_number: expr('$trigger.data.mdfNumber') })],
 * });
 * ```
 */

/** An expression as recipes write it: JSONata inside `{% … %}`. */
export type Expr = `{%${string}%}`;

/** A qualified action or event name: `<connector>.<name>`. */
export type QualifiedName = `${string}.${string}`;

/** A recipe that is not valid: the message lists each JSON path and what is wrong with it. */
export class RecipeDefinitionError extends Error {
  override name = 'RecipeDefinitionError';
}

/**
 * Checks a recipe against the recipe schema and returns it as plain JSON data (no `undefined`, no
 * class instances), equal to the hand-written JSON of the same recipe. Throws RecipeDefinitionError.
 */
export function defineRecipe(recipe: RecipeInput): RecipeInput {
  const data = JSON.parse(JSON.stringify(recipe)) as RecipeInput;
  const parsed = Recipe.safeParse(data);
  if (!parsed.success) {
    throw new RecipeDefinitionError(`recipe ${JSON.stringify(recipe.name)} is not valid: ${formatIssues(parsed.error.issues)}`);
  }
  return data;
}

/** `expr('steps.request.mdfNumber')` → `'{% steps.request.mdfNumber %}'`. */
export function expr(source: string): Expr {
  return `{% ${source.trim()} %}`;
}

/** Options every step takes. */
interface StepOptions {
  description?: string;
}

/** Calls a connector action; its output is `steps.<id>`. */
export function action(
  id: string,
  name: QualifiedName,
  input?: Record<string, unknown> | Expr,
  options: StepOptions & Pick<ActionStep, 'retry' | 'on_error'> = {},
): ActionStep {
  return compact({ id, description: options.description, type: 'action', action: name, input, retry: options.retry, on_error: options.on_error });
}

/** Runs `then` when the condition is truthy, otherwise `otherwise` (the recipe's `else`). */
export function when(id: string, condition: Expr, then: Step[], otherwise?: Step[], options: StepOptions = {}): IfStep {
  return compact({ id, description: options.description, type: 'if', condition, then, else: otherwise });
}

/** Runs `steps` once per item of `items`; the item is `item` (or `options.as`) in expressions. */
export function foreach(id: string, items: Expr, steps: Step[], options: StepOptions & { as?: string } = {}): ForeachStep {
  return compact({ id, description: options.description, type: 'foreach', items, as: options.as, steps });
}

/** Reads an ops table by column values (which may be expressions) or by a per-row expression. */
export function lookup(
  id: string,
  table: string,
  where: Expr | Record<string, unknown>,
  options: StepOptions & Pick<LookupStep, 'mode' | 'required'> = {},
): LookupStep {
  return compact({ id, description: options.description, type: 'lookup', table, where, mode: options.mode, required: options.required });
}

/** Keeps values as `vars.<name>` for the rest of the run. */
export function set(id: string, values: Record<string, unknown>, options: StepOptions = {}): SetStep {
  return compact({ id, description: options.description, type: 'set', values });
}

/** Pauses the run for a delay (`'P2D'`, `{ business_days: 2 }`) or until the time an expression gives. */
export function wait(id: string, until: { for: Delay } | { until: Expr }, options: StepOptions = {}): WaitStep {
  return compact({ id, description: options.description, type: 'wait', ...until });
}

/** Waits for a signal (an approval) or an external event, optionally with a deadline and a timeout path. */
export function waitFor(
  id: string,
  on: { signal: string } | { event: { name: QualifiedName; key: Expr } },
  options: StepOptions & Pick<WaitForStep, 'timeout' | 'on_timeout'> = {},
): WaitForStep {
  return compact({ id, description: options.description, type: 'wait_for', ...on, timeout: options.timeout, on_timeout: options.on_timeout });
}

/** Ends the run: `completed` by default. */
export function stop(id: string, options: StepOptions & Pick<StopStep, 'status' | 'reason'> = {}): StopStep {
  return compact({ id, description: options.description, type: 'stop', status: options.status, reason: options.reason });
}

/** Drops keys left undefined, so built steps look like hand-written JSON. */
function compact<T extends object>(step: T): T {
  return Object.fromEntries(Object.entries(step).filter(([, v]) => v !== undefined)) as T;
}
