import type { Recipe } from '../../schemas/recipe.ts';
import { computedKey, keyWithoutData } from './computed-key.ts';
import { ExpressionError, evaluateExpression, type ExpressionEnv, type ExpressionScope } from './expression.ts';

type WebhookTrigger = Extract<Recipe['trigger'], { type: 'webhook' }>;

/** A trigger field whose expression failed for an event. */
export type TriggerField = 'trigger.filter' | 'trigger.dedup_key' | 'trigger.concurrency_key';

/** The name of a run's error when its recipe's trigger could not be computed for its event (kept with the store's, which refuses its retry). */
export { TRIGGER_EXPRESSION_ERROR } from '../store/store.ts';

/** What a recipe's webhook trigger says of one event. */
export type TriggerOutcome =
  | { kind: 'filtered-out' }
  /** `dedupKey` null: the trigger has none (one run per delivery); `concurrencyKey` null: none. */
  | { kind: 'run'; dedupKey: string | null; concurrencyKey: string | null }
  /** An expression threw, or a key computed nothing: the recipe's failure on this event, not the delivery's. */
  | { kind: 'failed'; field: TriggerField; expression: string; message: string };

/**
 * Evaluates a recipe's webhook trigger for an event: its filter, then its keys. An expression that
 * throws (`$contains(null, …)`) or a key that computes nothing (or a dedup_key that reads nothing of
 * the event: the same as for an event without data, computed-key.ts) is reported as `failed`, with a message
 * naming the recipe, the field and the expression, instead of thrown: one recipe's broken expression
 * must not refuse the delivery for the other recipes on its event.
 */
export async function evaluateWebhookTrigger(recipe: string, trigger: WebhookTrigger, scope: ExpressionScope & { trigger: unknown }, env: ExpressionEnv): Promise<TriggerOutcome> {
  const failed = (field: TriggerField, expression: string, what: string): TriggerOutcome => ({
    kind: 'failed',
    field,
    expression,
    message: `recipe ${recipe}: ${field} ${expression} ${what}; no step ran`,
  });
  const evaluate = async (field: TriggerField, expression: string): Promise<{ value: unknown } | TriggerOutcome> => {
    try {
      return { value: await evaluateExpression(expression, scope, env, scope.trigger) };
    } catch (error) {
      return failed(field, expression, `failed for this event: ${withoutSource(error, expression)}`);
    }
  };
  if (trigger.filter) {
    const passed = await evaluate('trigger.filter', trigger.filter);
    if (!('value' in passed)) return passed;
    if (!passed.value) return { kind: 'filtered-out' };
  }
  const keys = { dedupKey: null as string | null, concurrencyKey: null as string | null };
  const fields = [
    ['trigger.dedup_key', trigger.dedup_key, 'dedupKey', "so its run could not be told apart from other records' runs"],
    ['trigger.concurrency_key', trigger.concurrency_key, 'concurrencyKey', "so it cannot say which runs may not go on side by side"],
  ] as const;
  for (const [field, expression, name, consequence] of fields) {
    if (!expression) continue;
    const evaluated = await evaluate(field, expression);
    if (!('value' in evaluated)) return evaluated;
    const key = computedKey(evaluated.value);
    if ('nothing' in key) return failed(field, expression, `computes nothing (${key.nothing}) for this event, ${consequence}`);
    // A concurrency_key that reads nothing of the event holds runs back one at a time: slow, but nothing is lost.
    if (name === 'dedupKey' && key.key === (await keyWithoutData(expression, scope, (probe: ExpressionScope) => evaluateExpression(expression, probe, env, probe.trigger)))) {
      return failed(field, expression, `computes ${JSON.stringify(key.key)} for this event, as it would for an event without data: it reads nothing of the event (a field typo?), ${consequence}`);
    }
    keys[name] = key.key;
  }
  return { kind: 'run', ...keys };
}

/** An expression error's message without the ` in {% … %}` it ends with: the caller names the expression already. */
function withoutSource(error: unknown, expression: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const suffix = ` in ${expression}`;
  return error instanceof ExpressionError && message.endsWith(suffix) ? message.slice(0, -suffix.length) : message;
}
