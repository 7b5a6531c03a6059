import { afterEach, expect, it } from 'vitest';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { engineFixture, recipeWith, silentLog, type EngineFixture } from '../../test/support/engine-fixture.ts';

/**
 * One schedule the runtime cannot compute must not stop the other recipes (review3, finding 1). Recipe
 * validation refuses a bad cron or time zone, but a zone can still be unknown where the recipe runs
 * (another Node, another ICU): the claim loop used to throw on it every 500 ms, running no run at all.
 */
const open: EngineFixture[] = [];
afterEach(async () => {
  for (const fx of open.splice(0)) await fx.close();
});

it("a schedule whose time zone the runtime cannot use is skipped, logged and counted; the other recipes' runs go on", async () => {
  const errors: Array<{ fields: unknown; msg: string }> = [];
  const log: Logger = { ...silentLog, error: (fields: unknown, msg: string) => void errors.push({ fields, msg }) } as Logger;
  const digest = recipeWith([{ id: 'digest', type: 'set', values: { a: 1 } }] as never, { name: 'weekday-digest', trigger: { type: 'schedule', cron: '0 7 * * 1-5', timezone: 'Europe/Berlin' } });
  const note = recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: '{% $trigger.data.id %}' } }] as never, { name: 'plain' });
  const fx = await engineFixture([digest, note], { log });
  open.push(fx);
  // As if this runtime's time zone data lacked the zone the recipe was validated with.
  (fx.engine.recipes.get('weekday-digest')!.definition.trigger as { timezone: string }).timezone = 'Europe/Berln';

  await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-1' } });
  await fx.engine.runUntilIdle();
  await fx.clock.advance(2 * 24 * 3600_000);
  await fx.engine.runUntilIdle();

  expect((await fx.store.listRuns({ recipe: 'plain', limit: 10 })).map((r) => r.status)).toEqual(['completed']);
  expect(fx.system.effects.map((e) => e.key)).toEqual(['T-1']);
  expect(await fx.store.listRuns({ recipe: 'weekday-digest', limit: 10 })).toEqual([]);
  // Said once, naming the recipe and the field, not at every claim.
  expect(errors).toEqual([
    { fields: { recipe: 'weekday-digest', field: 'trigger.timezone', error: 'Invalid time zone specified: Europe/Berln' }, msg: 'schedule skipped: its fire times cannot be computed; no run of it starts until the recipe is fixed' },
  ]);
  expect(await fx.engine.metrics.registry.metrics()).toContain(`partnerflow_recipe_trigger_errors_total{recipe="weekday-digest",field="trigger.timezone",worker="${fx.engine.workerId}"} 1`);
});
