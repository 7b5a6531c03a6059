import { z } from 'zod';
import type { ActionDefinition } from '../../connectors/kit/define-connector.ts';
import type { Finding } from './recipe-problem.ts';

/**
 * A `poll` trigger's action must be a poll action (connectors/kit/poll-page.ts): it takes the
 * watermark as `since`, which the runtime sets at each poll, so a recipe may not set it itself.
 */
export function checkPollAction(name: string, definition: ActionDefinition, input: unknown): Finding[] {
  if (!takesSince(definition.input)) {
    return [{ path: ['trigger', 'action'], message: `${name} cannot be polled: it has no \`since\` input to take the watermark (a poll action takes since and page and answers { items, next_page })` }];
  }
  if (input && typeof input === 'object' && 'since' in input) {
    return [{ path: ['trigger', 'input', 'since'], message: "since is the watermark, set by the poll runtime at each poll; remove it from the recipe's input" }];
  }
  return [];
}

/** Whether the input schema has a `since` field (in any option of a union). */
function takesSince(schema: z.ZodType): boolean {
  if (schema instanceof z.ZodObject) return 'since' in (schema.shape as Record<string, unknown>);
  if (schema instanceof z.ZodUnion) return (schema.options as z.ZodType[]).some(takesSince);
  return false;
}
