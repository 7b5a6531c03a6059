import { formatPath, type Issue } from '../../schemas/format-issues.ts';

/**
 * The shape limits of a webhook delivery, part of the HTTP contract (README "HTTP API", the OpenAPI
 * description of `POST /webhooks/:source`). They bound what a signed sender can make the runtime store
 * and walk: a body of 1 MB nested 10,000 levels deep overflowed the stack when it was stored. The body's
 * size is bounded by MAX_BODY_BYTES, and so is a string value: free text of a business record (an MDF
 * request's Description, a pasted agenda) is the partner's and may run to the body's size (review 6: a
 * limit of 10,000 characters on every string lost a request for good). What a value becomes a key of
 * is bounded where it does: the delivery id (200, WebhookDelivery), a record's key (the correlation key)
 * and a run's dedup and concurrency keys (MAX_DEDUP_KEY_LENGTH, the engine).
 */
export const DELIVERY_LIMITS = {
  /** Objects and arrays inside one another, counting the delivery itself (its `data` is level 2). */
  maxDepth: 32,
  /** Characters of any object key. */
  maxKeyLength: 200,
} as const;

type DeliveryLimits = { readonly [K in keyof typeof DELIVERY_LIMITS]: number };

/**
 * The first place where a parsed JSON value breaks a limit, as an issue naming its path and the limit,
 * or null. The walk keeps its own stack, so however deep the value it cannot overflow the call stack,
 * and it stops going deeper at the depth limit.
 */
export function deliveryLimitIssue(value: unknown, limits: DeliveryLimits = DELIVERY_LIMITS): Issue | null {
  const pending: Array<{ value: unknown; path: PropertyKey[] }> = [{ value, path: [] }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value: current, path } = next;
    if (current === null || typeof current !== 'object') continue;
    // `path` holds the keys leading here, so this container sits at level path.length + 1.
    if (path.length + 1 > limits.maxDepth) return issue(path, `nested more than ${limits.maxDepth} levels deep (objects and arrays)`);
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push({ value: current[i], path: [...path, i] });
      continue;
    }
    for (const key of Object.keys(current)) {
      if (key.length > limits.maxKeyLength) {
        return issue(path, `a key of ${key.length} characters ("${key.slice(0, 20)}..."), longer than the limit of ${limits.maxKeyLength}`);
      }
      pending.push({ value: (current as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return null;
}

function issue(path: readonly PropertyKey[], message: string): Issue {
  return { path: path.length === 0 ? '$' : formatPath(path), message };
}
