import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { issuesOf, summarizeIssues, type Issue } from '../../schemas/format-issues.ts';
import type { AppEnv } from './app.ts';
import { StoreUnavailableError } from '../store/store-unavailable.ts';
import type { StoreRefusalLog } from './store-refusal-log.ts';

/** The one JSON error shape of the API: `{ error, issues? }`. */
export function jsonError(c: Context, status: ContentfulStatusCode, error: string, issues?: Issue[]): Response {
  return c.json(issues ? { error, issues } : { error }, status);
}

export function validationError(c: Context, what: string, error: z.ZodError): Response {
  const issues = issuesOf(error);
  return jsonError(c, 400, `${what} is not valid: ${summarizeIssues(issues)}`, issues);
}

/**
 * Approval links carry their token in the path: it is a working credential, so it never reaches a log.
 */
export function pathForLog(path: string): string {
  return path.replace(/^\/approvals\/[^/?]+/, '/approvals/[redacted]');
}

/**
 * Anything a handler throws ends here: the client gets a JSON error with the request id and never a
 * stack trace or an internal message (which might carry a secret or a connection string); the log
 * gets the detail under the same request id. A store that cannot serve is a 503, its refusals logged
 * at most once a minute (store-refusal-log.ts).
 */
export function errorHandler(log: Logger, storeRefused: StoreRefusalLog): ErrorHandler<AppEnv> {
  return (error, c) => {
    const requestId = c.get('requestId');
    if (error instanceof HTTPException && error.status < 500) {
      return c.json({ error: error.message || 'bad request', requestId }, error.status);
    }
    // PostgreSQL is away (a restart, a failover): the request may be repeated once it is back.
    if (error instanceof StoreUnavailableError) {
      storeRefused(c, requestId, error, 'request refused: the store is unavailable');
      return c.json({ error: 'the store is unavailable; try again shortly', requestId }, 503);
    }
    log.error(
      { requestId, method: c.req.method, path: pathForLog(c.req.path), error: { name: error.name, message: error.message, stack: error.stack } },
      'request failed',
    );
    return c.json({ error: 'internal error: the request was not completed; see the server log for this request id', requestId }, 500);
  };
}

export const notFoundHandler: NotFoundHandler<AppEnv> = (c) => {
  const path = c.req.path;
  // A link a mail client or a person ended with a slash (an approval link, a console page) is the same
  // page without it. The URL's own path, still percent-encoded (with `\` read as `/`, as browsers do),
  // and never to `//host`: that would send the browser to another site.
  const url = new URL(c.req.url);
  const trimmed = url.pathname.replace(/\/+$/, '');
  if ((c.req.method === 'GET' || c.req.method === 'HEAD') && trimmed !== url.pathname && /^\/[^/]/.test(trimmed)) {
    return c.redirect(trimmed + url.search, 301);
  }
  // Someone opening a webhook URL in a browser, or a sender configured with another method.
  if (/^\/webhooks\/[^/]+$/.test(path)) {
    c.header('Allow', 'POST');
    return jsonError(c, 405, `${c.req.method} ${pathForLog(path)}: webhooks are delivered with POST (a signed JSON body), nothing else`);
  }
  return jsonError(c, 404, `no route ${c.req.method} ${pathForLog(path)}`);
};
