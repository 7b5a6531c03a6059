import type { Recipe } from '../../schemas/recipe.ts';
import { walkSteps } from '../recipes/walk-steps.ts';
import type { TriggerField } from './webhook-trigger.ts';
import { systemOf } from './worker-slots.ts';

/**
 * The labels a recipe's series can take, so that /metrics shows them at 0 from the start: a counter
 * born at 1 gives Prometheus's increase() no sample before it, and the first failure after a start
 * would never fire an alert.
 */

/** The trigger and cancel_on fields of a recipe whose computing can fail (partnerflow_recipe_trigger_errors_total). */
export function failingTriggerFields(recipe: Recipe): string[] {
  const fields: Array<TriggerField | 'trigger.cron' | 'trigger.timezone' | 'cancel_on.filter' | 'cancel_on.reason'> = [];
  const trigger = recipe.trigger;
  if (trigger.type === 'webhook') {
    if (trigger.filter !== undefined) fields.push('trigger.filter');
    if (trigger.dedup_key !== undefined) fields.push('trigger.dedup_key');
    if (trigger.concurrency_key !== undefined) fields.push('trigger.concurrency_key');
  }
  if (trigger.type === 'schedule') fields.push('trigger.cron', 'trigger.timezone');
  if (recipe.cancel_on?.filter !== undefined) fields.push('cancel_on.filter');
  if (recipe.cancel_on?.reason !== undefined) fields.push('cancel_on.reason');
  return fields;
}

/** The systems (connectors) the recipe's steps call, on_error's included (partnerflow_turns_parked_total). */
export function systemsCalled(recipe: Recipe): string[] {
  const systems = new Set<string>();
  for (const { step } of walkSteps(recipe)) if (step.type === 'action') systems.add(systemOf(step.action));
  return [...systems];
}
