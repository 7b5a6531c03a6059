import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { CommitOutcomeUnknownError, StoreUnavailableError } from '../store/store-unavailable.ts';
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

const STORE_UNAVAILABLE_ANSWER =
  'the store is unavailable: the delivery may have been stored (the store can fail after storing it, before answering); deliver the same event again after Retry-After under the SAME delivery id, which is recognised and answers the same runs; never under a new id, which would start its runs a second time';

/**
 * Review 9, finding 6: the 503 said "the delivery is not accepted", and the metric's help and the
 * README "nothing stored"; but a commit whose answer was lost (the connection gone after COMMIT was
 * sent) has stored the delivery. A sender that took "not stored" at its word and sent the event under
 * a new id would start its runs twice. The answer, the metric's help and the API description say it
 * may have been stored, and to repeat it under the same id.
 */
describe('a delivery refused 503 store_unavailable (review 9, finding 6)', () => {
  it('tells the sender it may have been stored and to deliver it again under the same id; the repeat answers the runs the lost commit stored', async () => {
    fx = await appFixture();
    const ingest = fx.store.ingest.bind(fx.store);
    let loseAnswer = true;
    // The commit goes through; its answer is lost with the connection.
    fx.store.ingest = async (delivery, runs) => {
      const result = await ingest(delivery, runs);
      if (!loseAnswer) return result;
      loseAnswer = false;
      throw new CommitOutcomeUnknownError(new Error('Connection terminated unexpectedly'));
    };
    const event = { id: 'd-lost', event: 'thing.happened', data: { id: 'MDF-1' } };
    const refused = await fx.deliver(event);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { error: string }).error).toBe(STORE_UNAVAILABLE_ANSWER);

    const stored = await fx.store.listRuns({ limit: 10 });
    expect(stored).toHaveLength(1);
    const again = await fx.deliver(event);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ delivery_id: 'd-lost', duplicate: true, run_ids: [stored[0]!.id] });
    expect(await fx.store.listRuns({ limit: 10 })).toHaveLength(1);
  });

  it('the metric and the API description say the same: may have been stored, repeat it under the same delivery id; backpressure stores nothing', async () => {
    fx = await appFixture();
    const metrics = await (await fx.app.request('/metrics')).text();
    const help = metrics.split('\n').find((l) => l.startsWith('# HELP partnerflow_webhooks_refused_total '))!;
    expect(help).toContain('MAX_DUE_AGE_MS (reason age), nothing stored');
    expect(help).toContain('the store could not serve (reason store_unavailable), which may have stored the delivery (a commit whose answer was lost), so the sender must retry it under the same delivery id, never a new one');
    const doc = (await (await fx.app.request('/openapi.json')).json()) as { paths: Record<string, { post: { responses: Record<string, { description: string }> } }> };
    const description = doc.paths['/webhooks/{source}']!.post.responses['503']!.description;
    expect(description).toContain('MAX_DUE_AGE_MS. Nothing was stored');
    expect(description).toContain('Then the delivery MAY have been stored');
    expect(description).toContain('deliver it again under the SAME delivery id, which is deduplicated');
    expect(description).toContain('never under a new id');
  });
});

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
      fields: { failures: 300, forMs: 600_000, workedMeanwhile: 3, workedAgainAt: expect.any(String) },
    });
    // Said 30 s after deliveries were first stored again: the line names that time on the wall clock.
    const workedAgainAt = Date.parse(lines[10]!.fields.workedAgainAt as string);
    expect(Math.abs(Date.now() - 30_000 - workedAgainAt)).toBeLessThan(5_000);
  });
});
