import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { defineAction, defineConnector, defineEvent } from '../../connectors/kit/define-connector.ts';
import { recipeWith } from '../../test/support/engine-fixture.ts';
import { appFixture, WEBHOOK_SECRET, type AppFixture } from './app-fixture.ts';
import { signWebhook } from './webhook-signature.ts';
import { ConsoleBrowser, textOf } from '../../test/support/console-browser.ts';

/**
 * Review 5, finding 4: a system that hangs holds its turns, but not the worker's slots: the runs due
 * behind it start (up to WORKER_MAX_CONCURRENCY) without waiting for intake to add slots. Once that
 * many turns all wait on it, the backlog ages and intake is pushed back (503 with Retry-After, nothing
 * stored, DESIGN principle 6: a 202 promises work that starts soon) until the system answers.
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
  it('pushes back once every turn waits on a PRM that never answers, stores nothing refused, and once it answers runs every stored run and every delivery sent again exactly once', async () => {
    fx = await appFixture({
      recipes: [prmRecipe, formRecipe],
      config: { maxDueAgeMs: 5000, webhookSecrets: { fake: WEBHOOK_SECRET, webform: WEBFORM_SECRET } },
      // Small numbers, same shape as production: a few base slots, a maximum of turns at once.
      engine: { concurrency: 2, maxConcurrency: 6, connectors: [webform] },
    });
    fx.engine.start();
    const answers: Array<{ i: number; status: number; retryAfter: string | null }> = [];
    // Three PRM webhooks a second for 20 s (engine clock): four times MAX_DUE_AGE_MS.
    for (let i = 0; i < 60; i++) {
      released.push(fx.system.hold(`MDF-${i}`));
      await metrics();
      const res = await fx.deliver({ id: `d-${i}`, event: 'thing.happened', data: { id: `MDF-${i}` } });
      answers.push({ i, status: res.status, retryAfter: res.headers.get('retry-after') });
      await settle();
      fx.clock.advance(333);
    }
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status !== 202);
    // The six turns the maximum allows all wait on the PRM, and the runs behind them age: pushed back.
    expect(accepted.length).toBeGreaterThanOrEqual(6);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.status).toBe(503);
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // At most half of the six turns wait on the PRM once one of its calls has gone unanswered for a
    // second (a call started before then still waits); its other runs are parked, nothing sent, and
    // they count in the due backlog from when they were due. On a loaded machine the last accepted
    // run may not have been claimed yet: give the worker a moment (real time) to park it.
    const waitingIn = (t: string) => Number(/^partnerflow_turns_waiting_on_systems\{[^}]*\} (\S+)$/m.exec(t)?.[1]);
    const parkedIn = (t: string) => Number(/^partnerflow_due_backlog_parked_runs\{[^}]*\} (\S+)$/m.exec(t)?.[1]);
    let text = await metrics();
    for (let i = 0; i < 200 && waitingIn(text) + parkedIn(text) < accepted.length; i++) {
      fx.engine.wake();
      await settle();
      text = await metrics();
    }
    const waiting = waitingIn(text);
    expect(waiting).toBeGreaterThanOrEqual(3);
    expect(waiting).toBeLessThan(6);
    expect(Number(/^partnerflow_turns_parked_total\{[^}]*system="fake"[^}]*\} (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(parkedIn(text)).toBe(accepted.length - waiting);
    expect(text).toMatch(/partnerflow_webhooks_refused_total\{[^}]*reason="age"[^}]*\} [1-9]/);
    // A web form's submission is pushed back too; its sender delivers it again later.
    expect((await deliverForm('form-1')).status).toBe(503);
    // Nothing refused was stored.
    expect(await fx.store.listRuns({ limit: 1000 })).toHaveLength(accepted.length);

    // The PRM answers again: the stored runs complete, and every delivery sent again is accepted.
    for (const release of released.splice(0)) release();
    await untilAllFinished(accepted.length);
    for (const r of refused) {
      // A scrape counts the due backlog afresh (it is otherwise counted at most every 200 ms).
      await metrics();
      const again = await fx.deliver({ id: `d-${r.i}`, event: 'thing.happened', data: { id: `MDF-${r.i}` } });
      expect(again.status).toBe(202);
      await settle();
    }
    await metrics();
    expect((await deliverForm('form-1')).status).toBe(202);
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
    expect(await metrics()).toMatch(new RegExp(`^partnerflow_webhooks_refused_total\\{reason="backlog",worker="[^"]+"\\} ${20 - accepted}$`, 'm'));
    expect(await fx.store.listRuns({ limit: 100 })).toHaveLength(accepted);
  });

  it('sends the web forms\' emails while the PRM hangs, keeps the parked PRM runs in the backlog that pushes intake back, and once the PRM answers completes each stored run once', async () => {
    const emails: string[] = [];
    // The email system: it answers.
    const mail = defineConnector({
      name: 'mail',
      description: 'an email API that answers',
      config: z.object({}),
      env: {},
      connect: () => ({}),
      actions: {
        send: defineAction({
          description: 'sends one email',
          input: z.object({ to: z.string() }).strict(),
          output: z.object({ sent: z.string() }),
          idempotent: true,
          async run(input) {
            emails.push(input.to);
            return { sent: input.to };
          },
        }),
      },
    });
    const formEmails = {
      ...recipeWith([{ id: 'receipt', type: 'action', action: 'mail.send', input: { to: '{% trigger.data.id %}' } }], { name: 'form-receipt' }),
      trigger: { type: 'webhook' as const, event: 'webform.form.submitted' },
    };
    fx = await appFixture({
      recipes: [prmRecipe, formEmails],
      config: { maxDueAgeMs: 5000, webhookSecrets: { fake: WEBHOOK_SECRET, webform: WEBFORM_SECRET } },
      engine: { concurrency: 2, maxConcurrency: 6, connectors: [webform, mail], leaseMs: 3_600_000 },
    });
    fx.engine.start();
    const prm: Array<{ i: number; status: number }> = [];
    const forms: Array<{ id: string; status: number; at: number }> = [];
    // A PRM webhook and a web form every 250 ms for 3 s: the PRM hangs from the first call.
    for (let i = 0; i < 12; i++) {
      released.push(fx.system.hold(`MDF-${i}`));
      await metrics();
      prm.push({ i, status: (await fx.deliver({ id: `d-${i}`, event: 'thing.happened', data: { id: `MDF-${i}` } })).status });
      forms.push({ id: `F-${i}`, status: (await deliverForm(`F-${i}`)).status, at: fx.clock.now() });
      for (let k = 0; k < 4; k++) {
        fx.engine.wake();
        await settle();
      }
      fx.clock.advance(250);
    }
    // Every form was accepted, and its email went out while the PRM hangs, within a second of it.
    expect(forms.map((f) => f.status)).toEqual(Array(12).fill(202));
    expect(prm.map((p) => p.status)).toEqual(Array(12).fill(202));
    expect(emails.sort()).toEqual(forms.map((f) => f.id).sort());
    const runs = await fx.store.listRuns({ limit: 100 });
    const formRuns = runs.filter((r) => r.recipe === 'form-receipt');
    expect(formRuns.map((r) => r.status)).toEqual(Array(12).fill('completed'));
    for (const r of formRuns) expect(r.finishedAt! - r.createdAt).toBeLessThanOrEqual(1000);
    // The PRM runs: at most half the turns wait on the PRM, the others are parked, nothing sent.
    expect(fx.system.effects).toEqual([]);
    const prmRuns = runs.filter((r) => r.recipe === 'prm-sync');
    const calling = prmRuns.filter((r) => r.status === 'running').length;
    expect(calling).toBeGreaterThanOrEqual(3);
    expect(calling).toBeLessThan(6);
    expect(prmRuns.filter((r) => r.parkedOn === 'fake').length).toBe(12 - calling);
    // The console's runs page says why a parked run waits.
    const parkedRun = prmRuns.find((r) => r.parkedOn === 'fake')!;
    const listed = textOf(await (await new ConsoleBrowser(fx.app).get('/console/runs?recipe=prm-sync')).text());
    expect(listed).toContain(`${parkedRun.id} prm-sync v1 waiting`);
    expect(listed).toMatch(/its call to fake, parked \(half the worker's turns wait on fake\): tried again at 2026-\S+ \S+ UTC or when fake answers, due since 2026-\S+ \S+ UTC/);
    let text = await metrics();
    expect(Number(/^partnerflow_due_backlog_parked_runs\{[^}]*\} (\S+)$/m.exec(text)?.[1])).toBe(12 - calling);
    expect(Number(/^partnerflow_due_backlog_runs\{[^}]*\} (\S+)$/m.exec(text)?.[1])).toBe(12 - calling);

    // The PRM still hangs: the parked runs age in the backlog and intake is pushed back, for web
    // forms too (a 202 promises work that starts soon), nothing stored.
    fx.clock.advance(5000);
    text = await metrics();
    expect(Number(/^partnerflow_due_backlog_oldest_age_seconds\{[^}]*\} (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(5);
    expect((await fx.deliver({ id: 'd-late', event: 'thing.happened', data: { id: 'MDF-late' } })).status).toBe(503);
    expect((await deliverForm('F-late')).status).toBe(503);
    expect(await fx.store.listRuns({ limit: 100 })).toHaveLength(24);

    // The PRM answers: every stored run completes, each PRM record and each email once.
    for (const release of released.splice(0)) release();
    await untilAllFinished(24);
    expect(fx.system.effects.map((e) => e.key).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `MDF-${i}`).sort());
    expect(emails.sort()).toEqual(forms.map((f) => f.id).sort());
    text = await metrics();
    expect(Number(/^partnerflow_due_backlog_parked_runs\{[^}]*\} (\S+)$/m.exec(text)?.[1])).toBe(0);
  });
});
