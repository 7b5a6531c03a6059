import { afterEach, describe, expect, it } from 'vitest';
import { capturingLogger } from '../../connectors/kit/action-test-context.ts';
import { recipeWith } from '../../test/support/engine-fixture.ts';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { appFixture, type AppFixture } from './app-fixture.ts';

/**
 * A delivery id names one event. The sender's retry of it (the same event, byte for byte or written
 * out again) is a duplicate: 202, the first run ids, nothing new. The same id with another event (a
 * sender that reuses ids) is refused with 409, so the sender learns that this event was not taken,
 * instead of a "duplicate" that silently drops it. On both stores.
 */

const PRIVATE = 'Partner bank account DE89 3704 0044';

/** Waits a day, then records: a run that an event's cancel_on can still reach. */
const waitingRecipe = recipeWith(
  [
    { id: 'pause', type: 'wait', for: 'P1D' },
    { id: 'after', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.status %}' } },
  ],
  { cancel_on: { event: 'fake.thing.happened', filter: "{% data.status = 'Canceled' %}" } },
);

const reusedMessage = (id: string) =>
  `delivery id "${id}" of source fake was already used for a different event: this delivery started nothing and changed nothing (the first event stays as it was); a new event needs a new delivery id`;

const stores: Array<[string, () => Promise<Store>]> = [
  ['SQLite', () => openSqliteStore({ path: ':memory:' })],
  ['PostgreSQL', () => openTestPostgresStore()],
];

describe.each(stores)('POST /webhooks/:source, a delivery id used again (%s)', (_name, openStore) => {
  let fx: AppFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  const post = async (text: string) => {
    const res = await fx!.deliver(text);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const refusedCount = async () => {
    const text = await (await fx!.app.request('/metrics')).text();
    return text.split('\n').find((l) => l.startsWith('partnerflow_webhooks_refused_total{reason="delivery_id_reused",')) ?? 'none';
  };

  it('the same body again (a sender’s retry) is a duplicate: 202 with the first run ids, one run', async () => {
    fx = await appFixture({ recipes: [waitingRecipe], store: await openStore() });
    const text = JSON.stringify({ id: 'd-1', event: 'thing.happened', data: { id: 'T-1', status: 'new' } });
    const first = await post(text);
    const again = await post(text);
    expect(first).toEqual({ status: 202, body: { delivery_id: 'd-1', duplicate: false, run_ids: [expect.stringMatching(/^run_/)] } });
    expect(again).toEqual({ status: 202, body: { delivery_id: 'd-1', duplicate: true, run_ids: first.body.run_ids } });
    expect(await fx.store.listRuns({ limit: 10 })).toHaveLength(1);
  });

  it('the same event written out again (keys in another order, other spacing, escapes) is the same delivery: a duplicate', async () => {
    fx = await appFixture({ recipes: [waitingRecipe], store: await openStore() });
    const first = await post('{"id":"d-2","event":"thing.happened","data":{"id":"T-2","status":"new","amount":1000,"note":"é"}}');
    // As a relay that keeps deliveries as jsonb and sends them again would: keys reordered, spaced, escaped.
    const again = await post('{\n  "data": { "note": "\\u00e9", "amount": 1000.0, "status": "new", "id": "T-2" },\n  "event": "thing.happened",\n  "id": "d-2"\n}');
    expect(first.status).toBe(202);
    expect(again).toEqual({ status: 202, body: { delivery_id: 'd-2', duplicate: true, run_ids: first.body.run_ids } });
    expect(await fx.store.listRuns({ limit: 10 })).toHaveLength(1);
  });

  it('the same id with a different event is refused with 409 naming the id; nothing is started or changed, and the first event’s run goes on untouched', async () => {
    const log = capturingLogger();
    fx = await appFixture({ recipes: [waitingRecipe], store: await openStore(), log });
    const firstText = JSON.stringify({ id: 'd-3', event: 'thing.happened', data: { id: 'T-3', status: 'new' } });
    const first = await post(firstText);
    await fx.engine.runUntilIdle();
    const [runId] = first.body.run_ids as string[];
    expect((await fx.store.getRun(runId as never))?.status).toBe('waiting');

    // Another event under the same id: were it taken as the duplicate it claims to be, its cancel_on would cancel the run.
    const reused = await post(JSON.stringify({ id: 'd-3', event: 'thing.happened', data: { id: 'T-3', status: 'Canceled', note: PRIVATE } }));
    expect(reused).toEqual({ status: 409, body: { error: reusedMessage('d-3') } });

    const runs = await fx.store.listRuns({ limit: 10 });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ id: runId, status: 'waiting', trigger: { deliveryId: 'd-3', data: { id: 'T-3', status: 'new' } } });
    // The first event is still the one its id names: its retry is a duplicate, and its run acts on it.
    expect(await post(firstText)).toEqual({ status: 202, body: { delivery_id: 'd-3', duplicate: true, run_ids: [runId] } });
    fx.clock.advance(86_400_000);
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId as never))?.status).toBe('completed');
    expect(fx.system.effects.map((e) => e.key)).toEqual(['new']);

    // One warn line naming the delivery, never its body; and a count an operator can alert on.
    const warned = log.lines.filter((l) => l.level === 'warn');
    expect(warned).toEqual([
      {
        level: 'warn',
        fields: expect.objectContaining({ source: 'fake', deliveryId: 'd-3', status: 409, reason: reusedMessage('d-3') }),
        message: `webhook refused: fake delivery d-3 answered 409: ${reusedMessage('d-3')}`,
      },
    ]);
    expect(log.text()).not.toContain(PRIVATE);
    expect(await refusedCount()).toBe(`partnerflow_webhooks_refused_total{reason="delivery_id_reused",worker="${fx!.engine.workerId}"} 1`);
  });

  it('two different events under one id sent together: one is accepted, the other gets 409; one run', async () => {
    fx = await appFixture({ recipes: [waitingRecipe], store: await openStore() });
    const answers = await Promise.all(['a', 'b'].map((v) => post(JSON.stringify({ id: 'd-4', event: 'thing.happened', data: { id: 'T-4', status: 'new', variant: v } }))));
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    const accepted = answers.find((a) => a.status === 202)!;
    expect(accepted.body).toMatchObject({ duplicate: false });
    expect(answers.find((a) => a.status === 409)!.body).toEqual({ error: reusedMessage('d-4') });
    const runs = await fx.store.listRuns({ limit: 10 });
    expect(runs.map((r) => r.id)).toEqual(accepted.body.run_ids);
  });
});
