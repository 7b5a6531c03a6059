import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { engineFixture, recipeWith, silentLog, type EngineFixture } from '../../test/support/engine-fixture.ts';

/**
 * A recipe's trigger expression that fails on an event (it throws, or a key computes nothing) is that
 * recipe's failure, never the delivery's (review3, findings 2 and 3): the delivery is stored with the
 * other recipes' runs and accepted, and the failing recipe gets a failed run an operator sees in the
 * console, with the event's data and the expression that failed. A key that computes nothing used to be
 * stored as the text "undefined", joining every later delivery to the first run (events lost); a filter
 * that threw made every delivery of the event a 500, starting no recipe at all.
 */
const open: EngineFixture[] = [];
afterEach(async () => {
  for (const fx of open.splice(0)) await fx.close();
});

const note = [{ id: 'note', type: 'action', action: 'fake.record', input: { key: '{% $trigger.data.id %}' } }] as never;
const deliver = (fx: EngineFixture, id: string, data: Record<string, unknown> = {}) =>
  fx.engine.deliver({ source: 'fake', deliveryId: `d-${id}`, event: 'thing.happened', data: { id, ...data } });

function capturingLog(): { log: Logger; errors: Array<Record<string, unknown>> } {
  const errors: Array<Record<string, unknown>> = [];
  const log = { ...silentLog, error: (fields: Record<string, unknown>, msg: string) => void errors.push({ ...fields, msg }) } as Logger;
  return { log, errors };
}

async function metric(fx: EngineFixture, recipe: string, field: string): Promise<string | undefined> {
  return (await fx.engine.metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`partnerflow_recipe_trigger_errors_total{recipe="${recipe}",field="${field}",worker="${fx.engine.workerId}"}`));
}

describe('a trigger key that computes nothing', () => {
  it.each([
    ['undefined (a field typo)', '{% data.idd %}', {}, 'undefined'],
    ['null', '{% data.reason %}', { reason: null }, 'null'],
    ['an empty text', '{% data.reason %}', { reason: '' }, 'an empty text'],
  ])('dedup_key computing %s gives each delivery a failed run of its own, naming the recipe and the key', async (_, dedupKey, data, nothing) => {
    const fx = await engineFixture([recipeWith(note, { name: 'typo-key', trigger: { type: 'webhook', event: 'fake.thing.happened', dedup_key: dedupKey } })]);
    open.push(fx);
    const runIds = [];
    for (const id of ['T-1', 'T-2', 'T-3']) runIds.push(...(await deliver(fx, id, data)).runIds);
    await fx.engine.runUntilIdle();

    expect(new Set(runIds).size).toBe(3);
    const runs = await Promise.all(runIds.map((id) => fx.store.getRun(id)));
    expect(runs.map((r) => [(r!.trigger.data as { id: string }).id, r!.status])).toEqual([['T-1', 'failed'], ['T-2', 'failed'], ['T-3', 'failed']]);
    expect(runs[0]!.error).toEqual({
      name: 'TriggerExpressionError',
      message: `recipe typo-key: trigger.dedup_key ${dedupKey} computes nothing (${nothing}) for this event, so its run could not be told apart from other records' runs; no step ran`,
    });
    expect(fx.system.effects).toEqual([]);
    expect(await metric(fx, 'typo-key', 'trigger.dedup_key')).toMatch(/ 3$/);
  });

  it("dedup_key with a prefix that reads nothing of the event ('p:' & a field typo) fails each delivery's run too: it is 'p:' for every event (review8 F2)", async () => {
    const fx = await engineFixture([recipeWith(note, { name: 'typo-key', trigger: { type: 'webhook', event: 'fake.thing.happened', dedup_key: "{% 'p:' & data.idd %}" } })]);
    open.push(fx);
    const runIds = [];
    for (const id of ['T-1', 'T-2']) runIds.push(...(await deliver(fx, id)).runIds);
    await fx.engine.runUntilIdle();
    expect(new Set(runIds).size).toBe(2);
    expect(await fx.store.getRun(runIds[1]!)).toMatchObject({
      status: 'failed',
      error: {
        name: 'TriggerExpressionError',
        message: `recipe typo-key: trigger.dedup_key {% 'p:' & data.idd %} computes "p:" for this event, as it would for an event without data: it reads nothing of the event (a field typo?), so its run could not be told apart from other records' runs; no step ran`,
      },
    });
    expect(fx.system.effects).toEqual([]);
  });

  it('a key that reads the event is kept when an optional field it also reads is absent', async () => {
    const fx = await engineFixture([recipeWith(note, { name: 'optional-part', trigger: { type: 'webhook', event: 'fake.thing.happened', dedup_key: "{% 'p:' & data.id & '@' & data.updated %}" } })]);
    open.push(fx);
    const first = await deliver(fx, 'T-1');
    const again = await deliver(fx, 'T-1');
    const other = await deliver(fx, 'T-2');
    await fx.engine.runUntilIdle();
    expect(again.runIds).toEqual(first.runIds);
    expect(other.runIds).not.toEqual(first.runIds);
    expect((await fx.store.getRun(other.runIds[0]!))!.status).toBe('completed');
  });

  it('is not retried (it would fail the same way: the run keeps the recipe it started with), as the console offers no retry for it', async () => {
    const fx = await engineFixture([recipeWith(note, { trigger: { type: 'webhook', event: 'fake.thing.happened', dedup_key: '{% data.idd %}' } })]);
    open.push(fx);
    const { runIds } = await deliver(fx, 'T-1');
    await fx.engine.runUntilIdle();
    const refused = { retried: false, refusal: { refused: 'trigger-failed' } };
    expect(await fx.engine.retry(runIds[0]!)).toEqual(refused);
    // Nor on the recipe version served now: the run has no keys to go on with.
    expect(await fx.engine.retryOnCurrentVersion(runIds[0]!)).toEqual(refused);
    expect(await fx.store.getRun(runIds[0]!)).toMatchObject({ status: 'failed', error: { name: 'TriggerExpressionError' } });
  });

  it('concurrency_key computing nothing never joins or holds back a delivery of another record behind the first run', async () => {
    const fx = await engineFixture([
      recipeWith([{ id: 'hold', type: 'wait', for: 'P1D' }, ...(note as unknown[])] as never, { trigger: { type: 'webhook', event: 'fake.thing.happened', concurrency_key: '{% data.idd %}' } }),
    ]);
    open.push(fx);
    const first = await deliver(fx, 'T-1');
    const second = await deliver(fx, 'T-2');
    await fx.engine.runUntilIdle();
    expect(second.runIds).not.toEqual(first.runIds);
    expect((await fx.store.getRun(second.runIds[0]!))).toMatchObject({
      status: 'failed',
      error: { message: expect.stringMatching(/^recipe test-recipe: trigger\.concurrency_key \{% data\.idd %\} computes nothing \(undefined\) for this event/) },
    });
  });
});

describe("a trigger filter that throws", () => {
  it("is that recipe's failed run: the delivery is accepted and the other recipes on the event start", async () => {
    const { log, errors } = capturingLog();
    const fx = await engineFixture(
      [
        recipeWith(note, { name: 'filter-throws', trigger: { type: 'webhook', event: 'fake.thing.happened', filter: "{% $contains(data.reason, 'urgent') %}" } }),
        recipeWith(note, { name: 'plain' }),
      ],
      { log },
    );
    open.push(fx);
    const { runIds } = await deliver(fx, 'T-1', { reason: null });
    await fx.engine.runUntilIdle();

    expect(runIds).toHaveLength(2);
    expect((await fx.store.listRuns({ recipe: 'plain', limit: 10 })).map((r) => r.status)).toEqual(['completed']);
    expect(fx.system.effects.map((e) => e.key)).toEqual(['T-1']);
    const [failed] = await fx.store.listRuns({ recipe: 'filter-throws', limit: 10 });
    expect(failed).toMatchObject({ status: 'failed', error: { name: 'TriggerExpressionError' } });
    expect(failed!.error!.message).toMatch(/^recipe filter-throws: trigger\.filter \{% \$contains\(data\.reason, 'urgent'\) %\} failed for this event: .+; no step ran$/);
    expect(errors).toContainEqual(
      expect.objectContaining({ recipe: 'filter-throws', field: 'trigger.filter', expression: "{% $contains(data.reason, 'urgent') %}", event: 'fake.thing.happened', deliveryId: 'd-T-1' }),
    );
    expect(await metric(fx, 'filter-throws', 'trigger.filter')).toMatch(/ 1$/);
  });
});

describe('a cancel_on expression that throws', () => {
  const waiting = (name: string, cancelOn: Record<string, unknown>) =>
    recipeWith([{ id: 'decision', type: 'wait', for: 'P5D' }] as never, {
      name,
      trigger: { type: 'webhook', event: 'fake.thing.happened', filter: "{% $not(data.status = 'Canceled') %}" },
      cancel_on: { event: 'fake.thing.happened', ...cancelOn },
    } as never);

  it("leaves that recipe's run as it is, logged and counted; the event still cancels the other recipes' runs, and a redelivery is accepted", async () => {
    const { log, errors } = capturingLog();
    const fx = await engineFixture(
      [waiting('watch', { filter: "{% $contains(data.reason, 'duplicate') %}" }), waiting('approval', { filter: "{% data.status = 'Canceled' %}" })],
      { log },
    );
    open.push(fx);
    const started = await deliver(fx, 'T-1');
    await fx.engine.runUntilIdle();
    const cancel = { source: 'fake', deliveryId: 'cancel-1', event: 'thing.happened', data: { id: 'T-1', status: 'Canceled', reason: null } };
    await fx.engine.deliver(cancel);
    await fx.engine.deliver(cancel);
    await fx.engine.runUntilIdle();

    const status = async (recipe: string) => (await fx.store.listRuns({ recipe, limit: 10 })).map((r) => r.status);
    expect(await status('approval')).toEqual(['canceled']);
    expect(await status('watch')).toEqual(['waiting']);
    const [watchRun] = await fx.store.listRuns({ recipe: 'watch', limit: 10 });
    expect(started.runIds).toContain(watchRun!.id);
    expect(errors).toContainEqual(
      expect.objectContaining({ recipe: 'watch', runId: watchRun!.id, field: 'cancel_on.filter', expression: "{% $contains(data.reason, 'duplicate') %}", deliveryId: 'cancel-1' }),
    );
    expect(await metric(fx, 'watch', 'cancel_on.filter')).toMatch(/ 2$/);
  });

  it('a reason that throws still cancels the run, with the default reason', async () => {
    const fx = await engineFixture([waiting('approval', { filter: "{% data.status = 'Canceled' %}", reason: "{% $uppercase(data.reason) & $contains(data.reason, 'x') %}" })]);
    open.push(fx);
    await deliver(fx, 'T-1');
    await fx.engine.runUntilIdle();
    await fx.engine.deliver({ source: 'fake', deliveryId: 'cancel-1', event: 'thing.happened', data: { id: 'T-1', status: 'Canceled', reason: null } });
    const [run] = await fx.store.listRuns({ recipe: 'approval', limit: 10 });
    expect(run).toMatchObject({ status: 'canceled' });
    expect(await metric(fx, 'approval', 'cancel_on.reason')).toMatch(/ 1$/);
  });
});

describe('a wait_for event key that computes nothing', () => {
  it('fails its step naming the key: the run used to wait for an event keyed "undefined", which never comes, until its timeout', async () => {
    const fx = await engineFixture([
      recipeWith([{ id: 'answer', type: 'wait_for', event: { name: 'fake.thing.happened', key: '{% $trigger.data.idd %}' }, timeout: 'P2D' }, ...(note as unknown[])] as never),
    ]);
    open.push(fx);
    const { runIds } = await deliver(fx, 'T-1');
    await fx.engine.runUntilIdle();
    expect(await fx.store.getRun(runIds[0]!)).toMatchObject({
      status: 'failed',
      error: { stepKey: 'answer', message: 'wait_for answer: its event key {% $trigger.data.idd %} computes nothing (undefined), so no event could answer it' },
    });
  });
});
