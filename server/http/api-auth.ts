import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './app.ts';
import { jsonError } from './errors.ts';

/**
 * Guards the operator API (`/runs`, `/recipes`, `/timers`, `/metrics`) with `Authorization: Bearer
 * <PARTNERFLOW_API_TOKEN>`. Without a configured token (mock mode on a laptop) the API is open; the
 * configuration refuses to start outside mock mode without one.
 */
export function requireApiToken(apiToken: string | null): MiddlewareHandler<AppEnv> {
  const expected = apiToken === null ? null : digest(apiToken);
  return async (c, next) => {
    if (expected === null) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
    // Compare digests: equal lengths for timingSafeEqual, and no timing hint about the token's length.
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      c.header('WWW-Authenticate', 'Bearer realm="partnerflow"');
      return jsonError(c, 401, match ? 'the bearer token is not valid' : 'this endpoint needs Authorization: Bearer <PARTNERFLOW_API_TOKEN>');
    }
    return next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
