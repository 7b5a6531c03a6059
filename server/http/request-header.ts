import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/**
 * A request header. On @hono/node-server it is read from Node's IncomingMessage: `c.req.header()`
 * there makes the adapter build a whole web `Headers` object from the raw headers first, which cost
 * the webhook route more than checking its signature. Requests made in process (`app.request` in
 * tests) have no IncomingMessage and go through Hono.
 */
export function requestHeader(c: Context, lowerCaseName: string): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) return c.req.header(lowerCaseName);
  const value = incoming.headers[lowerCaseName];
  return Array.isArray(value) ? value.join(', ') : value;
}
