import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { requestHeader } from './request-header.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** Repeated in the log lines and error answers of this request. */
    requestId: string;
  }
}

/** A sane id the caller sent (as hono/request-id accepts it), else a new UUID. */
const SANE_ID = /^[\w\-=]{1,255}$/;

/**
 * `X-Request-Id` on every request and answer, as hono/request-id does, but reading the header the
 * cheap way (request-header.ts).
 */
export function requestId(): MiddlewareHandler {
  return async (c, next) => {
    const given = requestHeader(c, 'x-request-id');
    const id = given !== undefined && SANE_ID.test(given) ? given : randomUUID();
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
  };
}
