import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { StoreUnavailableError } from '../store/store-unavailable.ts';
import { appFixture, type AppFixture } from './app-fixture.ts';

/**
 * A delivery refused 503 `store_unavailable`, as its sender and the operator see it. The store here is
 * SQLite with its ingest made to fail as PostgreSQL's does when it cannot serve.
 */
let fx: AppFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

interface Line {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** The lines of the log at info and above, as an operator reads them. */
function recordingLog(): { log: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (fields: object, message = '') => void lines.push({ level, message, fields: fields as Record<string, unknown> });
  return { log: { debug() {}, info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/**
 * Review 9, finding 4: each delivery refused because the store could not serve was a warn line (at most
 * one a second): an hour's outage, thousands. Here the store fails every ingest for ten minutes of the
 * log's clock while a sender delivers every 2 s, then serves again.
 */
describe('deliveries refused while the store cannot serve, in the log (review 9, finding 4)', () => {
  it('one error line when the first is refused, a reminder a minute with how many and for how long, and one info line once deliveries have been stored for 30 s', async () => {
    const { log, lines } = recordingLog();
    let now = 0;
    fx = await appFixture({ log, realNow: () => now });
    const ingest = fx.store.ingest.bind(fx.store);
    let down = true;
    fx.store.ingest = (delivery, runs) => (down ? Promise.reject(new StoreUnavailableError('connect ECONNREFUSED 10.0.0.5:5432')) : ingest(delivery, runs));
    const deliver = (id: string) => fx!.deliver({ id, event: 'thing.happened', data: { id } }, { headers: { 'x-request-id': `req-${id}` } });

    for (let i = 0; now < 600_000; i++, now += 2_000) expect((await deliver(`o-${i}`)).status).toBe(503);
    const error = 'the store is unavailable: connect ECONNREFUSED 10.0.0.5:5432';
    const refusal = (id: string) => ({ requestId: `req-${id}`, source: 'fake', deliveryId: id, status: 503, reason: 'store_unavailable', error });
    expect(lines[0]).toEqual({
      level: 'error',
      message: 'webhook deliveries refused 503 store_unavailable: the store cannot serve; senders are told to deliver them again under the same delivery id after Retry-After',
      fields: refusal('o-0'),
    });
    // 300 refusals: a reminder at 1, 2 … 9 minutes, never two within one.
    expect(lines.slice(1)).toEqual(
      Array.from({ length: 9 }, (_, m) => ({
        level: 'warn',
        message: 'webhook deliveries still refused 503 store_unavailable: the store cannot serve',
        fields: { ...refusal(`o-${(m + 1) * 30}`), failures: (m + 1) * 30 + 1, forMs: (m + 1) * 60_000 },
      })),
    );

    // Stored again: not said over at the first 202 (a store that fails every other commit would print a
    // start and an end per request), but once deliveries have been stored for 30 s since the last 503.
    down = false;
    for (const [i, at] of [600_000, 610_000, 620_000].entries()) {
      now = at;
      expect((await deliver(`after-${i}`)).status).toBe(202);
    }
    expect(lines).toHaveLength(10);
    now = 630_000;
    expect((await deliver('after-3')).status).toBe(202);
    expect(lines).toHaveLength(11);
    expect(lines[10]).toEqual({
      level: 'info',
      message: 'webhook deliveries are stored again, after 300 refused 503 store_unavailable',
      fields: { failures: 300, forMs: 600_000, workedMeanwhile: 3 },
    });
  });
});
