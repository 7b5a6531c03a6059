import type { z } from 'zod';
import { WebhookDelivery } from './api-schemas.ts';

type Parsed = ReturnType<typeof WebhookDelivery.safeParse>;

/** The longest delivery id and event name WebhookDelivery accepts (its `.max(200)`). */
const MAX_NAME = 200;

/**
 * A delivery's envelope, as `WebhookDelivery.safeParse` answers it. The common delivery (an id, an
 * event, a data object, nothing else) is recognised by hand: the schema's parse copied every key of
 * `data`, which the event's own schema then parses again, and was about 2% of the replica's CPU per
 * run (issue 14). Whatever is not plainly such a delivery goes to the schema, so every refusal and
 * its message is the schema's; `occurred_at` too (its ISO check is the schema's). The data handed on
 * is the parsed JSON's own object, not a copy: the event's schema reads it, and nothing writes to it.
 */
export function parseWebhookDelivery(json: unknown): Parsed {
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const { id, event, data, occurred_at } = json as Record<string, unknown>;
    if (
      typeof id === 'string' && id.length >= 1 && id.length <= MAX_NAME && /\S/.test(id) &&
      typeof event === 'string' && event.length >= 1 && event.length <= MAX_NAME &&
      occurred_at === undefined &&
      data !== null && typeof data === 'object' && !Array.isArray(data) &&
      // The schema leaves an undeclared `__proto__` key out of its copy; the schema decides that case.
      !Object.hasOwn(data, '__proto__')
    ) {
      return { success: true, data: { id, event, data: data as z.infer<typeof WebhookDelivery>['data'] } } as Parsed;
    }
  }
  return WebhookDelivery.safeParse(json);
}
