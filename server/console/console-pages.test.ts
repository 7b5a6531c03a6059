import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { fakeConnector, permanentError, recipeWith, silentLog } from '../../test/support/engine-fixture.ts';
import { MOCK_APPROVAL_LINK_SECRET } from '../../connectors/approval/approval-token.ts';
import { appFixture, approvalRecipe, type AppFixture } from '../http/app-fixture.ts';
import { createApp } from '../http/app.ts';
import { checkRecipeFiles } from '../recipes/check-recipe-files.ts';
import { checkTableFiles } from '../recipes/check-table-files.ts';
import { loadTables, type Tables } from '../engine/tables.ts';
import { copyFileSync, readFileSync } from 'node:fs';
import { CONNECTORS } from '../../connectors/index.ts';
import { loadConfig } from '../config.ts';
import { ConsoleBrowser, runIdsOn, textOf } from '../../test/support/console-browser.ts';

let fx: AppFixture;
afterEach(async () => fx?.close());

/** A recipe on the fake event (its correlation key is `data.id`, the business key): records, branches, records again. */
const mdfRecipe = recipeWith(
  [
    { id: 'read_request', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' }, description: 'Reads the request from the PRM.' },
    { id: 'big', type: 'if', condition: "{% trigger.data.status = 'big' %}", then: [{ id: 'ask_lead', type: 'action', action: 'fake.echo', input: { value: 'lead' } }], else: [{ id: 'note_small', type: 'set', values: { small: true } }] },
    { id: 'tell_partner', type: 'action', action: 'fake.create', input: { key: '{% trigger.data.id %}' } },
  ],
  { name: 'mdf-test', description: 'An MDF request, end to end, for the console tests.' },
);

/** A recipe that runs one run per business key at a time (its trigger's concurrency_key), each waiting for a decision. */
const oneAtATime = recipeWith(
  [
    { id: 'note', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' } },
    { id: 'decision', type: 'wait_for', signal: 'decision', timeout: 'P30D' },
  ],
  { trigger: { type: 'webhook', event: 'fake.thing.happened', dedup_key: "{% data.id & '@' & $string(data.n) %}", concurrency_key: '{% data.id %}' } },
);

let delivered = 0;
async function deliver(id: string, extra: Record<string, unknown> = {}): Promise<string> {
  delivered += 1;
  const res = await fx.deliver({ id: `delivery-${delivered}`, event: 'thing.happened', data: { id, ...extra } });
  fx.clock.advance(1000);
  return ((await res.json()) as { run_ids: string[] }).run_ids[0]!;
}

async function page(browser: ConsoleBrowser, path: string): Promise<{ status: number; html: string; text: string }> {
  const res = await browser.get(path);
  const html = await res.text();
  return { status: res.status, html, text: textOf(html) };
}

/**
 * A console list asked for with a `before` cursor that is no run: 400, the title and the whole sentence
 * saying the link is stale, a link to the list's first page, and no runs listed.
 */
function expectStaleCursorPage(shown: { status: number; html: string; text: string }, runId: string, firstPage: { href: string; label: string }): void {
  expect(shown.status).toBe(400);
  expect(shown.text).toContain(
    `This page link is stale This link goes on from run ${runId}, which is not in this runtime's store (the store was reset or replaced since the link was made, or the link was changed), so there is no older page to show from it.`,
  );
  expect(shown.html).toContain(`<a href="${firstPage.href}">${firstPage.label}</a>`);
  expect(runIdsOn(shown.html)).toEqual([]);
}

describe('the runs page', () => {
  it('finds a failed run by its MDF number; its page says the error in words and marks the path it took', async () => {
    fx = await appFixture({ recipes: [mdfRecipe] });
    const browser = new ConsoleBrowser(fx.app);
    await deliver('MDF-1000');
    await fx.engine.runUntilIdle();
    fx.system.failNext('create', permanentError('the PRM has no partner contact for MDF-4242'));
    const failed = await deliver('MDF-4242');
    await deliver('MDF-5000');
    await fx.engine.runUntilIdle();

    const found = await page(browser, '/console/runs?key=MDF-4242');
    expect(found.status).toBe(200);
    expect(runIdsOn(found.html)).toEqual([failed]);
    expect(found.text).toContain('mdf-test v1 failed');
    expect(found.text).toContain('the PRM has no partner contact for MDF-4242');

    const failedOnly = await page(browser, '/console/runs?status=failed');
    expect(runIdsOn(failedOnly.html)).toEqual([failed]);
    // An unknown status, or a cursor that is no run id, is said, not taken for no filter (every run).
    const bogus = await page(browser, '/console/runs?status=bogus');
    expect(bogus.status).toBe(400);
    expect(bogus.text).toContain('"bogus" is not a run status: choose queued, running, waiting, completed, failed or canceled');
    expect(runIdsOn(bogus.html)).toEqual([]);
    const badCursor = await page(browser, '/console/runs?before=zzz');
    expect(badCursor.status).toBe(400);
    expect(badCursor.text).toContain('"zzz" is not a run id');
    // Shaped like a run id but no run: said too, as GET /runs does, rather than listing from the newest.
    expectStaleCursorPage(await page(browser, '/console/runs?before=run_nope'), 'run_nope', { href: '/console/runs', label: 'The first page: the newest runs' });
    // With filters, the first page keeps them.
    expectStaleCursorPage(await page(browser, '/console/runs?status=failed&before=run_nope'), 'run_nope', { href: '/console/runs?status=failed', label: 'The first page: the newest runs' });

    const run = await page(browser, `/console/runs/${failed}`);
    expect(run.text).toContain('Step tell_partner failed: the PRM has no partner contact for MDF-4242');
    expect(run.text).toContain('Business key MDF-4242');
    // The flow: the if took its else branch; ask_lead was not run; the failed step shows its attempts.
    expect(run.text).toContain('then (not taken)');
    expect(run.text).toContain('else (taken)');
    expect(run.html).toMatch(/class="step not-taken" id="step-ask_lead"/);
    expect(run.html).toMatch(/class="step taken" id="step-note_small"/);
    expect(run.text).toMatch(/tell_partner action fake\.create failed .*Attempts 1/);
    expect(run.text).toContain('Retry from the failed step');
  });

  it('pages newest first with an "older" link (a cursor), each page the next runs with no overlap', async () => {
    fx = await appFixture({ recipes: [mdfRecipe] });
    const browser = new ConsoleBrowser(fx.app);
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) {
      ids.push(await deliver(`MDF-${2000 + i}`));
      await fx.engine.runUntilIdle();
    }
    const newestFirst = [...ids].reverse();

    const seen: string[] = [];
    let path: string | undefined = '/console/runs';
    while (path) {
      const p = await page(browser, path);
      seen.push(...runIdsOn(p.html));
      path = /href="([^"]+)" rel="next"/.exec(p.html)?.[1]?.replace(/&amp;/g, '&');
    }
    expect(seen).toEqual(newestFirst);

    // With a filter, the cursor keeps the filter.
    const first = await page(browser, '/console/runs?recipe=mdf-test&status=completed');
    const older = /href="([^"]+)" rel="next"/.exec(first.html)![1]!.replace(/&amp;/g, '&');
    expect(older).toBe(`/console/runs?recipe=mdf-test&status=completed&before=${newestFirst[49]}`);
    expect(runIdsOn((await page(browser, older)).html)).toEqual(newestFirst.slice(50, 100));
  });

  it('shows each row: recipe and version, status, trigger, started, duration and what it waits for', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    const browser = new ConsoleBrowser(fx.app);
    const runId = await deliver('MDF-2001');
    await fx.engine.runUntilIdle();
    const p = await page(browser, '/console/runs');
    expect(p.text).toContain(`${runId} test-recipe v1 waiting MDF-2001 webhook fake.thing.happened`);
    expect(p.text).toMatch(/signal decision at step decision, until 2026-04-01 09:00:0\d UTC/);
    expect(p.html).toMatch(/<time datetime="2026-03-02T09:00:0\d\.\d{3}Z" title="2026-03-02 09:00:0\d UTC">/);
  });

  it('says a run held back behind the unfinished run of its concurrency key waits for that run, not for a worker', async () => {
    const keyed = recipeWith([{ id: 'decision', type: 'wait', for: 'P1D' }], {
      name: 'keyed-recipe',
      trigger: { type: 'webhook', event: 'fake.thing.happened', dedup_key: "{% data.id & '@' & data.stamp %}", concurrency_key: '{% data.id %}' },
    });
    fx = await appFixture({ recipes: [keyed] });
    const browser = new ConsoleBrowser(fx.app);
    await deliver('MDF-2002', { stamp: '1' });
    const held = await deliver('MDF-2002', { stamp: '2' });
    await fx.engine.runUntilIdle();
    const p = await page(browser, '/console/runs');
    expect(p.text).toContain(`${held} keyed-recipe v1 queued MDF-2002`);
    expect(p.text).toContain('the run of MDF-2002 before it to finish (one at a time per concurrency_key)');
  });
});

describe('retry and cancel from the run page', () => {
  it('retries a failed run from its failed step after a confirmation; the run then completes', async () => {
    fx = await appFixture({ recipes: [mdfRecipe] });
    const browser = new ConsoleBrowser(fx.app);
    fx.system.failNext('create', permanentError('the PRM is down for maintenance'));
    const runId = await deliver('MDF-4243');
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId as never))!.status).toBe('failed');

    const run = await page(browser, `/console/runs/${runId}`);
    expect(run.html).toContain(`href="/console/runs/${runId}/retry"`);
    const confirm = await page(browser, `/console/runs/${runId}/retry`);
    expect(confirm.text).toContain('Retry this run?');
    expect(confirm.text).toContain('Yes, retry from the failed step');
    expect((await fx.store.getRun(runId as never))!.status).toBe('failed');

    const csrf = await browser.csrfOf(`/console/runs/${runId}/retry`);
    const res = await browser.post(`/console/runs/${runId}/retry`, { csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/console/runs/${runId}?done=retried`);
    expect(textOf(await (await browser.get(res.headers.get('location')!)).text())).toContain('The run was queued again: it continues from its failed step.');
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId as never))!.status).toBe('completed');
    // Done once: a second retry is refused with the reason.
    const again = await browser.post(`/console/runs/${runId}/retry`, { csrf });
    expect(again.status).toBe(409);
    expect(textOf(await again.text())).toContain('is completed: only a run that failed at a step can be retried');
  });

  it('D7: a retry refused because a newer run of the same concurrency_key is still going says so, in the words the API gives, and names that run', async () => {
    fx = await appFixture({ recipes: [oneAtATime] });
    const browser = new ConsoleBrowser(fx.app);
    fx.system.failNext('record', permanentError('the PRM is down for maintenance'));
    const first = await deliver('MDF-4260', { n: 1 });
    await fx.engine.runUntilIdle();
    // The confirmation page opened before the resubmission (once it holds the key, the page offers no button).
    const csrf = await browser.csrfOf(`/console/runs/${first}/retry`);
    const second = await deliver('MDF-4260', { n: 2 });
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(second as never))!.status).toBe('waiting');

    const res = await browser.post(`/console/runs/${first}/retry`, { csrf });
    expect(res.status).toBe(409);
    const text = textOf(await res.text());
    expect(text).toContain(
      `Run ${first} failed, and run ${second} of the same key MDF-4260 (its recipe's concurrency_key) has not finished: retry it once that run has finished, or cancel that run first.`,
    );
    // The same reason as POST /runs/:id/retry gives.
    const api = await fx.app.request(`/runs/${first}/retry`, { method: 'POST' });
    expect(api.status).toBe(409);
    const { error } = (await api.json()) as { error: string };
    expect(text).toContain(error.slice(1));
    expect((await fx.store.getRun(first as never))!.status).toBe('failed');
  });

  it('D7: the retry confirmation says up front that another run holds the concurrency_key (linked, with its status) and what to do, with no button; a run that takes the key after the page was shown is refused after the button', async () => {
    fx = await appFixture({ recipes: [oneAtATime] });
    const browser = new ConsoleBrowser(fx.app);
    fx.system.failNext('record', permanentError('the PRM is down for maintenance'));
    const first = await deliver('MDF-4261', { n: 1 });
    await fx.engine.runUntilIdle();
    // Nothing holds the key: the confirmation offers the retry.
    const offered = await page(browser, `/console/runs/${first}/retry`);
    expect(offered.status).toBe(200);
    expect(offered.text).toContain('Yes, retry from the failed step');
    const csrf = await browser.csrfOf(`/console/runs/${first}/retry`);

    // A resubmission starts and takes the key while the page is open: the button answers the refusal, naming that run.
    const second = await deliver('MDF-4261', { n: 2 });
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(second as never))!.status).toBe('waiting');
    const sentence = `Run ${first} failed, and run ${second} of the same key MDF-4261 (its recipe's concurrency_key) has not finished: retry it once that run has finished, or cancel that run first.`;
    const raced = await browser.post(`/console/runs/${first}/retry`, { csrf });
    expect(raced.status).toBe(409);
    const racedHtml = await raced.text();
    expect(textOf(racedHtml)).toContain(sentence);
    expect(textOf(racedHtml)).toContain(`Holding the key MDF-4261: run ${second} waiting`);
    expect(racedHtml).toContain(`href="/console/runs/${second}"`);

    // Opened now, each retry confirmation says so before any button, links to that run with its status, and offers no retry.
    for (const action of ['retry', 'retry-current']) {
      const upFront = await page(browser, `/console/runs/${first}/${action}`);
      expect(upFront.status, action).toBe(409);
      expect(upFront.text).toContain(sentence);
      expect(upFront.text).toContain(`Holding the key MDF-4261: run ${second} waiting`);
      expect(upFront.text).toContain(`Nothing is done: run ${first} stays failed. Once run ${second} has finished (completed, failed or canceled), retry run ${first} again; if run ${second} should not go on, cancel it first.`);
      expect(upFront.html).toContain(`href="/console/runs/${second}"`);
      expect(upFront.html).toContain(`<a class="button danger" href="/console/runs/${second}/cancel">Cancel run ${second}</a>`);
      expect(upFront.html).not.toContain(`action="/console/runs/${first}/${action}"`);
      expect(upFront.text).not.toContain('Yes, retry');
    }
    expect((await fx.store.getRun(first as never))!.status).toBe('failed');

    // The holder canceled: the confirmation offers the retry again, and it goes ahead.
    await fx.engine.cancel(second as never, 'ops');
    const again = await page(browser, `/console/runs/${first}/retry`);
    expect(again.status).toBe(200);
    expect(again.text).toContain('Yes, retry from the failed step');
    expect((await browser.post(`/console/runs/${first}/retry`, { csrf })).status).toBe(303);
    await fx.engine.runUntilIdle();

    // Waiting now, not failed: its confirmation says so up front, with no button, in the words of the API.
    const waiting = await page(browser, `/console/runs/${first}/retry`);
    expect(waiting.status).toBe(409);
    expect(waiting.text).toContain(`Run ${first} is waiting: only a run that failed at a step can be retried.`);
    expect(waiting.html).not.toContain(`action="/console/runs/${first}/retry"`);
  });

  it('D7: a failed run\'s page says up front that its retry is refused while another run holds its concurrency_key, in the words of the API and the confirmation page, linking that run and its cancel, with no Retry button; once that run is canceled, Retry is offered again', async () => {
    fx = await appFixture({ recipes: [oneAtATime] });
    const browser = new ConsoleBrowser(fx.app);
    fx.system.failNext('record', permanentError('the PRM is down for maintenance'));
    const first = await deliver('MDF-4262', { n: 1 });
    await fx.engine.runUntilIdle();
    const second = await deliver('MDF-4262', { n: 2 });
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(second as never))!.status).toBe('waiting');

    const run = await page(browser, `/console/runs/${first}`);
    expect(run.status).toBe(200);
    const sentence = `Run ${first} failed, and run ${second} of the same key MDF-4262 (its recipe's concurrency_key) has not finished: retry it once that run has finished, or cancel that run first.`;
    expect(run.text).toContain(`Cannot retry this run ${sentence}`);
    expect(run.text).toContain(`Holding the key MDF-4262: run ${second} waiting`);
    expect(run.text).toContain(`Once run ${second} has finished (completed, failed or canceled), retry run ${first} again; if run ${second} should not go on, cancel it first.`);
    expect(run.html).toContain(`href="/console/runs/${second}"`);
    expect(run.html).toContain(`<a class="button danger" href="/console/runs/${second}/cancel">Cancel run ${second}</a>`);
    expect(run.html).not.toContain(`href="/console/runs/${first}/retry"`);
    expect(run.text).not.toContain('Retry from the failed step');
    // Nothing was tried: the run page does not say that nothing was done.
    expect(run.text).not.toContain('Nothing is done');
    // The same sentence as the retry's confirmation page and as POST /runs/:id/retry.
    expect((await page(browser, `/console/runs/${first}/retry`)).text).toContain(sentence);
    const api = await fx.app.request(`/runs/${first}/retry`, { method: 'POST' });
    expect(api.status).toBe(409);
    const { error } = (await api.json()) as { error: string };
    expect(sentence).toBe(`${error.charAt(0).toUpperCase()}${error.slice(1)}.`);
    // The holder's own page (waiting, not failed) says nothing of a retry.
    const holder = await page(browser, `/console/runs/${second}`);
    expect(holder.text).not.toContain('Cannot retry');
    expect(holder.html).not.toContain(`href="/console/runs/${second}/retry"`);

    // The holder canceled: the failed run's page offers the retry again, and says no refusal.
    await fx.engine.cancel(second as never, 'ops');
    const again = await page(browser, `/console/runs/${first}`);
    expect(again.html).toContain(`<a class="button" href="/console/runs/${first}/retry">Retry from the failed step</a>`);
    expect(again.text).not.toContain('Cannot retry');
    expect(again.text).not.toContain(`Holding the key`);
  });

  it('closes out a failed run that will not be retried: its page offers Cancel beside Retry, the confirmation says what a cancel of a failed run means, and the run is then canceled with no Retry left', async () => {
    fx = await appFixture({ recipes: [mdfRecipe] });
    const browser = new ConsoleBrowser(fx.app);
    fx.system.failNext('create', permanentError('MDF-9999 is not in the PRM'));
    const runId = await deliver('MDF-4244');
    await fx.engine.runUntilIdle();
    const run = await page(browser, `/console/runs/${runId}`);
    expect(run.html).toContain(`href="/console/runs/${runId}/retry"`);
    expect(run.html).toContain(`<a class="button danger" href="/console/runs/${runId}/cancel">Cancel this run</a>`);
    const confirm = await page(browser, `/console/runs/${runId}/cancel`);
    expect(confirm.text).toContain('Cancel this failed run?');
    expect(confirm.text).toContain('the run will not be retried (a retry is refused once it is canceled) and it no longer counts among the failed runs');
    const res = await browser.post(`/console/runs/${runId}/cancel`, { csrf: await browser.csrfOf(`/console/runs/${runId}/cancel`) });
    expect(res.status).toBe(303);
    const after = await page(browser, res.headers.get('location')!);
    expect(after.text).toContain('The run was canceled.');
    expect(after.html).not.toContain(`href="/console/runs/${runId}/retry"`);
    expect((await fx.store.getRun(runId as never))!.status).toBe('canceled');
  });

  it('a failed run its recipe stopped says on its page why it is not retried, in the words of POST /runs/:id/retry, with no Retry button', async () => {
    fx = await appFixture({ recipes: [recipeWith([{ id: 'give_up', type: 'stop', status: 'failed', reason: 'No decision: decide in the PRM.' }])] });
    const browser = new ConsoleBrowser(fx.app);
    const stopped = await deliver('MDF-4263');
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(stopped as never))!.status).toBe('failed');
    const run = await page(browser, `/console/runs/${stopped}`);
    const sentence = `Run ${stopped} is failed because its recipe stopped it (a stop step), not at a failed step: a retry would stop there again.`;
    expect(run.text).toContain(`Cannot retry this run ${sentence}`);
    expect(run.html).not.toContain(`href="/console/runs/${stopped}/retry"`);
    // Nor a cancel: failed is the outcome its recipe gave it.
    expect(run.html).not.toContain(`href="/console/runs/${stopped}/cancel"`);
    const { error } = (await (await fx.app.request(`/runs/${stopped}/retry`, { method: 'POST' })).json()) as { error: string };
    expect(sentence).toBe(`${error.charAt(0).toUpperCase()}${error.slice(1)}.`);
  });

  it('a run whose trigger failed on its event says on its page why it is not retried, in the words of POST /runs/:id/retry, with no Retry button', async () => {
    fx = await appFixture({ recipes: [recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: 'x' } }], { trigger: { type: 'webhook', event: 'fake.thing.happened', dedup_key: '{% data.idd %}' } })] });
    const browser = new ConsoleBrowser(fx.app);
    const failed = await deliver('MDF-4264');
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(failed as never))!).toMatchObject({ status: 'failed', error: { name: 'TriggerExpressionError' } });
    const run = await page(browser, `/console/runs/${failed}`);
    const sentence = `Run ${failed} ran no step: its recipe's trigger failed on its event, so it has no keys to go on with; with the recipe fixed, have the event delivered again.`;
    expect(run.text).toContain(`Cannot retry this run ${sentence}`);
    expect(run.html).not.toContain(`href="/console/runs/${failed}/retry"`);
    const { error } = (await (await fx.app.request(`/runs/${failed}/retry`, { method: 'POST' })).json()) as { error: string };
    expect(sentence).toBe(`${error.charAt(0).toUpperCase()}${error.slice(1)}.`);
  });

  it('a failed run\'s page says up front when the version served now lacks a step the run went through, instead of offering a retry on it; the retry on its own version is still offered', async () => {
    const read = { id: 'read', type: 'action', action: 'fake.record', input: { key: 'read', value: '{% trigger.data.id %}' } } as const;
    const v1 = recipeWith([read, { id: 'note', type: 'action', action: 'fake.record', input: { key: 'note', value: '{% $uppercasee(trigger.data.id) %}' } }], { name: 'tell-partner', version: 1 });
    const before = await appFixture({ recipes: [v1] });
    const res1 = await before.deliver({ id: 'delivery-steps-missing-run-page', event: 'thing.happened', data: { id: 'mdf-4252' } });
    const failed = ((await res1.json()) as { run_ids: string[] }).run_ids[0]!;
    await before.engine.runUntilIdle();
    const v2 = recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: 'note', value: '{% $uppercase(trigger.data.id) %}' } }], { name: 'tell-partner', version: 2 });
    fx = await appFixture({ recipes: [v2], store: before.store });
    const browser = new ConsoleBrowser(fx.app);

    const run = await page(browser, `/console/runs/${failed}`);
    const sentence = `Version 2 of tell-partner has no step read, which run ${failed} went through on version 1: retry it on version 1, or cancel it and start the work again.`;
    expect(run.text).toContain(`Cannot retry this run on v2, the version served now: ${sentence}`);
    expect(run.html).not.toContain(`href="/console/runs/${failed}/retry-current"`);
    expect(run.html).toContain(`<a class="button" href="/console/runs/${failed}/retry">Retry from the failed step</a>`);
    // The same sentence as the confirmation page of that retry.
    expect((await page(browser, `/console/runs/${failed}/retry-current`)).text).toContain(sentence);
  });

  it('the confirmation of a retry on the version served now says up front when that version lacks a step the run went through, and offers no button for it', async () => {
    const read = { id: 'read', type: 'action', action: 'fake.record', input: { key: 'read', value: '{% trigger.data.id %}' } } as const;
    const v1 = recipeWith([read, { id: 'note', type: 'action', action: 'fake.record', input: { key: 'note', value: '{% $uppercasee(trigger.data.id) %}' } }], { name: 'tell-partner', version: 1 });
    const before = await appFixture({ recipes: [v1] });
    const res1 = await before.deliver({ id: 'delivery-steps-missing', event: 'thing.happened', data: { id: 'mdf-4251' } });
    const failed = ((await res1.json()) as { run_ids: string[] }).run_ids[0]!;
    await before.engine.runUntilIdle();
    expect((await before.store.getRun(failed as never))!.status).toBe('failed');
    const v2 = recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: 'note', value: '{% $uppercase(trigger.data.id) %}' } }], { name: 'tell-partner', version: 2 });
    fx = await appFixture({ recipes: [v2], store: before.store });
    const browser = new ConsoleBrowser(fx.app);

    const current = await page(browser, `/console/runs/${failed}/retry-current`);
    expect(current.status).toBe(409);
    expect(current.text).toContain(`Version 2 of tell-partner has no step read, which run ${failed} went through on version 1: retry it on version 1, or cancel it and start the work again.`);
    expect(current.html).not.toContain(`action="/console/runs/${failed}/retry-current"`);
    // The retry as the version it started on is still offered.
    const plain = await page(browser, `/console/runs/${failed}/retry`);
    expect(plain.status).toBe(200);
    expect(plain.html).toContain(`action="/console/runs/${failed}/retry"`);
    expect((await fx.store.getRun(failed as never))!).toMatchObject({ status: 'failed', recipeVersion: 1 });
  });

  it('offers a retry on the version served now when the recipe changed since the run failed; the run then completes as that version', async () => {
    const v1 = recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: '{% $uppercasee(trigger.data.id) %}' } }], { name: 'tell-partner', version: 1 });
    const before = await appFixture({ recipes: [v1] });
    const res1 = await before.deliver({ id: 'delivery-v1', event: 'thing.happened', data: { id: 'mdf-4250' } });
    const failed = ((await res1.json()) as { run_ids: string[] }).run_ids[0]!;
    await before.engine.runUntilIdle();
    expect((await before.store.getRun(failed as never))!.status).toBe('failed');
    const v2 = recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: '{% $uppercase(trigger.data.id) %}' } }], { name: 'tell-partner', version: 2 });
    fx = await appFixture({ recipes: [v2], store: before.store });
    const browser = new ConsoleBrowser(fx.app);
    const run = await page(browser, `/console/runs/${failed}`);
    expect(run.html).toContain(`href="/console/runs/${failed}/retry-current"`);
    expect(run.text).toContain('Retry on v2, the version served now');
    const confirm = await page(browser, `/console/runs/${failed}/retry-current`);
    expect(confirm.text).toContain('Yes, retry on the version served now');
    const csrf = await browser.csrfOf(`/console/runs/${failed}/retry-current`);
    const res = await browser.post(`/console/runs/${failed}/retry-current`, { csrf });
    expect(res.status).toBe(303);
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(failed as never))!).toMatchObject({ status: 'completed', recipeVersion: 2 });
    expect(fx.system.effects).toEqual([{ key: 'MDF-4250', value: undefined }]);
    // A run on the version served now has no such button.
    expect((await page(browser, `/console/runs/${failed}`)).html).not.toContain('retry-current');
  });

  it('cancels a waiting run after a confirmation', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    const browser = new ConsoleBrowser(fx.app);
    const runId = await deliver('MDF-2002');
    await fx.engine.runUntilIdle();
    const confirm = await page(browser, `/console/runs/${runId}/cancel`);
    expect(confirm.text).toContain('Cancel this run?');
    const res = await browser.post(`/console/runs/${runId}/cancel`, { csrf: await browser.csrfOf(`/console/runs/${runId}/cancel`) });
    expect(res.status).toBe(303);
    const after = await page(browser, res.headers.get('location')!);
    expect(after.text).toContain('The run was canceled.');
    expect(after.text).toContain('Status canceled');
    expect((await fx.store.getRun(runId as never))!.status).toBe('canceled');
    expect(after.html).not.toContain(`/console/runs/${runId}/cancel"`);
  });

  it('a cancel that cannot be done is said up front on the confirmation page, with no button, and after the button when the run finished meanwhile, in the words of POST /runs/:id/cancel', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    const browser = new ConsoleBrowser(fx.app);
    const runId = await deliver('MDF-2004');
    await fx.engine.runUntilIdle();
    const confirm = await page(browser, `/console/runs/${runId}/cancel`);
    expect(confirm.status).toBe(200);
    const csrf = await browser.csrfOf(`/console/runs/${runId}/cancel`);

    // The request is canceled in the PRM while the page is open: the button answers why nothing was done.
    await fx.engine.cancel(runId as never, 'The request was canceled in the PRM.');
    const sentence = `Run ${runId} is canceled: a finished run cannot be canceled (it was canceled before: The request was canceled in the PRM.).`;
    const raced = await browser.post(`/console/runs/${runId}/cancel`, { csrf });
    expect(raced.status).toBe(409);
    expect(textOf(await raced.text())).toContain(sentence);

    // Opened now, the confirmation says it before the button, and offers none.
    const upFront = await page(browser, `/console/runs/${runId}/cancel`);
    expect(upFront.status).toBe(409);
    expect(upFront.text).toContain(sentence);
    expect(upFront.html).not.toContain(`action="/console/runs/${runId}/cancel"`);
    expect(upFront.html).toContain(`<a href="/console/runs/${runId}">Back to the run</a>`);

    // The same words as the API's answer.
    const api = await fx.app.request(`/runs/${runId}/cancel`, { method: 'POST' });
    expect(api.status).toBe(409);
    const { error } = (await api.json()) as { error: string };
    expect(sentence).toBe(`${error.charAt(0).toUpperCase()}${error.slice(1)}.`);
  });
});

describe('the waiting and timers pages', () => {
  it('show an approval waiting: the approver, the level, since when, and when its timeout (escalation) fires', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    const browser = new ConsoleBrowser(fx.app);
    const runId = await deliver('MDF-2003');
    await fx.engine.runUntilIdle();
    await fx.approvalLink(runId as never, { subject: 'MDF-2003: Cloud Summit booth', approverEmail: 'cmm.emea@vendor.example' });

    const waiting = await page(browser, '/console/waiting');
    expect(waiting.text).toContain('MDF-2003 test-recipe v1 MDF-2003: Cloud Summit booth Casey Morgan <cmm.emea@vendor.example>');
    expect(waiting.text).toContain('first request: signal decision at step decision');
    // Since 2026-03-02 09:00 (the wait began); the timeout fires P30D later.
    expect(waiting.html).toMatch(/<td><time datetime="2026-03-02T09:00:0\d\.\d+Z"[^>]*>[^<]*<\/time><\/td>\s*<td><time datetime="2026-04-01T09:00:0\d\.\d+Z"/);

    const timers = await page(browser, '/console/timers');
    expect(timers.text).toMatch(/2026-04-01 09:00:0\d UTC escalation or timeout MDF-2003 test-recipe No decision on signal decision by then: step decision times out\./);
  });

  it('pages the run wake-ups beyond the first page with a "next page" link, absent on the last page', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    const browser = new ConsoleBrowser(fx.app);
    // 130 approvals waiting, each a second after the one before: their deadlines fire in that order.
    // Each run is taken up before the next delivery: 130 runs left due over 130 virtual seconds would
    // trip the webhook's backpressure (a 503 for the oldest due run's age), depending on when the
    // backlog is counted.
    const ids: string[] = [];
    for (let i = 0; i < 130; i++) {
      ids.push(await deliver(`MDF-${3000 + i}`));
      await fx.engine.runUntilIdle();
    }

    const first = await page(browser, '/console/timers');
    expect(first.status).toBe(200);
    expect(runIdsOn(first.html)).toEqual(ids.slice(0, 100));
    const next = /<a href="([^"]+)" rel="next">Next page<\/a>/.exec(first.html)?.[1]?.replace(/&amp;/g, '&');
    expect(next).toMatch(/^\/console\/timers\?runsAfter=\d+\.run_[a-z0-9]+$/);
    expect(first.text).not.toContain('GET /timers pages through the rest');

    const second = await page(browser, next!);
    expect(second.status).toBe(200);
    expect(runIdsOn(second.html)).toEqual(ids.slice(100));
    expect(second.text).toMatch(/escalation or timeout MDF-3129 test-recipe No decision on signal decision by then/);
    // The last page: no further link, and a way back to the soonest.
    expect(second.html).not.toContain('rel="next"');
    expect(second.html).toContain('<a href="/console/timers">Soonest</a>');

    // A cursor that is not one the page gave is refused in words, not answered with a 500.
    const bad = await page(browser, '/console/timers?runs_after=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('not a page of this list');
    // A link made before the cursor was renamed (runs_after) still opens the same page.
    const former = await page(browser, next!.replace('runsAfter=', 'runs_after='));
    expect(former.status).toBe(200);
    expect(runIdsOn(former.html)).toEqual(ids.slice(100));
  });
});

describe('the waiting page with a cursor that is no run (as GET /runs answers 400)', () => {
  it('answers 400 saying the link is stale, linking to the first page, rather than listing from the newest; a cursor of a run no longer waiting still pages', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    const browser = new ConsoleBrowser(fx.app);
    const older = await deliver('MDF-2010');
    const newer = await deliver('MDF-2011');
    await fx.engine.runUntilIdle();
    expect((await fx.app.request('/runs?status=waiting&before=run_nope')).status).toBe(400);

    expectStaleCursorPage(await page(browser, '/console/waiting?before=run_nope'), 'run_nope', { href: '/console/waiting', label: 'The first page: the newest waiting runs' });

    const notACursor = await page(browser, '/console/waiting?before=yesterday');
    expect(notACursor.status).toBe(400);
    expect(notACursor.text).toContain('"yesterday" is not a run id: the "Older" link of a page gives one.');
    expect(notACursor.html).toContain('<a href="/console/waiting">The first page: the newest waiting runs</a>');
    expect(runIdsOn(notACursor.html)).toEqual([]);

    // A run that stopped waiting since its page was shown is still where the next page goes on from.
    await fx.engine.cancel(newer as never, 'ops');
    const paged = await page(browser, `/console/waiting?before=${newer}`);
    expect(paged.status).toBe(200);
    expect(runIdsOn(paged.html)).toEqual([older]);
  });
});

describe('the recipes page', () => {
  it('lists each recipe with version, trigger, description, runs per status of the last 7 days, and draws its steps', async () => {
    fx = await appFixture({ recipes: [mdfRecipe] });
    const browser = new ConsoleBrowser(fx.app);
    fx.system.failNext('create', permanentError('down'));
    await deliver('MDF-1');
    await deliver('MDF-2');
    await fx.engine.runUntilIdle();
    const list = await page(browser, '/console/recipes');
    expect(list.text).toContain('mdf-test mdf-test.recipe.json 1 webhook fake.thing.happened An MDF request, end to end, for the console tests. 1 completed 1 failed');
    const one = await page(browser, '/console/recipes/mdf-test');
    expect(one.text).toContain('read_request action fake.record Reads the request from the PRM.');
    expect(one.text).toContain('big if');
    expect(one.text).toMatch(/then ask_lead action fake\.echo else note_small set small/);
  });

  it('shows the validation problems of a recipe file on disk that does not validate, saying a start would be refused', async () => {
    fx = await appFixture({ recipes: [mdfRecipe] });
    const dir = mkdtempSync(join(tmpdir(), 'console-recipes-'));
    writeFileSync(join(dir, 'good.recipe.json'), JSON.stringify({ ...mdfRecipe, name: 'good-one' }));
    writeFileSync(join(dir, 'broken.recipe.json'), JSON.stringify({ ...mdfRecipe, name: 'broken-one', steps: [{ id: 'x', type: 'action', action: 'fake.nope' }] }));
    const catalog = new ConnectorCatalog([fakeConnector(fx.system)]);
    const app = createApp({
      engine: fx.engine,
      config: fx.config,
      log: silentLog,
      approvalLinks: { linkSecret: MOCK_APPROVAL_LINK_SECRET, timezone: 'Europe/Berlin' },
      checkRecipeFiles: () => checkRecipeFiles([join(dir, 'good.recipe.json'), join(dir, 'broken.recipe.json')], { catalog, tables: [] }),
    });
    const p = await page(new ConsoleBrowser(app), '/console/recipes');
    expect(p.text).toContain('1 of 2 recipe files do not validate; a start would be refused:');
    expect(p.text).toMatch(/broken\.recipe\.json steps\[0\]\.action : unknown action "fake\.nope"/);
  });
});

describe('the recipes page: the tables each recipe reads', () => {
  /** A recipe that looks an owner up by region (one row per region) in a table of ops' own. */
  const followup = recipeWith([{ id: 'owner', type: 'lookup', table: 'owners', where: { region: '{% trigger.data.region %}' } }], { name: 'followup' });
  const owners = [
    { region: 'EMEA', owner: 'emea-owner@partnerflow.test' },
    { region: 'APJ', owner: 'apj-owner@partnerflow.test' },
  ];

  /** The console over a runtime that read `owners` from a folder at start, as `serve` builds it. */
  async function started(): Promise<{ browser: ConsoleBrowser; dir: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'console-tables-'));
    writeFileSync(join(dir, 'owners.json'), JSON.stringify({ rows: owners }));
    fx = await appFixture({ recipes: [followup, mdfRecipe], engine: { tables: { owners } } });
    const app = createApp({
      engine: fx.engine,
      config: fx.config,
      log: silentLog,
      approvalLinks: { linkSecret: MOCK_APPROVAL_LINK_SECRET, timezone: 'Europe/Berlin' },
      tableFiles: { dir, check: (recipes) => checkTableFiles(dir, recipes) },
    });
    return { browser: new ConsoleBrowser(app), dir };
  }

  it('names each table a recipe reads with its rows and file as read at start, and says the running process reads its tables only at start', async () => {
    const { browser, dir } = await started();
    const p = await page(browser, '/console/recipes');
    expect(p.text).toContain(`followup followup.recipe.json 1 webhook fake.thing.happened a recipe under test no runs owners 2 rows ${join(dir, 'owners.json')}`);
    expect(p.text).toMatch(/mdf-test mdf-test\.recipe\.json .* no runs reads no table/);
    expect(p.text).toContain(
      `This process read its tables once, at its start, from ${dir} (TABLES_DIR), and does not start on a problem with them; its runs read those rows until the next start, so an edit of a table file changes nothing here until then. Below, the table files as they are on disk now, checked as partnerflow validate and a start check them: a problem shows here before a restart is refused.`,
    );
    expect(p.text).toContain('The table files on disk have no problem.');
    expect(p.text).not.toContain('a problem on disk now');
    // The recipe's own page names them too.
    expect((await page(browser, '/console/recipes/followup')).text).toContain(`Tables read owners 2 rows ${join(dir, 'owners.json')}`);
  });

  it('a table edited on disk since the start shows under the recipes reading it, and its problems in the words of validate, saying a start would be refused; the rows read at start are still the ones named', async () => {
    const { browser, dir } = await started();
    // Ops append a new EMEA owner below the old row: a start (and validate) would refuse it.
    writeFileSync(join(dir, 'owners.json'), JSON.stringify({ rows: [...owners, { region: 'EMEA', owner: 'new-emea-owner@partnerflow.test' }] }));
    const repeated = await page(browser, '/console/recipes');
    expect(repeated.status).toBe(200);
    expect(repeated.text).toContain(`owners 2 rows ${join(dir, 'owners.json')} a problem on disk now`);
    expect(repeated.html).toContain('href="#table-owners"');
    expect(repeated.text).toContain('1 table file on disk has problems; a start would be refused:');
    expect(repeated.html).toContain('id="table-owners"');
    expect(repeated.text).toContain(
      `${dir}/owners: rows[2]: repeats rows[0] (region "EMEA"); step owner of recipe followup looks the table up by region and reads one row per key: keep one, delete rows[0] if rows[2] replaces it (else delete rows[2])`,
    );
    expect(repeated.text).not.toContain('The table files on disk have no problem.');

    // A file that does not load: every line loadTables (a start, validate) gives for it.
    writeFileSync(join(dir, 'owners.json'), '{"rows": [{"region": "EMEA", "region": "APJ"}]}');
    let loadProblems: string[] = [];
    try {
      loadTables(dir);
    } catch (error) {
      loadProblems = (error as Error).message.split('\n');
    }
    expect(loadProblems.length).toBeGreaterThan(0);
    const broken = await page(browser, '/console/recipes');
    expect(broken.text).toContain(`owners 2 rows ${join(dir, 'owners.json')} a problem on disk now`);
    for (const line of loadProblems) expect(broken.text).toContain(textOf(line));

    // Fixed on disk with a third region: no problem, and the change is said to wait for the next start.
    writeFileSync(join(dir, 'owners.json'), JSON.stringify({ rows: [...owners, { region: 'LATAM', owner: 'latam-owner@partnerflow.test' }] }));
    const changed = await page(browser, '/console/recipes');
    expect(changed.text).toContain(`owners 2 rows ${join(dir, 'owners.json')} changed on disk since the start: the next start reads 3 rows`);
    expect(changed.text).toContain('The table files on disk have no problem.');

    // Gone from the folder: the recipe reading it would not load at the next start, said in its own check's words.
    rmSync(join(dir, 'owners.json'));
    const gone = await page(browser, '/console/recipes');
    expect(gone.text).toContain(`owners 2 rows ${join(dir, 'owners.json')} a problem on disk now`);
    expect(gone.text).toMatch(/followup\.recipe\.json: steps\[0\]\.table: unknown table "owners": the tables folder \S+ \(TABLES_DIR\) has no tables/);
  });

  it('a template name misspelt in a table file on disk shows as the recipe problem the next start would refuse it with, though the rows read at start were fine', async () => {
    const fixture = join(import.meta.dirname, '../recipes/fixtures/templates-guarded');
    const dir = mkdtempSync(join(tmpdir(), 'console-tables-'));
    copyFileSync(join(fixture, 'tables/decision-notices.json'), join(dir, 'decision-notices.json'));
    const file = join(fixture, 'recipes/decision-notice.recipe.json');
    const { connectors } = loadConfig({ EMAIL_TEMPLATES_DIR: join(fixture, 'email-templates') }, { mock: true, connectors: CONNECTORS });
    const atStart = loadTables(dir);
    fx = await appFixture({ recipes: [mdfRecipe] });
    const app = createApp({
      engine: fx.engine,
      config: fx.config,
      log: silentLog,
      approvalLinks: { linkSecret: MOCK_APPROVAL_LINK_SECRET, timezone: 'Europe/Berlin' },
      // As serve wires them: the recipe files checked with the rows on disk when given, else the rows read at start.
      checkRecipeFiles: (onDisk?: Pick<Tables, 'rows'>) =>
        checkRecipeFiles([file], { catalog: new ConnectorCatalog(CONNECTORS), tables: atStart.names(), tablesDir: dir, connectorConfigs: connectors, tableRows: onDisk ?? atStart }),
      tableFiles: { dir, check: (recipes) => checkTableFiles(dir, recipes) },
    });
    const browser = new ConsoleBrowser(app);
    expect((await page(browser, '/console/recipes')).text).not.toContain('do not validate');
    // Ops misspell the approved template in the table: the next start would refuse the recipe.
    const table = JSON.parse(readFileSync(join(dir, 'decision-notices.json'), 'utf8')) as { rows: Array<Record<string, unknown>> };
    table.rows[0]!.template = 'request-aproved';
    writeFileSync(join(dir, 'decision-notices.json'), JSON.stringify(table));
    const p = await page(browser, '/console/recipes');
    expect(p.text).toContain('1 of 1 recipe files do not validate; a start would be refused:');
    expect(p.text).toContain(`step "tell_partner" can send email template "request-aproved", from column template of ${join(dir, 'decision-notices.json')} rows[0] (status "Approved"), read by lookup step "notice"`);
  });

  it('a runtime given its tables in code names them with their rows and says there are no files to check', async () => {
    fx = await appFixture({ recipes: [followup], engine: { tables: { owners } } });
    const p = await page(new ConsoleBrowser(fx.app), '/console/recipes');
    expect(p.text).toContain('followup followup.recipe.json 1 webhook fake.thing.happened a recipe under test no runs owners 2 rows');
    expect(p.text).toContain('This runtime was given its tables in code; there are no table files to check.');
  });
});

describe('the timers page with a schedule this runtime cannot compute (review3, finding 1)', () => {
  it('still shows the other timers: the schedule is left out (the engine logs it), not a 500', async () => {
    const digest = recipeWith([{ id: 'digest', type: 'set', values: { a: 1 } }] as never, { name: 'weekday-digest', trigger: { type: 'schedule', cron: '0 7 * * 1-5', timezone: 'Europe/Berlin' } });
    fx = await appFixture({ recipes: [approvalRecipe, digest] });
    // As if this runtime's time zone data lacked the zone the recipe was validated with.
    (fx.engine.recipes.get('weekday-digest')!.definition.trigger as { timezone: string }).timezone = 'Europe/Berln';
    const browser = new ConsoleBrowser(fx.app);
    await deliver('MDF-2003');
    await fx.engine.runUntilIdle();

    const timers = await page(browser, '/console/timers');
    expect(timers.status).toBe(200);
    expect(timers.text).toMatch(/escalation or timeout MDF-2003 test-recipe/);
    expect(timers.text).not.toContain('weekday-digest');
  });
});

describe('the timers page lists every poll, also one never polled yet (due at once), as GET /timers does', () => {
  it('shows the poll with its interval before its first poll', async () => {
    const feedSync = recipeWith([{ id: 'note', type: 'set', values: { a: 1 } }] as never, {
      name: 'feed-sync',
      trigger: { type: 'poll', action: 'fake.changes', every: 'PT5M', cursor: '{% data.stamp %}', dedup_key: '{% data.id %}' },
    });
    fx = await appFixture({ recipes: [approvalRecipe, feedSync] });
    const timers = await page(new ConsoleBrowser(fx.app), '/console/timers');
    expect(timers.status).toBe(200);
    expect(timers.text).toMatch(/poll feed-sync Polls every PT5M\./);
    const api = (await (await fx.app.request('/timers')).json()) as { polls: Array<{ recipe: string; fires_at: string }> };
    expect(api.polls).toMatchObject([{ recipe: 'feed-sync', fires_at: '2026-03-02T09:00:00.000Z' }]);
  });
});
