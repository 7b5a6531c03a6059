import type { Context } from 'hono';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { STORE_UNAVAILABLE_RETRY_AFTER_SECONDS } from '../store/store-unavailable.ts';
import { pathForLog } from './errors.ts';

/** While requests keep being refused because the store cannot serve, how often that is said again (real ms). */
export const STORE_REFUSAL_REMINDER_MS = 60_000;

/**
 * Logs the requests (the runs API, the console, approval links) refused 503 because the store cannot
 * serve, and sets the answer's Retry-After. A console left open refreshes and API pollers ask again, so a line per request would be
 * thousands an hour (review 9, finding 4): the first refusal is said at once, then at most one line every
 * STORE_REFUSAL_REMINDER_MS, counting the refusals since the line before. At warn: the outage itself is
 * said at error, and its end at info, by the claim loop and /healthz (outage.ts); this says that people
 * and clients were turned away meanwhile. `now` is real time in ms (performance.now() by default).
 */
export function storeRefusalLog(log: Logger, now: () => number = () => performance.now()) {
  let lastLine = -Infinity;
  let lastRefused = -Infinity;
  let unlogged = 0;
  const say = (fields: Record<string, unknown>, message: string): void => {
    const at = now();
    // None refused for a minute: that outage is over (the claim loop and /healthz said so); its count
    // ends with it, so that the first line of the next one does not count the last one's refusals.
    if (at - lastRefused >= STORE_REFUSAL_REMINDER_MS) unlogged = 0;
    lastRefused = at;
    unlogged += 1;
    if (at - lastLine < STORE_REFUSAL_REMINDER_MS) return;
    const count = unlogged;
    lastLine = at;
    unlogged = 0;
    // One: the first of an outage (or the only one in a minute), said as it is.
    if (count === 1) return log.warn(fields, message);
    log.warn({ ...fields, refusedSinceLastLine: count }, `${message} (${count} requests of any kind refused since the last line about the store)`);
  };
  /**
   * One request refused: said as above (`each`: said every time, uncounted, for what is seldom and
   * matters each time), and its answer told when to try again; the caller writes the body.
   */
  return (c: Context, requestId: string | undefined, error: Error, message: string, options: { each?: boolean } = {}): void => {
    const fields = { requestId, method: c.req.method, path: pathForLog(c.req.path), error: error.message };
    if (options.each) log.warn(fields, message);
    else say(fields, message);
    c.header('Retry-After', String(STORE_UNAVAILABLE_RETRY_AFTER_SECONDS));
  };
}

export type StoreRefusalLog = ReturnType<typeof storeRefusalLog>;
