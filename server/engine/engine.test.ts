import { afterEach, describe, expect, it, vi } from 'vitest';
import { engineFixture, permanentError, recipeWith, retryableError, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { hashApprovalToken } from '../../connectors/approval/approval-token.ts';
import { NetworkError, RateLimitError, ServerError, TimeoutError } from '../../connectors/kit/http-errors.ts';
import { asRunId, asStepKey } from './ids.ts';
import { WorkerSlots } from './worker-slots.ts';

let fx: EngineFixture;
/** Engines a test started beside `fx` on its store (a restart, an upgrade, a second process). */
const others: EngineFixture[] = [];
afterEach(async () => {
  vi.useRealTimers();
  // Their store is `fx`'s: stop their engines, then close it once, with `fx`.
  for (const other of others.splice(0)) await other.engine.stop();
  await fx?.close();
});

/** Another engine on `fx`'s store, stopped after the test. */
async function anotherEngine(...[recipes, options]: Parameters<typeof engineFixture>): Promise<EngineFixture> {
  const other = await engineFixture(recipes, { ...options, store: fx.store });
  others.push(other);
  return other;
}

const deliver = (id = 'd-1', data: Record<string, unknown> = { id: 'T-1' }) =>
  fx.engine.deliver({ source: 'fake', deliveryId: id, event: 'thing.happened', data });

async function runOf(id: string) {
  const run = await fx.store.getRun(asRunId(id));
  const journal = await fx.store.getJournal(asRunId(id));
  return { run: run!, journal, step: (key: string) => journal.find((e) => e.stepKey === key) };
}

describe('engine: a run from delivery to completion', () => {
  it('persists the run before the delivery resolves, then executes steps in order with mapped input', async () => {
    fx = await engineFixture([
      recipeWith([
        { id: 'first', type: 'action', action: 'fake.record', input: { key: 'a', value: '{% trigger.data.id %}' } },
        { id: 'second', type: 'action', action: 'fake.record', input: { key: 'b', value: '{% steps.first.recorded %}' } },
      ]),
    ]);
    const { runIds, duplicate } = await deliver();
    expect(duplicate).toBe(false);
    expect((await runOf(runIds[0]!)).run.status).toBe('queued');
    await fx.engine.runUntilIdle();
    const { run, journal } = await runOf(runIds[0]!);
    expect(run.status).toBe('completed');
    expect(fx.system.effects).toEqual([
      { key: 'a', value: 'T-1' },
      { key: 'b', value: `a@${runIds[0]}:first` },
    ]);
    expect(journal.map((e) => [e.stepKey, e.status, e.attempts])).toEqual([
      ['first', 'completed', 1],
      ['second', 'completed', 1],
    ]);
  });

  it('makes one run of the same delivery delivered twice, also concurrently', async () => {
    fx = await engineFixture([recipeWith([{ id: 'only', type: 'action', action: 'fake.record', input: { key: 'x' } }])]);
    const results = await Promise.all([deliver('same'), deliver('same'), deliver('same')]);
    expect(new Set(results.flatMap((r) => r.runIds)).size).toBe(1);
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toHaveLength(1);
  });

  it('honours a recipe dedup key across different deliveries', async () => {
    fx = await engineFixture([
      recipeWith([{ id: 'only', type: 'action', action: 'fake.record', input: { key: 'x' } }], {
        trigger: { type: 'webhook', event: 'fake.thing.happened', dedup_key: '{% data.id %}' },
      }),
    ]);
    const a = await deliver('d-1');
    const b = await deliver('d-2');
    expect(a.runIds).toHaveLength(1);
    expect(b.runIds).toEqual(a.runIds);
    expect((await fx.store.listRuns({ limit: 10 })).map((r) => r.id)).toEqual(a.runIds);
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toHaveLength(1);
  });

  it('concurrency_key: an event with another dedup key is held back while the run of its concurrency key has not finished, then runs its steps; a redelivery answers the run it made', async () => {
    fx = await engineFixture([
      recipeWith(
        [
          { id: 'pause', type: 'wait', for: 'PT1H' },
          { id: 'note', type: 'action', action: 'fake.record', input: { key: 'note', value: "{% trigger.data.id & '@' & trigger.data.stamp %}" } },
        ],
        { trigger: { type: 'webhook', event: 'fake.thing.happened', dedup_key: "{% data.id & '@' & data.stamp %}", concurrency_key: '{% data.id %}' } },
      ),
    ]);
    const first = await deliver('d-1', { id: 'T-8', stamp: '1' });
    const second = await deliver('d-2', { id: 'T-8', stamp: '2' });
    expect(second.runIds).not.toEqual(first.runIds);
    expect(second.heldBack).toEqual([{ runId: second.runIds[0], behind: first.runIds[0] }]);
    await fx.engine.runUntilIdle();
    // The held run has not started: only the first one waits, and only it recorded nothing yet.
    expect((await runOf(second.runIds[0]!)).run).toMatchObject({ status: 'queued', wakeAt: null });
    expect((await runOf(second.runIds[0]!)).journal).toEqual([]);
    fx.clock.advance(3_600_000);
    await fx.engine.runUntilIdle();
    expect((await runOf(first.runIds[0]!)).run.status).toBe('completed');
    // The first finished: the held one ran (its own wait, then its step).
    expect((await runOf(second.runIds[0]!)).run.status).toBe('waiting');
    fx.clock.advance(3_600_000);
    await fx.engine.runUntilIdle();
    expect((await runOf(second.runIds[0]!)).run.status).toBe('completed');
    expect(fx.system.effects).toEqual([
      { key: 'note', value: 'T-8@1' },
      { key: 'note', value: 'T-8@2' },
    ]);
    expect((await deliver('d-3', { id: 'T-8', stamp: '2' })).runIds).toEqual(second.runIds);
    expect((await deliver('d-4', { id: 'T-8', stamp: '1' })).runIds).toEqual(first.runIds);
  });

  it('a run started by hand with the keys its webhook trigger gives (partnerflow run) is the record\'s run: a delivery of the record with another dedup key is held back behind it', async () => {
    fx = await engineFixture([
      recipeWith([{ id: 'pause', type: 'wait', for: 'PT1H' }], {
        trigger: { type: 'webhook', event: 'fake.thing.happened', filter: "{% data.stamp != 'skip' %}", dedup_key: "{% data.id & '@' & data.stamp %}", concurrency_key: '{% data.id %}' },
      }),
    ]);
    const triggered = await fx.engine.webhookTriggerFor('test-recipe', { id: 'T-9', stamp: '1' });
    expect(triggered).toMatchObject({ kind: 'run', dedupKey: 'T-9@1', concurrencyKey: 'T-9', correlationKey: 'T-9' });
    expect(await fx.engine.webhookTriggerFor('test-recipe', { id: 'T-9', stamp: 'skip' })).toMatchObject({ kind: 'filtered-out' });
    const byHand = await fx.engine.startRun('test-recipe', { id: 'T-9', stamp: '1' }, { dedupKey: 'T-9@1', concurrencyKey: 'T-9', correlationKey: 'T-9' });
    const delivered = await deliver('d-1', { id: 'T-9', stamp: '2' });
    expect(delivered.heldBack).toEqual([{ runId: delivered.runIds[0], behind: byHand.id }]);
    // The same event delivered is that run, not a second one.
    expect((await deliver('d-2', { id: 'T-9', stamp: '1' })).runIds).toEqual([byHand.id]);
  });

  it('starts no run when the trigger filter is false', async () => {
    fx = await engineFixture([
      recipeWith([{ id: 'only', type: 'action', action: 'fake.record', input: { key: 'x' } }], {
        trigger: { type: 'webhook', event: 'fake.thing.happened', filter: "{% data.status = 'Canceled' %}" },
      }),
    ]);
    expect((await deliver('d-1', { id: 'T', status: 'Open' })).runIds).toEqual([]);
    expect((await deliver('d-2', { id: 'T', status: 'Canceled' })).runIds).toHaveLength(1);
  });

  it('refuses an event whose data fails its schema, naming the field, and stores nothing', async () => {
    fx = await engineFixture([recipeWith([{ id: 'only', type: 'action', action: 'fake.record', input: { key: 'x' } }])]);
    await expect(deliver('d-1', { id: 42 } as never)).rejects.toThrow(/data\.id/);
    expect(await fx.store.listRuns({ limit: 10 })).toEqual([]);
  });
});

describe('engine: retries', () => {
  it('retries a retryable failure with backoff on the clock, then succeeds, journaling every attempt', async () => {
    fx = await engineFixture([recipeWith([{ id: 'flaky', type: 'action', action: 'fake.record', input: { key: 'k' }, retry: { max_attempts: 3, initial_interval: 'PT10S' } }])]);
    fx.system.failNext('record', retryableError('503 from fake'), retryableError('503 again'));
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    let state = await runOf(runIds[0]!);
    expect(state.run.status).toBe('waiting');
    expect(state.step('flaky')).toMatchObject({ status: 'failed', attempts: 1 });
    fx.clock.advance(10_000);
    await fx.engine.runUntilIdle();
    fx.clock.advance(20_000);
    await fx.engine.runUntilIdle();
    state = await runOf(runIds[0]!);
    expect(state.run.status).toBe('completed');
    expect(state.step('flaky')).toMatchObject({ status: 'completed', attempts: 3 });
    expect(state.step('flaky')!.notes.join('\n')).toContain('attempt 2 failed (503 again)');
    expect(fx.system.effects).toHaveLength(1);
  });

  it("gives a retried attempt what the earlier one kept with saveProgress, journaled with the step's entry", async () => {
    fx = await engineFixture([recipeWith([{ id: 'each', type: 'action', action: 'fake.record_each', input: { keys: ['a', 'b', 'c'] }, retry: { initial_interval: 'PT10S' } }])]);
    fx.system.failNext('record_each:b', retryableError('503 at b'));
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    let state = await runOf(runIds[0]!);
    expect(state.step('each')).toMatchObject({ status: 'failed', attempts: 1, output: { done: ['a'] } });
    fx.clock.advance(60_000);
    await fx.engine.runUntilIdle();
    state = await runOf(runIds[0]!);
    expect(state.run.status).toBe('completed');
    expect(state.step('each')).toMatchObject({ status: 'completed', attempts: 2, output: { done: ['a', 'b', 'c'] } });
    expect(fx.system.effects).toEqual([
      { key: 'a', value: 'first attempt' },
      { key: 'b', value: 'later attempt' },
      { key: 'c', value: 'later attempt' },
    ]);
  });

  it("an operator's retry of a run failed at a step that kept progress gives it to the step's next attempt", async () => {
    fx = await engineFixture([recipeWith([{ id: 'each', type: 'action', action: 'fake.record_each', input: { keys: ['a', 'b', 'c'] }, retry: { max_attempts: 1 } }])]);
    fx.system.failNext('record_each:b', retryableError('503 at b'));
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    expect((await runOf(runIds[0]!)).run.status).toBe('failed');
    expect(await fx.engine.retry(runIds[0]!)).toEqual({ retried: true });
    await fx.engine.runUntilIdle();
    const state = await runOf(runIds[0]!);
    expect(state.run.status).toBe('completed');
    expect(state.step('each')).toMatchObject({ status: 'completed', attempts: 1, output: { done: ['a', 'b', 'c'] } });
    expect(fx.system.effects.map((e) => e.key)).toEqual(['a', 'b', 'c']);
  });

  it('waits at least as long as Retry-After asks', async () => {
    fx = await engineFixture([recipeWith([{ id: 'limited', type: 'action', action: 'fake.record', input: { key: 'k' }, retry: { initial_interval: 'PT1S' } }])]);
    fx.system.failNext('record', retryableError('429', 120_000));
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    const { run } = await runOf(runIds[0]!);
    expect(run.wakeAt! - fx.clock.now()).toBeGreaterThanOrEqual(120_000);
  });

  it('does not retry a non-retryable error and fails the run with the step named', async () => {
    fx = await engineFixture([recipeWith([{ id: 'bad', type: 'action', action: 'fake.record', input: { key: 'k' } }])]);
    fx.system.failNext('record', permanentError('400 REQUIRED_FIELD_MISSING: Title'));
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    const { run, step } = await runOf(runIds[0]!);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ stepKey: 'bad', message: '400 REQUIRED_FIELD_MISSING: Title' });
    expect(step('bad')).toMatchObject({ attempts: 1, nextAttemptAt: null });
  });

  describe('a call that is not safe to repeat', () => {
    const create = recipeWith([{ id: 'make', type: 'action', action: 'fake.create', input: { key: 'k' }, retry: { max_attempts: 3, initial_interval: 'PT10S' } }]);
    const call = { system: 'fake', method: 'POST', url: 'https://fake.test/things' };

    it.each([
      ['a timeout', new TimeoutError({ ...call, timeoutMs: 30_000 })],
      ['a lost connection', new NetworkError(call)],
      ['a 504 from a gateway', new ServerError({ ...call, status: 504 })],
    ])('is not retried after %s, which may follow its effect: the run fails and says so', async (_, error) => {
      fx = await engineFixture([create]);
      fx.system.failNext('create', error);
      const { runIds } = await deliver();
      await fx.engine.runUntilIdle();
      fx.clock.advance(3_600_000);
      await fx.engine.runUntilIdle();
      const { run, step } = await runOf(runIds[0]!);
      expect(run.status).toBe('failed');
      expect(run.error).toMatchObject({ name: 'OutcomeUnknownError', stepKey: 'make' });
      expect(run.error!.message).toMatch(/^fake\.create may have taken effect \(.+\) and is not safe to repeat; check the target system, then retry the run$/);
      expect(step('make')).toMatchObject({ attempts: 1, nextAttemptAt: null });
    });

    it('is retried after a refusal (429), which means nothing happened', async () => {
      fx = await engineFixture([create]);
      fx.system.failNext('create', new RateLimitError({ ...call, status: 429, retryAfterMs: 5_000 }));
      const { runIds } = await deliver();
      await fx.engine.runUntilIdle();
      fx.clock.advance(10_000);
      await fx.engine.runUntilIdle();
      expect((await runOf(runIds[0]!)).step('make')).toMatchObject({ status: 'completed', attempts: 2 });
      expect(fx.system.effects).toEqual([{ key: 'k', value: 'created' }]);
    });

    it('is not repeated when the store fails to record its result: the next turn finds it interrupted', async () => {
      fx = await engineFixture([create]);
      const writeJournal = fx.store.writeJournal.bind(fx.store);
      let failOnce = true;
      fx.store.writeJournal = async (entries, owner) => {
        if (failOnce && entries.some((e) => e.stepKey === 'make' && e.status === 'completed')) {
          failOnce = false;
          throw new Error('SQLITE_IOERR: disk I/O error');
        }
        return writeJournal(entries, owner);
      };
      const { runIds } = await deliver();
      await fx.engine.runUntilIdle();
      expect((await runOf(runIds[0]!)).step('make')).toMatchObject({ status: 'running' });
      fx.clock.advance(60_001);
      await fx.engine.runUntilIdle();
      const { run } = await runOf(runIds[0]!);
      expect(fx.system.effects).toEqual([{ key: 'k', value: 'created' }]);
      expect(run).toMatchObject({ status: 'failed', error: { name: 'OutcomeUnknownError' } });
    });
  });

  it('fails without calling the system when the mapped input breaks the action schema', async () => {
    fx = await engineFixture([recipeWith([{ id: 'bad', type: 'action', action: 'fake.record', input: { key: '{% 42 %}' } }])]);
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    const { run } = await runOf(runIds[0]!);
    expect(run.status).toBe('failed');
    expect(run.error!.message).toContain('input.key');
    expect(fx.system.effects).toEqual([]);
  });

  it('retries a failed run from its failed step without repeating the steps before it', async () => {
    fx = await engineFixture([
      recipeWith([
        { id: 'before', type: 'action', action: 'fake.record', input: { key: 'before' } },
        { id: 'bad', type: 'action', action: 'fake.echo', input: { value: 1 }, retry: { max_attempts: 1 } },
      ]),
    ]);
    fx.system.failNext('echo', retryableError('down'));
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    expect((await runOf(runIds[0]!)).run.status).toBe('failed');
    expect(await fx.engine.retry(runIds[0]!)).toEqual({ retried: true });
    await fx.engine.runUntilIdle();
    const { run, step } = await runOf(runIds[0]!);
    expect(run.status).toBe('completed');
    expect(step('bad')).toMatchObject({ status: 'completed' });
    expect(fx.system.effects.map((e) => e.key)).toEqual(['before']);
    expect(await fx.engine.retry(runIds[0]!)).toEqual({ retried: false, refusal: { refused: 'not-failed', status: 'completed' } });
  });

  it('a retried run does not repeat a failure its on_error handled', async () => {
    fx = await engineFixture([
      recipeWith([
        { id: 'optional', type: 'action', action: 'fake.record', input: { key: 'optional' }, retry: { max_attempts: 1 }, on_error: 'continue' },
        { id: 'bad', type: 'action', action: 'fake.echo', input: { value: 1 }, retry: { max_attempts: 1 } },
      ]),
    ]);
    fx.system.failNext('record', permanentError('400 optional field refused'));
    fx.system.failNext('echo', retryableError('down'));
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    expect(await fx.engine.retry(runIds[0]!)).toEqual({ retried: true });
    await fx.engine.runUntilIdle();
    const { run, step } = await runOf(runIds[0]!);
    expect(run.status).toBe('completed');
    expect(step('optional')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(fx.system.effects).toEqual([]);
  });

  it('refuses to retry a run its recipe stopped as failed', async () => {
    fx = await engineFixture([recipeWith([{ id: 'give_up', type: 'stop', status: 'failed', reason: 'No decision: decide in the PRM.' }])]);
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    expect((await runOf(runIds[0]!)).run).toMatchObject({ status: 'failed', error: { message: 'No decision: decide in the PRM.' } });
    expect(await fx.engine.retry(runIds[0]!)).toEqual({ retried: false, refusal: { refused: 'stopped-by-recipe' } });
  });

  it('on_error continue carries on with the error as the step output', async () => {
    fx = await engineFixture([
      recipeWith([
        { id: 'bad', type: 'action', action: 'fake.record', input: { key: 'k' }, on_error: 'continue' },
        { id: 'after', type: 'action', action: 'fake.record', input: { key: '{% steps.bad.error.message %}' } },
      ]),
    ]);
    fx.system.failNext('record', permanentError('no such partner'));
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    expect((await runOf(runIds[0]!)).run.status).toBe('completed');
    expect(fx.system.effects).toEqual([{ key: 'no such partner', value: undefined }]);
  });

  it('on_error with `when` handles only the failures it names: another fails the run, which a retry resumes', async () => {
    const handled = {
      when: "{% $error.name = 'BadRequestError' %}",
      steps: [{ id: 'tell_ops', type: 'action' as const, action: 'fake.echo', input: { value: '{% error.message %}' } }],
      then: 'continue' as const,
    };
    fx = await engineFixture([
      recipeWith([
        { id: 'send', type: 'action', action: 'fake.record', input: { key: 'k' }, retry: { max_attempts: 1 }, on_error: handled },
        { id: 'after', type: 'action', action: 'fake.record', input: { key: 'after' } },
      ]),
    ]);
    fx.system.failNext('record', permanentError('refused for good'));
    const refused = (await deliver('d-1', { id: 'T-1' })).runIds[0]!;
    await fx.engine.runUntilIdle();
    const first = await runOf(refused);
    expect(first.run.status).toBe('completed');
    expect(first.journal.find((e) => e.stepId === 'tell_ops')?.output).toEqual({ value: 'refused for good' });
    expect(fx.system.effects.map((e) => e.key)).toEqual(['after']);

    fx.system.failNext('record', retryableError('provider down'));
    const down = (await deliver('d-2', { id: 'T-2' })).runIds[0]!;
    await fx.engine.runUntilIdle();
    const second = await runOf(down);
    expect(second.run).toMatchObject({ status: 'failed', error: { message: 'provider down' } });
    expect(second.journal.some((e) => e.stepId === 'tell_ops')).toBe(false);
    expect(await fx.engine.retry(down)).toEqual({ retried: true });
    await fx.engine.runUntilIdle();
    expect((await runOf(down)).run.status).toBe('completed');
    expect(fx.system.effects.map((e) => e.key)).toEqual(['after', 'k', 'after']);
  });

  it("runs the recipe's on_error steps when the run fails", async () => {
    fx = await engineFixture([
      recipeWith([{ id: 'bad', type: 'action', action: 'fake.record', input: { key: 'k' } }], {
        on_error: { steps: [{ id: 'tell_ops', type: 'action', action: 'fake.echo', input: { value: '{% error.message %}' } }] },
      }),
    ]);
    fx.system.failNext('record', permanentError('boom'));
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    const { run, step } = await runOf(runIds[0]!);
    expect(run.status).toBe('failed');
    expect(step('on_error.tell_ops')!.output).toEqual({ value: 'boom' });
  });

  it("the recipe's on_error reads how the failed step ended: attempts, first and last attempt (D23: ops' email says whether it was retried)", async () => {
    const tell = { id: 'tell_ops', type: 'action', action: 'fake.echo', input: { value: "{% error.attempts & ' attempts from ' & error.first_attempt_at & ' to ' & error.failed_at %}" } };
    fx = await engineFixture([
      recipeWith([{ id: 'bad', type: 'action', action: 'fake.record', input: { key: 'k' }, retry: { max_attempts: 3, initial_interval: 'PT1M', backoff_rate: 2 } }], { on_error: { steps: [tell] } }),
    ]);
    fx.system.failNext('record', retryableError('503'), retryableError('503'), retryableError('503'));
    const retried = (await deliver('d-retried')).runIds[0]!;
    for (let i = 0; i < 5; i++) {
      await fx.engine.runUntilIdle();
      fx.clock.advance(60_000);
    }
    expect((await runOf(retried)).step('on_error.tell_ops')!.output).toEqual({ value: '3 attempts from 2026-03-02T09:00:00.000Z to 2026-03-02T09:03:00.000Z' });
    fx.system.failNext('record', permanentError('400 bad'));
    const once = (await deliver('d-once')).runIds[0]!;
    await fx.engine.runUntilIdle();
    expect((await runOf(once)).step('on_error.tell_ops')!.output).toMatchObject({ value: expect.stringMatching(/^1 attempts from (.+) to \1$/) });
  });
});

describe('engine: control flow', () => {
  it('if, set, foreach and lookup compose, with foreach iterations journaled by index', async () => {
    fx = await engineFixture(
      [
        recipeWith([
          { id: 'region', type: 'set', values: { region: 'EMEA' } },
          { id: 'approver', type: 'lookup', table: 'approvers', where: { region: '{% vars.region %}' }, required: true },
          {
            id: 'big',
            type: 'if',
            condition: '{% trigger.data.amount > 1000 %}',
            then: [{ id: 'each', type: 'foreach', items: '{% trigger.data.lines %}', as: 'line', steps: [{ id: 'send', type: 'action', action: 'fake.record', input: { key: '{% line %}', value: '{% steps.approver.approver_email %}' } }] }],
            else: [{ id: 'small', type: 'stop', status: 'canceled', reason: 'too small' }],
          },
        ]),
      ],
      { tables: { approvers: [{ region: 'EMEA', approver_email: 'emea@example.com', approver_name: 'E', manager_email: 'm@example.com', manager_name: 'M' }] } },
    );
    const { runIds } = await deliver('d-1', { id: 'T', amount: 5000, lines: ['l1', 'l2'] });
    await fx.engine.runUntilIdle();
    const { run, journal } = await runOf(runIds[0]!);
    expect(run.status).toBe('completed');
    expect(fx.system.effects).toEqual([
      { key: 'l1', value: 'emea@example.com' },
      { key: 'l2', value: 'emea@example.com' },
    ]);
    expect(journal.map((e) => e.stepKey)).toEqual(['region', 'approver', 'big', 'each', 'each[0].send', 'each[1].send']);
    const small = await deliver('d-2', { id: 'U', amount: 10, lines: [] });
    await fx.engine.runUntilIdle();
    expect((await runOf(small.runIds[0]!)).run.status).toBe('canceled');
  });

  it('a required lookup that finds nothing fails the run, naming the table and the values looked for (not the expressions)', async () => {
    fx = await engineFixture([recipeWith([{ id: 'approver', type: 'lookup', table: 'approvers', where: { region: "{% 'MA' & 'RS' %}" }, required: true }])], { tables: { approvers: [] } });
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    expect((await runOf(runIds[0]!)).run.error!.message).toContain('table approvers has no row where {"region":"MARS"}');
  });

  it('a lookup whose key matches two rows (the table changed under a running process, or a run of an older version reads it by other columns) fails the run naming both rows, rather than take the first', async () => {
    const owners = [
      { region: 'EMEA', owner_email: 'old.owner@vendor.example' },
      { region: 'AMER', owner_email: 'amer.owner@vendor.example' },
      { region: 'EMEA', owner_email: 'dana.new@vendor.example' },
    ];
    fx = await engineFixture(
      [
        recipeWith([
          { id: 'owner', type: 'lookup', table: 'followup-owners', where: { region: "{% 'EM' & 'EA' %}" } },
          { id: 'send', type: 'action', action: 'fake.record', input: { key: 'owner', value: '{% steps.owner.owner_email %}' } },
        ]),
      ],
      { tables: { 'followup-owners': owners } },
    );
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    const { run } = await runOf(runIds[0]!);
    expect(run.status).toBe('failed');
    expect(run.error!.message).toContain(
      'table followup-owners has 2 rows where {"region":"EMEA"}: rows[0] and rows[2]; a lookup reads one row per key and does not pick one: keep one row for the key in the table (the start refuses the table so) and retry the run',
    );
    expect(fx.system.effects).toEqual([]);
  });

  it('a where value an expression computes as nothing matches no row, not every row; a null written in the recipe looks for the rows that hold null (review 8, F1)', async () => {
    const owners = [
      { region: 'EMEA', owner_email: 'emea.owner@vendor.example' },
      { region: null, owner_email: 'no.region.owner@vendor.example' },
    ];
    fx = await engineFixture(
      [
        recipeWith([
          { id: 'owner', type: 'lookup', table: 'followup-owners', where: { region: '{% trigger.data.region %}' } },
          { id: 'send', type: 'action', action: 'fake.record', input: { key: "{% 'computed for ' & trigger.data.id %}", value: "{% steps.owner = null ? 'no row' : steps.owner.owner_email %}" } },
          { id: 'unset', type: 'lookup', table: 'followup-owners', where: { region: null }, required: true },
          { id: 'send_unset', type: 'action', action: 'fake.record', input: { key: "{% 'written null for ' & trigger.data.id %}", value: '{% steps.unset.owner_email %}' } },
        ]),
      ],
      { tables: { 'followup-owners': owners } },
    );
    const left = await deliver('d-1', { id: 'T-1' });
    const nulled = await deliver('d-2', { id: 'T-2', region: null });
    await fx.engine.runUntilIdle();
    for (const { runIds } of [left, nulled]) expect((await runOf(runIds[0]!)).run.status).toBe('completed');
    expect([...fx.system.effects].sort((a, b) => String(a.key).localeCompare(String(b.key)))).toEqual([
      { key: 'computed for T-1', value: 'no row' },
      { key: 'computed for T-2', value: 'no row' },
      { key: 'written null for T-1', value: 'no.region.owner@vendor.example' },
      { key: 'written null for T-2', value: 'no.region.owner@vendor.example' },
    ]);
  });
});

describe('engine: durable waits', () => {
  it('a wait survives a restart: a new engine on the same store resumes it at the right time', async () => {
    fx = await engineFixture([
      recipeWith([
        { id: 'pause', type: 'wait', for: 'P2D' },
        { id: 'after', type: 'action', action: 'fake.record', input: { key: 'after' } },
      ]),
    ]);
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    expect((await runOf(runIds[0]!)).run.status).toBe('waiting');
    const restarted = await anotherEngine([recipeWith([{ id: 'pause', type: 'wait', for: 'P2D' }, { id: 'after', type: 'action', action: 'fake.record', input: { key: 'after' } }])], { clock: fx.clock });
    fx.clock.advance(2 * 86_400_000 - 1);
    await restarted.engine.runUntilIdle();
    expect(restarted.system.effects).toEqual([]);
    fx.clock.advance(1);
    await restarted.engine.runUntilIdle();
    expect(restarted.system.effects).toEqual([{ key: 'after', value: undefined }]);
    expect((await runOf(runIds[0]!)).run.status).toBe('completed');
  });

  it('waits business days: Friday + 2 business days is Tuesday, a holiday adds one', async () => {
    fx = await engineFixture([recipeWith([{ id: 'pause', type: 'wait', for: { business_days: 2 } }])], {
      calendar: { timezone: 'UTC', weekend: [6, 7], holidays: [{ date: '2026-03-09', name: 'Test holiday' }] },
      clock: new (await import('./clock.ts')).VirtualClock('2026-03-06T10:00:00Z'),
    });
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    expect(new Date((await runOf(runIds[0]!)).run.wakeAt!).toISOString()).toBe('2026-03-11T10:00:00.000Z');
  });

  it('wait_for a signal: an approval decision resumes the run once; a second decision is refused', async () => {
    fx = await engineFixture([
      recipeWith([
        { id: 'decision', type: 'wait_for', signal: 'mdf_decision', timeout: 'P2D' },
        { id: 'after', type: 'action', action: 'fake.record', input: { key: '{% steps.decision.decision %}' } },
      ]),
    ]);
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    const token = 'x'.repeat(43);
    await fx.store.enqueueOutbox(
      { key: 'k1', runId: runIds[0]!, message: { from: 'a@b.c', to: ['cmm@example.com'], subject: 's', text: 't', html: 'h' }, createdAt: fx.clock.now() },
      { tokenHash: hashApprovalToken(token), runId: runIds[0]!, signal: 'mdf_decision', approverEmail: 'cmm@example.com', approverName: null, subject: 'MDF-1', expiresAt: fx.clock.now() + 86_400_000 * 14, createdAt: fx.clock.now() },
    );
    expect(await fx.engine.decide(hashApprovalToken(token), 'approve')).toBe('decided');
    expect(await fx.engine.decide(hashApprovalToken(token), 'deny')).toBe('used');
    await fx.engine.runUntilIdle();
    const { run, step } = await runOf(runIds[0]!);
    expect(run.status).toBe('completed');
    expect(step('decision')!.output).toMatchObject({ timed_out: false, decision: 'approve', approver: 'cmm@example.com' });
    expect(fx.system.effects).toEqual([{ key: 'approve', value: undefined }]);
  });

  it('wait_for times out into on_timeout, and the run continues after it', async () => {
    fx = await engineFixture([
      recipeWith([
        {
          id: 'decision',
          type: 'wait_for',
          signal: 'mdf_decision',
          timeout: 'P2D',
          on_timeout: [{ id: 'remind', type: 'action', action: 'fake.record', input: { key: 'reminder' } }],
        },
        { id: 'after', type: 'action', action: 'fake.record', input: { key: '{% steps.decision.timed_out ? "timed out" : "decided" %}' } },
      ]),
    ]);
    await deliver();
    await fx.engine.runUntilIdle();
    fx.clock.advance(2 * 86_400_000);
    await fx.engine.runUntilIdle();
    expect(fx.system.effects.map((e) => e.key)).toEqual(['reminder', 'timed out']);
  });

  it('wait_for an event: a later delivery with the same correlation key resumes the run', async () => {
    fx = await engineFixture([
      recipeWith(
        [
          { id: 'update', type: 'wait_for', event: { name: 'fake.thing.happened', key: '{% trigger.data.id %}' } },
          { id: 'after', type: 'action', action: 'fake.record', input: { key: '{% steps.update.data.status %}' } },
        ],
        { trigger: { type: 'webhook', event: 'fake.thing.happened', filter: "{% data.status = 'new' %}" } },
      ),
    ]);
    await deliver('d-1', { id: 'T-9', status: 'new' });
    await fx.engine.runUntilIdle();
    await deliver('d-2', { id: 'T-9', status: 'done' });
    await fx.engine.runUntilIdle();
    expect(fx.system.effects.map((e) => e.key)).toEqual(['done']);
  });

  it('cancel_on: a matching event cancels a waiting run, which then never acts', async () => {
    fx = await engineFixture([
      recipeWith(
        [
          { id: 'pause', type: 'wait', for: 'P1D' },
          { id: 'after', type: 'action', action: 'fake.record', input: { key: 'after' } },
        ],
        {
          trigger: { type: 'webhook', event: 'fake.thing.happened', filter: "{% data.status = 'new' %}" },
          cancel_on: { event: 'fake.thing.happened', filter: "{% data.status = 'Canceled' %}" },
        },
      ),
    ]);
    const { runIds } = await deliver('d-1', { id: 'T-3', status: 'new' });
    await fx.engine.runUntilIdle();
    await deliver('d-2', { id: 'T-3', status: 'Open' });
    expect((await runOf(runIds[0]!)).run.status).toBe('waiting');
    await deliver('d-3', { id: 'T-3', status: 'Canceled' });
    expect((await runOf(runIds[0]!)).run.status).toBe('canceled');
    fx.clock.advance(86_400_000);
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([]);
  });

  it('cancel_on with concurrency_key: the event cancels the held run before its holder, so no worker can start the held run between the two cancels', async () => {
    fx = await engineFixture([
      recipeWith(
        [
          { id: 'pause', type: 'wait', for: 'P1D' },
          { id: 'after', type: 'action', action: 'fake.record', input: { key: 'after' } },
        ],
        {
          trigger: { type: 'webhook', event: 'fake.thing.happened', filter: "{% data.status = 'new' %}", dedup_key: "{% data.id & '@' & data.stamp %}", concurrency_key: '{% data.id %}' },
          cancel_on: { event: 'fake.thing.happened', filter: "{% data.status = 'Canceled' %}" },
        },
      ),
    ]);
    const holder = (await deliver('d-1', { id: 'T-4', status: 'new', stamp: '1' })).runIds[0]!;
    await fx.engine.runUntilIdle();
    const held = (await deliver('d-2', { id: 'T-4', status: 'new', stamp: '2' })).runIds[0]!;
    expect((await runOf(held)).run).toMatchObject({ status: 'queued', wakeAt: null });
    // Another replica's worker claims between every two cancels of the event.
    const startedByOthers: string[] = [];
    const cancelRun = fx.store.cancelRun.bind(fx.store);
    fx.store.cancelRun = async (...args) => {
      const canceled = await cancelRun(...args);
      startedByOthers.push(...(await fx.store.claimDueRuns({ now: fx.clock.now(), owner: 'other-replica', leaseMs: 60_000, limit: 10 })).map((r) => r.id));
      return canceled;
    };
    await deliver('d-3', { id: 'T-4', status: 'Canceled', stamp: '3' });
    expect(startedByOthers).toEqual([]);
    expect((await runOf(holder)).run.status).toBe('canceled');
    expect((await runOf(held)).run.status).toBe('canceled');
    fx.clock.advance(2 * 86_400_000);
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([]);
  });

  it('cancel_on: $run.waiting_for lets a filter cancel only a run resting in a wait_for, with the reason the recipe gives', async () => {
    fx = await engineFixture([
      recipeWith(
        [
          { id: 'decision', type: 'wait_for', signal: 'go', timeout: 'PT1M' },
          { id: 'pause', type: 'wait', for: 'P1D' },
          { id: 'after', type: 'action', action: 'fake.record', input: { key: 'after' } },
        ],
        {
          trigger: { type: 'webhook', event: 'fake.thing.happened', filter: "{% data.status = 'new' %}" },
          cancel_on: { event: 'fake.thing.happened', filter: "{% data.status = 'Done' and $run.waiting_for = 'go' %}", reason: "{% 'decided elsewhere: ' & data.status %}" },
        },
      ),
    ]);
    const past = (await deliver('d-1', { id: 'T-5', status: 'new' })).runIds[0]!;
    await fx.engine.runUntilIdle();
    // T-5 is past its wait_for (it timed out): sleeping in a plain wait, as a run applying its own decision would be.
    fx.clock.advance(120_000);
    await fx.engine.runUntilIdle();
    const waiting = (await deliver('d-2', { id: 'T-4', status: 'new' })).runIds[0]!;
    await fx.engine.runUntilIdle();
    await deliver('d-3', { id: 'T-5', status: 'Done' });
    expect((await runOf(past)).run.status).toBe('waiting');
    await deliver('d-4', { id: 'T-4', status: 'Done' });
    const canceled = (await runOf(waiting)).run;
    expect(canceled.status).toBe('canceled');
    expect(canceled.error?.message).toBe('decided elsewhere: Done');
    fx.clock.advance(86_400_000);
    await fx.engine.runUntilIdle();
    expect((await runOf(past)).run.status).toBe('completed');
    expect(fx.system.effects.map((e) => e.key)).toEqual(['after']);
  });

  it('cancel_on (D12): $run.trigger is the event the run started on, so a filter can leave a run alone when a late event is about an older state; $run names the run', async () => {
    fx = await engineFixture([
      recipeWith([{ id: 'decision', type: 'wait_for', signal: 'go', timeout: 'P1D' }], {
        trigger: { type: 'webhook', event: 'fake.thing.happened', filter: "{% data.status = 'new' %}", dedup_key: "{% data.id & '@' & data.stamp %}" },
        cancel_on: {
          event: 'fake.thing.happened',
          filter: "{% data.status = 'Canceled' and data.stamp >= $run.trigger.data.stamp %}",
          reason: "{% 'canceled at ' & data.stamp & ', ' & $run.recipe & ' v' & $run.version & ' started on ' & $run.trigger.event & ' at ' & $run.trigger.data.stamp %}",
        },
      }),
    ]);
    const run = (await deliver('d-1', { id: 'T-8', status: 'new', stamp: '5' })).runIds[0]!;
    await fx.engine.runUntilIdle();
    // A cancellation of an earlier state (stamp 3), delivered late: the run waits on.
    await deliver('d-2', { id: 'T-8', status: 'Canceled', stamp: '3' });
    expect((await runOf(run)).run.status).toBe('waiting');
    await deliver('d-3', { id: 'T-8', status: 'Canceled', stamp: '6' });
    const canceled = (await runOf(run)).run;
    expect(canceled.status).toBe('canceled');
    expect(canceled.error?.message).toBe(`canceled at 6, ${canceled.recipe} v${canceled.recipeVersion} started on fake.thing.happened at 5`);
  });

  it('cancel_on (D12): a matching event also cancels a failed run of its key, so a retry later is refused and does nothing; a completed run is left as it is', async () => {
    fx = await engineFixture([
      recipeWith([{ id: 'ask', type: 'action', action: 'fake.record', input: { key: "{% 'ask ' & $trigger.data.id %}" }, retry: { max_attempts: 1 } }], {
        trigger: { type: 'webhook', event: 'fake.thing.happened', filter: "{% data.status = 'new' %}" },
        cancel_on: { event: 'fake.thing.happened', filter: "{% data.status = 'Canceled' %}", reason: "{% 'canceled in the source: ' & data.id %}" },
      }),
    ]);
    fx.system.failNext('record', permanentError('no approver for the region'));
    const failed = (await deliver('d-1', { id: 'T-6', status: 'new' })).runIds[0]!;
    const done = (await deliver('d-2', { id: 'T-7', status: 'new' })).runIds[0]!;
    await fx.engine.runUntilIdle();
    expect((await runOf(failed)).run.status).toBe('failed');
    expect((await runOf(done)).run.status).toBe('completed');

    await deliver('d-3', { id: 'T-6', status: 'Canceled' });
    await deliver('d-4', { id: 'T-7', status: 'Canceled' });
    const canceled = (await runOf(failed)).run;
    expect(canceled.status).toBe('canceled');
    expect(canceled.error?.message).toBe('canceled in the source: T-6');
    expect((await runOf(done)).run.status).toBe('completed');
    expect(await fx.engine.retry(failed)).toEqual({ retried: false, refusal: { refused: 'canceled', reason: 'canceled in the source: T-6' } });
    await fx.engine.runUntilIdle();
    expect(fx.system.effects.map((e) => e.key)).toEqual(['ask T-7']);
  });
});

describe('engine: versions, leases and secrets', () => {
  it('a run finishes on the recipe version it started with after the recipe changes', async () => {
    const v1 = recipeWith([
      { id: 'pause', type: 'wait', for: 'PT1H' },
      { id: 'after', type: 'action', action: 'fake.record', input: { key: 'v1' } },
    ]);
    fx = await engineFixture([v1]);
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    const v2 = { ...v1, version: 2, steps: [{ id: 'pause', type: 'wait' as const, for: 'PT1H' }, { id: 'after', type: 'action' as const, action: 'fake.record', input: { key: 'v2' } }] };
    const upgraded = await anotherEngine([v2], { clock: fx.clock });
    fx.clock.advance(3_600_000);
    await upgraded.engine.runUntilIdle();
    expect(upgraded.system.effects.map((e) => e.key)).toEqual(['v1']);
    expect((await runOf(runIds[0]!)).run.recipeVersion).toBe(1);
  });

  it('a run whose worker died mid-step is taken over after its lease, and the step runs with the same idempotency key', async () => {
    fx = await engineFixture([recipeWith([{ id: 'only', type: 'action', action: 'fake.record', input: { key: 'k' } }])]);
    const { runIds } = await deliver();
    // A worker claims the run and dies before finishing its turn.
    const [claimed] = await fx.store.claimDueRuns({ now: fx.clock.now(), owner: 'dead-worker', leaseMs: 60_000, limit: 1 });
    expect(claimed!.id).toBe(runIds[0]);
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([]);
    fx.clock.advance(60_001);
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([{ key: 'k', value: undefined }]);
    expect((await runOf(runIds[0]!)).step('only')!.output).toEqual({ recorded: `k@${runIds[0]}:only` });
  });

  it('never journals secrets given as step input', async () => {
    fx = await engineFixture([recipeWith([{ id: 'only', type: 'action', action: 'fake.record', input: { key: 'k', api_key: 'sk_live_123456' } }])]);
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    const { journal } = await runOf(runIds[0]!);
    expect(JSON.stringify(journal)).not.toContain('sk_live_123456');
    expect(journal[0]!.input).toMatchObject({ api_key: '[redacted]' });
  });

  it("never journals an input the action declares secret, also when the step fails", async () => {
    fx = await engineFixture([recipeWith([{ id: 'only', type: 'action', action: 'fake.record', input: { key: 'k', pin: '4711-9042' }, retry: { max_attempts: 1 } }])]);
    fx.system.failNext('record', permanentError('400 refused'));
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    const { run, journal } = await runOf(runIds[0]!);
    expect(run.status).toBe('failed');
    expect(JSON.stringify(journal)).not.toContain('4711-9042');
    expect(journal[0]!.input).toMatchObject({ key: 'k', pin: '[redacted]' });
  });

  it('cancel by an operator stops a waiting run; retry of a run that did not fail is refused', async () => {
    fx = await engineFixture([recipeWith([{ id: 'pause', type: 'wait', for: 'P1D' }, { id: 'after', type: 'action', action: 'fake.record', input: { key: 'x' } }])]);
    const { runIds } = await deliver();
    await fx.engine.runUntilIdle();
    expect(await fx.engine.cancel(runIds[0]!)).toEqual({ canceled: true, run: (await runOf(runIds[0]!)).run });
    // Canceled twice: refused, with the reason of the first cancel.
    expect(await fx.engine.cancel(runIds[0]!)).toEqual({ canceled: false, refusal: { refused: 'canceled', reason: 'canceled by an operator' }, run: (await runOf(runIds[0]!)).run });
    expect(await fx.engine.cancel('run_nope' as never)).toEqual({ canceled: false, refusal: { refused: 'no-run' } });
    fx.clock.advance(86_400_000);
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([]);
    expect(await fx.engine.retry(runIds[0]!)).toEqual({ retried: false, refusal: { refused: 'canceled', reason: 'canceled by an operator' } });
  });
});

describe('engine: a run taken over while its turn is still under way', () => {
  const slowThenCreate = recipeWith([
    { id: 'call', type: 'action', action: 'fake.slow', input: { key: 'k' } },
    { id: 'after', type: 'action', action: 'fake.create', input: { key: 'not-idempotent' } },
  ]);

  it('a lease that runs out during a slow call does not make this worker start the run a second time', async () => {
    fx = await engineFixture([slowThenCreate]);
    const release = fx.system.hold('k');
    const { runIds } = await deliver();
    const first = fx.engine.tick();
    await vi.waitFor(async () => expect((await runOf(runIds[0]!)).step('call')?.status).toBe('running'), { timeout: 5000 });
    // The virtual clock passes the lease while the call is still waiting for its answer.
    fx.clock.advance(61_000);
    expect(await fx.engine.tick()).toBe(0);
    release();
    await first;
    expect(fx.system.effects).toEqual([
      { key: 'k', value: 'answered' },
      { key: 'not-idempotent', value: 'created' },
    ]);
    expect((await runOf(runIds[0]!)).run.status).toBe('completed');
  });

  it('a second process started with the same worker id takes the run over; the first turn can no longer write, so the step after runs once', async () => {
    fx = await engineFixture([slowThenCreate], { workerId: 'host-1' });
    const second = await anotherEngine([slowThenCreate], { clock: fx.clock, workerId: 'host-1' });
    const releaseFirst = fx.system.hold('k');
    const releaseSecond = second.system.hold('k');
    const { runIds } = await deliver();
    const stale = fx.engine.tick();
    await vi.waitFor(async () => expect((await runOf(runIds[0]!)).step('call')?.status).toBe('running'), { timeout: 5000 });
    // The first process beats no heartbeat (it never started its loop: a stalled process, as the store sees
    // it), so the second takes the id, frees the leases of "its previous incarnation" and repeats the call
    // (idempotent). A live first process refuses the second start (shared-worker-id.test.ts).
    second.engine.start();
    await vi.waitFor(async () => expect((await runOf(runIds[0]!)).step('call')?.attempts).toBe(2), { timeout: 5000 });
    // The first call answers while the second process holds the run.
    releaseFirst();
    await stale;
    releaseSecond();
    await vi.waitFor(async () => expect((await runOf(runIds[0]!)).run.status).toBe('completed'), { timeout: 5000 });
    await second.engine.stop();
    expect(second.system.effects).toEqual([
      { key: 'k', value: 'answered' },
      { key: 'not-idempotent', value: 'created' },
    ]);
    // The stale turn's call came back, but its outcome was refused and it went no further.
    expect(fx.system.effects).toEqual([{ key: 'k', value: 'answered' }]);
    expect((await runOf(runIds[0]!)).step('after')).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('a turn whose run is canceled under it aborts the call it is making', async () => {
    // The lease renewal runs on a real-time interval: fake just that one, and move it on by hand.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const leaseMs = 1500;
    fx = await engineFixture([slowThenCreate], { leaseMs });
    fx.system.hold('k');
    const { runIds } = await deliver();
    let turnEnded = false;
    const turn = fx.engine.tick().finally(() => (turnEnded = true));
    await vi.waitFor(async () => expect((await runOf(runIds[0]!)).step('call')?.status).toBe('running'), { timeout: 5000 });
    expect(await fx.engine.cancel(runIds[0]!)).toEqual({ canceled: true, run: (await runOf(runIds[0]!)).run });
    // The lease is renewed within its length: the renewal finds the run gone and cuts the call off.
    await vi.advanceTimersByTimeAsync(leaseMs);
    await vi.waitFor(() => expect(turnEnded, 'the turn ended without its call being answered').toBe(true), { timeout: 5000 });
    await turn;
    // The call was never answered, and the step after it never ran.
    expect(fx.system.effects).toEqual([]);
    const { run, step } = await runOf(runIds[0]!);
    expect(run.status).toBe('canceled');
    expect(step('after')).toBeUndefined();
  });
});

describe('engine: recovery after a process died mid-call', () => {
  async function interruptedIn(action: string) {
    fx = await engineFixture([recipeWith([{ id: 'call', type: 'action', action, input: { key: 'k' } }])]);
    const { runIds } = await deliver();
    const runId = asRunId(runIds[0]!);
    // A previous process claimed the run, journaled the call as running, and died before the answer.
    await fx.store.claimDueRuns({ now: fx.clock.now(), owner: 'dead-host', leaseMs: 60_000, limit: 1 });
    await fx.store.writeJournal(
      [{ runId, stepKey: asStepKey('call'), stepId: 'call', stepType: 'action', status: 'running', input: { key: 'k' }, output: null, error: null, attempts: 1, startedAt: fx.clock.now(), finishedAt: null, nextAttemptAt: null, wait: null, notes: [] }],
      'dead-host',
    );
    await fx.store.releaseLeases('dead-host', fx.clock.now());
    await fx.engine.runUntilIdle();
    return runOf(runId);
  }

  it('repeats an idempotent call, counting the interrupted attempt', async () => {
    const { run, step } = await interruptedIn('fake.record');
    expect(run.status).toBe('completed');
    expect(step('call')).toMatchObject({ status: 'completed', attempts: 2 });
  });

  it('does not repeat a call that is not safe to repeat: the run fails saying the outcome is unknown', async () => {
    const { run } = await interruptedIn('fake.create');
    expect(fx.system.effects).toEqual([]);
    expect(run.status).toBe('failed');
    expect(run.error?.message).toContain('may have taken effect (it was interrupted mid-call) and is not safe to repeat');
  });
});

describe('engine: schedule triggers', () => {
  const scheduled = recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: '{% $trigger.data.scheduled_at %}' } }], {
    name: 'weekday-digest',
    trigger: { type: 'schedule', cron: '0 8 * * 1-5', timezone: 'Europe/Berlin' },
  });

  it('starts one run per fire time in the schedule time zone, skipping the weekend', async () => {
    const { VirtualClock } = await import('./clock.ts');
    const { advanceTime } = await import('./advance-time.ts');
    fx = await engineFixture([scheduled], { clock: new VirtualClock('2026-03-06T09:00:00Z') });
    await advanceTime(fx.engine, fx.clock, 4 * 86_400_000);
    expect(fx.system.effects.map((e) => e.key)).toEqual(['2026-03-09T07:00:00.000Z', '2026-03-10T07:00:00.000Z']);
  });

  it('after a restart, starts the fires missed meanwhile once each, and never one twice', async () => {
    const { VirtualClock } = await import('./clock.ts');
    const { advanceTime } = await import('./advance-time.ts');
    fx = await engineFixture([scheduled], { clock: new VirtualClock('2026-03-09T06:00:00Z') });
    await advanceTime(fx.engine, fx.clock, 2 * 3_600_000);
    // The process is down from Monday 08:00 until Wednesday 12:00, then a new engine starts on the same store.
    const later = await anotherEngine([scheduled], { clock: new VirtualClock('2026-03-11T11:00:00Z') });
    await later.engine.runUntilIdle();
    await later.engine.runUntilIdle();
    const runs = await fx.store.listRuns({ recipe: 'weekday-digest', limit: 10 });
    expect(runs.map((r) => (r.trigger.data as { scheduled_at: string }).scheduled_at).sort()).toEqual([
      '2026-03-09T07:00:00.000Z',
      '2026-03-10T07:00:00.000Z',
      '2026-03-11T07:00:00.000Z',
    ]);
  });
});

describe('engine: the worker loop', () => {
  /** The worker runs on real time (it polls and is woken); waits for what a user would see. */
  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  const statusOf = async (runId: string) => (await fx.store.getRun(asRunId(runId)))!.status;

  /**
   * The worker's slots, which also count the worker loop's rounds: the loop asks them once per round,
   * before it claims. The test drives rounds instead of waiting for them.
   */
  class CountingLoopRounds extends WorkerSlots {
    #rounds = 0;
    #waiters: Array<{ round: number; resolve: () => void }> = [];
    override free(busy: number): number {
      this.#rounds += 1;
      this.#waiters = this.#waiters.filter((w) => (w.round <= this.#rounds ? (w.resolve(), false) : true));
      return super.free(busy);
    }
    /** Wakes the worker and resolves once its loop has started another round. */
    goRound(engine: { wake(): void }): Promise<void> {
      const round = this.#rounds + 1;
      const started = new Promise<void>((resolve) => this.#waiters.push({ round, resolve }));
      engine.wake();
      return started;
    }
  }

  /**
   * Two more rounds of the worker loop: a claim made in the first (the one that must not happen) has
   * been stored and its turn started before the second begins.
   */
  async function twoMoreRounds(rounds: CountingLoopRounds): Promise<void> {
    await rounds.goRound(fx.engine);
    await rounds.goRound(fx.engine);
  }

  it('a slow turn holds one slot, not the worker: the other runs are executed meanwhile', async () => {
    fx = await engineFixture([recipeWith([{ id: 'call', type: 'action', action: 'fake.slow', input: { key: '{% trigger.data.id %}' } }])], { concurrency: 2 });
    const answerA = fx.system.hold('A');
    const [a, b, c, d] = await Promise.all(['A', 'B', 'C', 'D'].map((id) => deliver(`d-${id}`, { id })));
    fx.engine.start();

    // One slot waits for the system's answer to A; B, C and D go through the other.
    try {
      await eventually(async () => (await statusOf(d!.runIds[0]!)) === 'completed', 'D completed');
      expect(await Promise.all([b, c].map((r) => statusOf(r!.runIds[0]!)))).toEqual(['completed', 'completed']);
      expect(await statusOf(a!.runIds[0]!)).toBe('running');
      expect(fx.system.effects.map((e) => e.key).sort()).toEqual(['B', 'C', 'D']);
    } finally {
      answerA();
    }
    await eventually(async () => (await statusOf(a!.runIds[0]!)) === 'completed', 'A completed');
    expect(fx.system.effects.map((e) => e.key).sort()).toEqual(['A', 'B', 'C', 'D']);
  });

  it('never runs more turns at once than its maximum concurrency, however many runs intake stored', async () => {
    const rounds = new CountingLoopRounds(1, 2);
    fx = await engineFixture([recipeWith([{ id: 'call', type: 'action', action: 'fake.slow', input: { key: '{% trigger.data.id %}' } }])], { slots: rounds });
    const answers = ['A', 'B', 'C'].map((id) => fx.system.hold(id));
    const runs = await Promise.all(['A', 'B', 'C'].map((id) => deliver(`d-${id}`, { id })));
    fx.engine.start();
    try {
      await eventually(async () => (await Promise.all(runs.map((r) => statusOf(r.runIds[0]!)))).filter((s) => s === 'running').length === 2, 'two runs are running');
      // The loop goes round with both slots busy: it must not claim the third.
      await twoMoreRounds(rounds);
      expect((await Promise.all(runs.map((r) => statusOf(r.runIds[0]!)))).sort()).toEqual(['queued', 'running', 'running']);
    } finally {
      for (const answer of answers) answer();
    }
    await eventually(async () => (await Promise.all(runs.map((r) => statusOf(r.runIds[0]!)))).every((s) => s === 'completed'), 'all completed');
  });

  it('takes its maximum concurrency from maxConcurrency (WORKER_MAX_CONCURRENCY): with 1 and 2, two of three stored runs run at once', async () => {
    fx = await engineFixture([recipeWith([{ id: 'call', type: 'action', action: 'fake.slow', input: { key: '{% trigger.data.id %}' } }])], {
      concurrency: 1,
      maxConcurrency: 2,
    });
    const answers = ['A', 'B', 'C'].map((id) => fx.system.hold(id));
    const runs = await Promise.all(['A', 'B', 'C'].map((id) => deliver(`d-${id}`, { id })));
    fx.engine.start();
    const statuses = async () => (await Promise.all(runs.map((r) => statusOf(r.runIds[0]!)))).sort().join(',');
    try {
      // Ignoring maxConcurrency (the default maximum is 64) would run all three at once; ignoring intake, one.
      await eventually(async () => (await statuses()) === 'queued,running,running', 'two runs are running and one waits');
    } finally {
      for (const answer of answers) answer();
    }
    await eventually(async () => (await statuses()) === 'completed,completed,completed', 'all completed');
  });

  it('executes one more run at once for each run intake stored, so execution keeps pace with intake', async () => {
    const slots = new CountingLoopRounds(1, 8);
    fx = await engineFixture([recipeWith([{ id: 'call', type: 'action', action: 'fake.slow', input: { key: '{% trigger.data.id %}' } }])], { slots });
    const answers = ['A', 'B', 'C', 'D'].map((id) => fx.system.hold(id));
    // Four runs stored while the worker has one slot: it matches them run for run, all four at once.
    const runs = await Promise.all(['A', 'B', 'C', 'D'].map((id) => deliver(`d-${id}`, { id })));
    fx.engine.start();
    try {
      await eventually(async () => (await Promise.all(runs.map((r) => statusOf(r.runIds[0]!)))).every((s) => s === 'running'), 'four runs are running');
    } finally {
      for (const answer of answers) answer();
    }
    await eventually(async () => (await Promise.all(runs.map((r) => statusOf(r.runIds[0]!)))).every((s) => s === 'completed'), 'all completed');
    // Once it caught up, the worker is back to its one slot: runs started by hand (no intake) go one at a time.
    const held = ['E', 'F'].map((id) => fx.system.hold(id));
    const manual = await Promise.all(['E', 'F'].map((id) => fx.engine.startRun('test-recipe', { id })));
    try {
      await eventually(async () => (await Promise.all(manual.map((r) => statusOf(r.id)))).includes('running'), 'a run is running');
      await twoMoreRounds(slots);
      expect((await Promise.all(manual.map((r) => statusOf(r.id)))).sort()).toEqual(['queued', 'running']);
    } finally {
      for (const answer of held) answer();
    }
    await eventually(async () => (await Promise.all(manual.map((r) => statusOf(r.id)))).every((s) => s === 'completed'), 'both completed');
  });
});
