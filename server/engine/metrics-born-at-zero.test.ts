import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture, recipeWith, type EngineFixture } from '../../test/support/engine-fixture.ts';

/**
 * Alerts use increase() over a counter; a series that first appears at 1 has no sample before it, so the
 * first failure after a start never fires. The trigger errors and the parked turns of each served
 * recipe are shown at 0 from the start, with the labels they can take.
 */
const open: EngineFixture[] = [];
afterEach(async () => {
  for (const fx of open.splice(0)) await fx.close();
});

async function samples(fx: EngineFixture, name: string): Promise<string[]> {
  const text = await fx.engine.metrics.registry.metrics();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`)).sort();
}

describe('/metrics at start: each recipe series an alert watches is there at 0', () => {
  it('shows a trigger error counter at 0 for each trigger and cancel_on field a served recipe has, and counts the first failure from it', async () => {
    const keyed = recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' } }], {
      name: 'keyed',
      trigger: { type: 'webhook', event: 'fake.thing.happened', filter: '{% data.id != "skip" %}', dedup_key: '{% data.idd %}' },
      cancel_on: { event: 'fake.thing.happened', filter: '{% data.stop %}' },
    });
    const digest = recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: 'digest' } }], {
      name: 'digest',
      trigger: { type: 'schedule', cron: '0 8 * * 1-5', timezone: 'Europe/Berlin' },
    });
    const fx = await engineFixture([keyed, digest]);
    open.push(fx);
    const w = fx.engine.workerId;
    expect(await samples(fx, 'partnerflow_recipe_trigger_errors_total')).toEqual([
      `partnerflow_recipe_trigger_errors_total{recipe="digest",field="trigger.cron",worker="${w}"} 0`,
      `partnerflow_recipe_trigger_errors_total{recipe="digest",field="trigger.timezone",worker="${w}"} 0`,
      `partnerflow_recipe_trigger_errors_total{recipe="keyed",field="cancel_on.filter",worker="${w}"} 0`,
      `partnerflow_recipe_trigger_errors_total{recipe="keyed",field="trigger.dedup_key",worker="${w}"} 0`,
      `partnerflow_recipe_trigger_errors_total{recipe="keyed",field="trigger.filter",worker="${w}"} 0`,
    ]);

    // The dedup key reads a field the event lacks: the first failure moves the series from 0 to 1.
    await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-1' } });
    expect(await samples(fx, 'partnerflow_recipe_trigger_errors_total')).toContain(
      `partnerflow_recipe_trigger_errors_total{recipe="keyed",field="trigger.dedup_key",worker="${w}"} 1`,
    );
  });

  it('shows parked turns at 0 for each system a served recipe calls, also from on_error and nested steps, and none for a recipe that calls nothing', async () => {
    const calls = recipeWith(
      [
        { id: 'set', type: 'set', values: { a: 1 } },
        { id: 'branch', type: 'if', condition: '{% true %}', then: [{ id: 'note', type: 'action', action: 'fake.record', input: { key: 'x' } }] },
      ],
      { name: 'calls', on_error: { steps: [{ id: 'tell', type: 'action', action: 'email.send', input: { to: ['ops@vendor.test'], subject: 's', text: 't' } }] } },
    );
    const quiet = recipeWith([{ id: 'set', type: 'set', values: { a: 1 } }], { name: 'quiet', trigger: { type: 'webhook', event: 'fake.other.happened' } });
    const fx = await engineFixture([calls, quiet]);
    open.push(fx);
    const w = fx.engine.workerId;
    expect(await samples(fx, 'partnerflow_turns_parked_total')).toEqual([
      `partnerflow_turns_parked_total{system="email",worker="${w}"} 0`,
      `partnerflow_turns_parked_total{system="fake",worker="${w}"} 0`,
    ]);
  });
});
