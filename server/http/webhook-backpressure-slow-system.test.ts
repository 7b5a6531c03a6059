import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { defineConnector, defineEvent } from '../../connectors/kit/define-connector.ts';
import { recipeWith } from '../../test/support/engine-fixture.ts';
import { appFixture, WEBHOOK_SECRET, type AppFixture } from './app-fixture.ts';
import { signWebhook } from './webhook-signature.ts';

/**
 * Review 5, finding 4: one external system that hangs must not make the runtime refuse webhooks.
 * Storing a webhook costs one insert; a 503 risks losing it (a web form sender may not retry).
 * Backpressure protects the store and memory when intake outruns execution; a backlog stuck behind
 * one slow system is not that.
 */
let fx: AppFixture;
afterEach(async () => {
  for (const release of released.splice(0)) release();
  await fx?.close();
});
const released: Array<() => void> = [];

const WEBFORM_SECRET = 'fake-webform-secret-for-tests';

/** Another webhook source whose runs never call the hanging system (a web form). */
const webform = defineConnector({
  name: 'webform',
  description: 'a web form that posts its submissions once',
  config: z.object({}),
  env: {},
  connect: () => ({}),
  actions: {},
  events: { 'form.submitted': defineEvent({ description: 'a form was submitted', data: z.object({ id: z.string() }).passthrough() }) },
});

/** The PRM run: one call to a system that answers only when the test releases it (FakeSystem.hold). */
const prmRecipe = recipeWith([{ id: 'fetch', type: 'action', action: 'fake.slow', input: { key: '{% trigger.data.id %}' } }], { name: 'prm-sync' });
const formRecipe = {
  ...recipeWith([{ id: 'store', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' } }], { name: 'form-intake' }),
  trigger: { type: 'webhook' as const, event: 'webform.form.submitted' },
};

async function deliverForm(id: string): Promise<Response> {
  const text = JSON.stringify({ id, event: 'form.submitted', data: { id } });
  return fx.app.request('/webhooks/webform', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signWebhook(WEBFORM_SECRET, text, Math.floor(fx.clock.now() / 1000)) },
    body: text,
  });
}

/** Lets the worker loop claim and start turns (real time; the engine clock is moved by the test). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

/** What `/metrics` says (a scrape also counts the due backlog afresh for the webhook route). */
async function metrics(): Promise<string> {
  return (await fx.app.request('/metrics')).text();
}

async function untilAllFinished(expected: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const runs = await fx.store.listRuns({ limit: 1000 });
    if (runs.length === expected && runs.every((r) => r.status === 'completed')) return;
    fx.engine.wake();
    await settle();
  }
  const runs = await fx.store.listRuns({ limit: 1000 });
  throw new Error(`runs not all completed: ${JSON.stringify(runs.map((r) => r.status))}`);
}

describe('POST /webhooks/:source while one system hangs', () => {
  it('keeps answering 202 and storing every webhook (of any source) while the PRM never answers; once it answers, every run completes exactly once', async () => {
    fx = await appFixture({
      recipes: [prmRecipe, formRecipe],
      config: { maxDueAgeMs: 5000, webhookSecrets: { fake: WEBHOOK_SECRET, webform: WEBFORM_SECRET } },
      // Small numbers, same shape as production: a few base slots, a maximum of turns at once.
      engine: { concurrency: 2, maxConcurrency: 6, connectors: [webform] },
    });
    fx.engine.start();
    const statuses: number[] = [];
    // Three PRM webhooks a second for 20 s (engine clock): four times MAX_DUE_AGE_MS.
    for (let i = 0; i < 60; i++) {
      released.push(fx.system.hold(`MDF-${i}`));
      await metrics();
      const res = await fx.deliver({ id: `d-${i}`, event: 'thing.happened', data: { id: `MDF-${i}` } });
      statuses.push(res.status);
      await settle();
      fx.clock.advance(333);
    }
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    // The backlog really is stuck behind the PRM: runs are due and the oldest is older than MAX_DUE_AGE_MS.
    const text = await metrics();
    expect(Number(/^partnerflow_due_backlog_runs (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(Number(/^partnerflow_due_backlog_oldest_age_seconds\{[^}]*\} (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(5);
    // What the operator sees instead of refusals: the turns that wait on the PRM.
    expect(Number(/^partnerflow_turns_waiting_on_systems\{[^}]*\} (\S+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(3);
    // A web form's submission, which the PRM has nothing to do with, is accepted and stored.
    const form = await deliverForm('form-1');
    expect(form.status).toBe(202);
    expect(text).not.toMatch(/partnerflow_webhooks_refused_total\{reason="age"\} [1-9]/);
    const runs = await fx.store.listRuns({ limit: 1000 });
    expect(runs.filter((r) => r.recipe === 'prm-sync')).toHaveLength(60);
    expect(runs.filter((r) => r.recipe === 'form-intake')).toHaveLength(1);

    // The PRM answers again: every run completes, each call's effect exactly once.
    for (const release of released.splice(0)) release();
    await untilAllFinished(61);
    const keys = fx.system.effects.map((e) => e.key).sort();
    expect(keys).toEqual([...Array.from({ length: 60 }, (_, i) => `MDF-${i}`), 'form-1'].sort());
  });

  it('still refuses at MAX_DUE_BACKLOG while the PRM hangs: what is stored meanwhile stays bounded', async () => {
    fx = await appFixture({
      recipes: [prmRecipe, formRecipe],
      config: { maxDueAgeMs: 5000, maxDueBacklog: 5, webhookSecrets: { fake: WEBHOOK_SECRET, webform: WEBFORM_SECRET } },
      engine: { concurrency: 1, maxConcurrency: 2, connectors: [webform] },
    });
    fx.engine.start();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      released.push(fx.system.hold(`MDF-${i}`));
      await metrics();
      statuses.push((await fx.deliver({ id: `d-${i}`, event: 'thing.happened', data: { id: `MDF-${i}` } })).status);
      await settle();
      fx.clock.advance(1000);
    }
    // Two turns wait on the PRM and five runs are due behind them (MAX_DUE_BACKLOG): the rest is
    // refused, none of it stored.
    const accepted = statuses.filter((s) => s === 202).length;
    expect(accepted).toBeGreaterThanOrEqual(5);
    expect(accepted).toBeLessThanOrEqual(7);
    expect(statuses.slice(accepted).every((s) => s === 503)).toBe(true);
    expect(await metrics()).toContain(`partnerflow_webhooks_refused_total{reason="backlog"} ${20 - accepted}`);
    expect(await fx.store.listRuns({ limit: 100 })).toHaveLength(accepted);
  });
});

