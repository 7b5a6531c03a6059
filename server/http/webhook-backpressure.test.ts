import { afterEach, describe, expect, it } from 'vitest';
import type { RunId } from '../engine/ids.ts';
import { appFixture, approvalRecipe, type AppFixture } from './app-fixture.ts';

let fx: AppFixture;
afterEach(async () => fx?.close());

const delivery = (id: string) => ({ id, event: 'thing.happened', data: { id: `MDF-${id}` } });

/**
 * `GET /metrics` as an operator reads it. A scrape counts the due backlog afresh; between scrapes the
 * webhook route sees a count at most 200 ms old, so the tests scrape before they deliver.
 */
async function backlogMetrics(): Promise<{ runs: number; oldestAgeSeconds: number; refused: string }> {
  const text = await (await fx.app.request('/metrics')).text();
  // Every series is labelled with the replica's worker id.
  const value = (name: string) => Number(new RegExp(`^${name}\\{worker="${fx.engine.workerId}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
  return {
    runs: value('partnerflow_due_backlog_runs'),
    oldestAgeSeconds: value('partnerflow_due_backlog_oldest_age_seconds'),
    // The reasons no delivery was refused for show 0 from the start: the ones counted are said.
    refused: text.split('\n').filter((l) => l.startsWith('partnerflow_webhooks_refused_total') && !l.endsWith(' 0')).join('\n'),
  };
}

const runsOfDelivery = async (deliveryId: string) => (await fx.store.listRuns({ limit: 100 })).filter((r) => r.trigger.deliveryId === deliveryId);

describe('POST /webhooks/:source: backpressure', () => {
  it('refuses a delivery with 503 and Retry-After while MAX_DUE_BACKLOG runs are due, storing nothing; redelivered later it starts exactly one run', async () => {
    fx = await appFixture({ recipes: [approvalRecipe], config: { maxDueBacklog: 2 } });
    // A run waiting for an approval is not due: it is not part of the backlog.
    const first = await fx.deliver(delivery('d-1'));
    const waiting = ((await first.json()) as { run_ids: RunId[] }).run_ids[0]!;
    await fx.engine.runUntilIdle();
    const link = await fx.approvalLink(waiting);
    // The worker is not running: two runs are due and not started.
    expect((await fx.deliver(delivery('d-2'))).status).toBe(202);
    expect((await fx.deliver(delivery('d-3'))).status).toBe(202);
    expect(await backlogMetrics()).toMatchObject({ runs: 2, oldestAgeSeconds: 0 });

    const refused = await fx.deliver(delivery('d-4'));
    expect(refused.status).toBe(503);
    // From the backlog and the recent execution rate (backpressure.test.ts has the arithmetic): one
    // run started in the last five seconds, two due, about ten seconds; bounded to 1..60 either way.
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(10);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(((await refused.json()) as { error: string }).error).toBe(
      'the runtime is behind: 2 runs are due and not started (MAX_DUE_BACKLOG is 2); nothing was stored, deliver again later',
    );
    expect(await runsOfDelivery('d-4')).toEqual([]);
    expect((await backlogMetrics()).refused).toBe(`partnerflow_webhooks_refused_total{reason="backlog",worker="${fx.engine.workerId}"} 1`);

    // Meanwhile the operator API and approval clicks work.
    const runs = await fx.app.request('/runs?limit=10');
    expect(runs.status).toBe(200);
    expect(((await runs.json()) as { runs: unknown[] }).runs).toHaveLength(3);
    const click = await fx.app.request(link, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'approve' }) });
    expect(click.status).toBe(200);
    expect(await click.json()).toMatchObject({ outcome: 'decided' });

    // The runtime catches up; the sender delivers d-4 again and then once more (it never saw the 202).
    await fx.engine.runUntilIdle();
    expect((await backlogMetrics()).runs).toBe(0);
    const accepted = await fx.deliver(delivery('d-4'));
    expect(accepted.status).toBe(202);
    const again = await fx.deliver(delivery('d-4'));
    expect(await again.json()).toMatchObject({ duplicate: true, run_ids: ((await accepted.json()) as { run_ids: string[] }).run_ids });
    expect(await runsOfDelivery('d-4')).toHaveLength(1);
    expect((await fx.store.getRun(waiting))!.status).toBe('completed');
  });

  it('refuses a delivery while the oldest due run waits longer than MAX_DUE_AGE_MS, and accepts again once it started', async () => {
    fx = await appFixture({ config: { maxDueAgeMs: 5000 } });
    expect((await fx.deliver(delivery('d-1'))).status).toBe(202);
    fx.clock.advance(6000);
    expect(await backlogMetrics()).toMatchObject({ runs: 1, oldestAgeSeconds: 6 });

    const refused = await fx.deliver(delivery('d-2'));
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: string }).error).toMatch(/the oldest due run waits for 6000 ms \(MAX_DUE_AGE_MS is 5000\)/);
    expect(await runsOfDelivery('d-2')).toEqual([]);

    await fx.engine.runUntilIdle();
    expect(await backlogMetrics()).toMatchObject({ runs: 0, oldestAgeSeconds: 0 });
    expect((await fx.deliver(delivery('d-2'))).status).toBe(202);
    await fx.engine.runUntilIdle();
    expect(fx.system.effects.map((e) => e.key)).toEqual(['MDF-d-1', 'MDF-d-2']);
  });

  it('refuses before reading the body: an unsigned delivery also gets 503 while the runtime is behind', async () => {
    fx = await appFixture({ config: { maxDueBacklog: 1 } });
    expect((await fx.deliver(delivery('d-1'))).status).toBe(202);
    await backlogMetrics();
    const res = await fx.app.request('/webhooks/fake', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'not even json' });
    expect(res.status).toBe(503);
  });

  it('documents the 503 and its Retry-After on the webhook route', async () => {
    fx = await appFixture();
    const doc = (await (await fx.app.request('/openapi.json')).json()) as { paths: Record<string, { post: { responses: Record<string, { description: string }> } }> };
    expect(doc.paths['/webhooks/{source}']!.post.responses['503']!.description).toMatch(/MAX_DUE_BACKLOG.*MAX_DUE_AGE_MS.*Retry-After/);
  });
});
