import { afterEach, describe, expect, it } from 'vitest';
import { permanentError, recipeWith } from '../../test/support/engine-fixture.ts';
import { appFixture, approvalRecipe, type AppFixture } from './app-fixture.ts';

let fx: AppFixture;
afterEach(async () => fx?.close());

const TOKEN = 'operator-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

let delivered = 0;
/** Delivers `n` new events one second apart (running each before the next when `run` is set). */
async function deliverMany(n: number, options: { run?: boolean } = {}): Promise<string[]> {
  return deliverManyTo(fx, n, options);
}

async function deliverManyTo(to: AppFixture, n: number, options: { run?: boolean } = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    delivered += 1;
    const res = await to.deliver({ id: `delivery-${delivered}`, event: 'thing.happened', data: { id: `T-${i + 1}` } });
    ids.push(((await res.json()) as { run_ids: string[] }).run_ids[0]!);
    if (options.run) await to.engine.runUntilIdle();
    to.clock.advance(1000);
  }
  return ids;
}

type RunJson = { id: string; status: string; recipe: string; recipeVersion: number; createdAt: string; trigger: { receivedAt: string; data: unknown } };

describe('the operator API requires the bearer token when one is configured', () => {
  it('answers 401 without or with a wrong token, 200 with the right one, on every protected route', async () => {
    fx = await appFixture({ config: { apiToken: TOKEN } });
    const [runId] = await deliverMany(1);
    const protectedRoutes: Array<[string, string]> = [
      ['GET', '/runs'],
      ['GET', `/runs/${runId}`],
      ['POST', `/runs/${runId}/retry`],
      ['POST', `/runs/${runId}/cancel`],
      ['GET', '/recipes'],
      ['GET', '/timers'],
      ['GET', '/metrics'],
    ];
    for (const [method, path] of protectedRoutes) {
      for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: TOKEN }] as Array<Record<string, string>>) {
        const res = await fx.app.request(path, { method, headers });
        expect(res.status, `${method} ${path} with ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    }
    // The run was neither retried nor canceled by the refused calls.
    expect((await fx.store.getRun(runId as never))!.status).toBe('queued');
    for (const [method, path] of protectedRoutes.filter(([m]) => m === 'GET')) {
      expect((await fx.app.request(path, { method, headers: auth })).status, `${method} ${path}`).toBe(200);
    }
    // Lower-case scheme is fine too (RFC 7235: the scheme is case-insensitive).
    expect((await fx.app.request('/runs', { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('leaves webhooks, approval links, health and the OpenAPI document public', async () => {
    fx = await appFixture({ config: { apiToken: TOKEN } });
    expect((await fx.deliver({ id: 'd-1', event: 'thing.happened', data: { id: 'T-1' } })).status).toBe(202);
    expect((await fx.app.request('/healthz')).status).toBe(200);
    expect((await fx.app.request('/openapi.json')).status).toBe(200);
    expect((await fx.app.request(`/approvals/${'x'.repeat(43)}`)).status).toBe(404);
  });

  it('is open when no token is configured (mock mode on a laptop)', async () => {
    fx = await appFixture();
    expect((await fx.app.request('/runs')).status).toBe(200);
  });
});

describe('GET /runs', () => {
  it('pages newest first with nextBefore until the last page', async () => {
    fx = await appFixture();
    const ids = await deliverMany(5);
    const seen: string[] = [];
    let before: string | null = null;
    const pages: number[] = [];
    do {
      const res = await fx.app.request(`/runs?limit=2${before ? `&before=${before}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { runs: RunJson[]; nextBefore: string | null };
      pages.push(page.runs.length);
      seen.push(...page.runs.map((r) => r.id));
      before = page.nextBefore;
    } while (before !== null);
    expect(pages).toEqual([2, 2, 1]);
    expect(seen).toEqual([...ids].reverse());
  });

  it('says there is no next page when the last page is exactly full', async () => {
    fx = await appFixture();
    await deliverMany(2);
    const page = (await (await fx.app.request('/runs?limit=2')).json()) as { runs: RunJson[]; nextBefore: string | null };
    expect(page.runs).toHaveLength(2);
    expect(page.nextBefore).toBeNull();
  });

  it('filters by status and recipe, and shows times as ISO 8601', async () => {
    fx = await appFixture();
    await deliverMany(3);
    await fx.engine.runUntilIdle();
    await deliverMany(1);
    const queued = (await (await fx.app.request('/runs?status=queued')).json()) as { runs: RunJson[] };
    expect(queued.runs.map((r) => r.status)).toEqual(['queued']);
    const completed = (await (await fx.app.request('/runs?status=completed&recipe=test-recipe')).json()) as { runs: RunJson[] };
    expect(completed.runs).toHaveLength(3);
    expect(completed.runs[2]!.createdAt).toBe('2026-03-02T09:00:00.000Z');
    expect(completed.runs[2]!.trigger).toMatchObject({ receivedAt: '2026-03-02T09:00:00.000Z', data: { id: 'T-1' } });
    // A served recipe without runs of a status: an empty page.
    expect(((await (await fx.app.request('/runs?recipe=test-recipe&status=failed')).json()) as { runs: RunJson[] }).runs).toEqual([]);
  });

  it('lists each run with its trigger summarised: a large trigger data (a lead import\'s every row) only by its size, a small one whole and redacted; GET /runs/:id gives the whole', async () => {
    fx = await appFixture({ config: { maxBodyBytes: 8 * 1024 * 1024 } });
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ email: `lead${i}@initech.example`, company: 'Initech', phone: '+49 89 555 0101' }));
    const big = await fx.deliver({ id: 'import-1', event: 'thing.happened', data: { id: 'IMPORT-1', rows } });
    const bigRun = ((await big.json()) as { run_ids: string[] }).run_ids[0]!;
    fx.clock.advance(1000);
    const small = await fx.deliver({ id: 'small-1', event: 'thing.happened', data: { id: 'T-1', api_key: 'sk-live-123' } });
    const smallRun = ((await small.json()) as { run_ids: string[] }).run_ids[0]!;
    const res = await fx.app.request('/runs');
    expect(res.status).toBe(200);
    const text = await res.text();
    // A few hundred bytes a run, not the 1.4 MB of rows.
    expect(text.length).toBeLessThan(3000);
    expect(text).not.toContain('sk-live-123');
    const page = JSON.parse(text) as { runs: Array<RunJson & { trigger: Record<string, unknown> }> };
    expect(page.runs.map((r) => r.id)).toEqual([smallRun, bigRun]);
    expect(page.runs[1]!.trigger).toEqual({ type: 'webhook', event: 'fake.thing.happened', source: 'fake', deliveryId: 'import-1', receivedAt: '2026-03-02T09:00:00.000Z', dataBytes: JSON.stringify({ id: 'IMPORT-1', rows }).length });
    expect(page.runs[0]!.trigger).toMatchObject({ deliveryId: 'small-1', data: { id: 'T-1', api_key: '[redacted]' }, dataBytes: JSON.stringify({ id: 'T-1', api_key: 'sk-live-123' }).length });
    const whole = (await (await fx.app.request(`/runs/${bigRun}`)).json()) as { run: RunJson };
    expect(whole.run.trigger.data).toEqual({ id: 'IMPORT-1', rows });
  });

  it('filters by business key (the correlation key: an MDF number, a claim, a lead), paging within it', async () => {
    fx = await appFixture();
    await deliverMany(3, { run: true });
    const again = await fx.deliver({ id: 'delivery-again', event: 'thing.happened', data: { id: 'T-2' } });
    const secondRunOfT2 = ((await again.json()) as { run_ids: string[] }).run_ids[0]!;
    const page1 = (await (await fx.app.request('/runs?key=T-2&limit=1')).json()) as { runs: RunJson[]; nextBefore: string | null };
    expect(page1.runs.map((r) => r.id)).toEqual([secondRunOfT2]);
    const page2 = (await (await fx.app.request(`/runs?key=T-2&limit=1&before=${page1.nextBefore}`)).json()) as { runs: Array<RunJson & { correlationKey: string }>; nextBefore: string | null };
    expect(page2.runs.map((r) => r.correlationKey)).toEqual(['T-2']);
    expect(page2.nextBefore).toBeNull();
    expect(((await (await fx.app.request('/runs?key=T-9')).json()) as { runs: RunJson[] }).runs).toEqual([]);
  });

  it('answers 400 naming the parameter for a bad limit or status', async () => {
    fx = await appFixture();
    for (const [query, path] of [
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=ten', 'limit'],
      ['status=sleeping', 'status'],
      // A cursor that is no run id listed every run from the newest, as if none was given.
      ['before=zzz', 'before'],
    ] as const) {
      const res = await fx.app.request(`/runs?${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { issues: Array<{ path: string }> }).issues.map((i) => i.path)).toEqual([path]);
    }
  });

  it('says what a limit must be, in words, however it is wrong (not "expected number, received NaN", nor "Too small" for an empty one)', async () => {
    fx = await appFixture();
    for (const limit of ['ten', '', '0', '2.5', '500']) {
      const res = await fx.app.request(`/runs?limit=${limit}`);
      expect(res.status, limit).toBe(400);
      expect(await res.json(), limit).toEqual({
        error: 'the query is not valid: limit: a whole number from 1 to 200 (50 when not given)',
        issues: [{ path: 'limit', message: 'a whole number from 1 to 200 (50 when not given)' }],
      });
    }
    expect((await fx.app.request('/timers?limit=ten')).status).toBe(400);
    expect(((await (await fx.app.request('/timers?limit=')).json()) as { error: string }).error).toBe('the query is not valid: limit: a whole number from 1 to 200 (50 when not given)');
  });

  it('answers 400 for a parameter it does not take (a typo listed every run, as if unfiltered) or one given twice (only the first was read), naming it', async () => {
    fx = await appFixture();
    await deliverMany(2, { run: true });
    await deliverMany(1);
    const typo = await fx.app.request('/runs?stauts=queued');
    expect(typo.status).toBe(400);
    expect(await typo.json()).toEqual({
      error: 'the query is not valid: stauts: not a parameter of this listing (did you mean "status"?); it takes status, recipe, key, limit, before',
      issues: [{ path: 'stauts', message: 'not a parameter of this listing (did you mean "status"?); it takes status, recipe, key, limit, before' }],
    });
    const twice = await fx.app.request('/runs?status=queued&status=completed');
    expect(twice.status).toBe(400);
    expect(await twice.json()).toEqual({
      error: 'the query is not valid: status: given 2 times; give it once (only one value is read)',
      issues: [{ path: 'status', message: 'given 2 times; give it once (only one value is read)' }],
    });
    // The parameters it takes, once each, still list as before.
    const queued = (await (await fx.app.request('/runs?status=queued&limit=5')).json()) as { runs: RunJson[] };
    expect(queued.runs.map((r) => r.status)).toEqual(['queued']);
  });

  it('answers 400 for a cursor shaped like a run id that is no run, as the README says, rather than listing from the newest', async () => {
    fx = await appFixture();
    await deliverMany(2);
    const res = await fx.app.request('/runs?before=run_nope');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'the query is not valid: before: no run run_nope: give the nextBefore of the previous page (a run id), or no before for the newest runs',
      issues: [{ path: 'before', message: 'no run run_nope: give the nextBefore of the previous page (a run id), or no before for the newest runs' }],
    });
  });

  it('answers 400 for a recipe that is not served and has no runs, naming the recipes served and the one meant', async () => {
    fx = await appFixture({ recipes: [recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: 'x' } }], { name: 'lead-routing' }), recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: 'x' } }], { name: 'mdf-approval' })] });
    const res = await fx.app.request('/runs?recipe=lead-routnig');
    expect(res.status).toBe(400);
    const message = 'no recipe lead-routnig is served and no run of it is stored (did you mean "lead-routing"?); recipes served: lead-routing, mdf-approval';
    expect(await res.json()).toEqual({ error: `the query is not valid: recipe: ${message}`, issues: [{ path: 'recipe', message }] });
    // Far from every name: no guess, still the list.
    expect(((await (await fx.app.request('/runs?recipe=zzz')).json()) as { error: string }).error).toBe('the query is not valid: recipe: no recipe zzz is served and no run of it is stored; recipes served: lead-routing, mdf-approval');
  });

  it('still lists the runs of a recipe no longer served (a retired recipe\'s runs stay in the store)', async () => {
    const before = await appFixture({ recipes: [recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: 'x' } }], { name: 'old-sync' })] });
    const [runId] = await deliverManyTo(before, 1);
    fx = await appFixture({ store: before.store });
    const res = await fx.app.request('/runs?recipe=old-sync');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { runs: RunJson[] }).runs.map((r) => [r.id, r.recipe])).toEqual([[runId, 'old-sync']]);
    // Filtered down to nothing (another status) is an empty page, not a 400: the recipe has runs.
    expect(await (await fx.app.request('/runs?recipe=old-sync&status=failed')).json()).toEqual({ runs: [], nextBefore: null });
  });
});

describe('GET /runs/:id', () => {
  it('shows the run and its journal, secrets redacted', async () => {
    fx = await appFixture({
      recipes: [recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}', api_key: 'sk-live-123' } }])],
    });
    const [runId] = await deliverMany(1, { run: true });
    const res = await fx.app.request(`/runs/${runId}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { run: RunJson; journal: Array<Record<string, unknown>> };
    expect(body.run).toMatchObject({ id: runId, status: 'completed', finishedAt: '2026-03-02T09:00:00.000Z' });
    expect(body.journal).toEqual([
      expect.objectContaining({ stepKey: 'note', status: 'completed', attempts: 1, startedAt: '2026-03-02T09:00:00.000Z', output: { recorded: `T-1@${runId}:note` } }),
    ]);
    expect(JSON.stringify(body)).not.toContain('sk-live-123');
  });

  it('answers 404 for an unknown run', async () => {
    fx = await appFixture();
    const res = await fx.app.request('/runs/run_doesnotexist');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'no run run_doesnotexist' });
  });
});

describe('POST /runs/:id/retry and /cancel', () => {
  it('retries a failed run from its failed step; anything not failed is 409', async () => {
    fx = await appFixture();
    fx.system.failNext('record', permanentError('the system said no'));
    const [runId] = await deliverMany(1);
    expect((await fx.app.request(`/runs/${runId}/retry`, { method: 'POST' })).status).toBe(409);
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId as never))!.status).toBe('failed');

    const res = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as RunJson).status).toBe('queued');
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId as never))!.status).toBe('completed');
    expect(fx.system.effects).toEqual([{ key: 'T-1', value: undefined }]);

    const again = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: string }).error).toBe(`run ${runId} is completed: only a run that failed at a step can be retried`);
    expect((await fx.app.request('/runs/run_nope/retry', { method: 'POST' })).status).toBe(404);
  });

  it('refuses a retry body over 4096 bytes with 413 before reading it whole, and retries nothing', async () => {
    fx = await appFixture();
    fx.system.failNext('record', permanentError('the system said no'));
    const [runId] = await deliverMany(1);
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId as never))!.status).toBe('failed');
    const padded = `{"recipe_version": "current"${' '.repeat(5000)}}`;
    const res = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: padded });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'the body is larger than 4096 bytes: send {} or {"recipe_version": "current"}' });
    expect((await fx.store.getRun(runId as never))!.status).toBe('failed');
  });

  it('refuses a retry body that writes recipe_version twice with 400 naming it, and retries nothing: which version was meant is ambiguous (JSON.parse kept the last)', async () => {
    fx = await appFixture();
    fx.system.failNext('record', permanentError('the system said no'));
    const [runId] = await deliverMany(1);
    await fx.engine.runUntilIdle();
    const res = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"recipe_version": "current", "recipe_version": "started"}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'the body is not valid: recipe_version: written twice: say once which version the run goes on as ({} or {"recipe_version": "current"})',
      issues: [{ path: 'recipe_version', message: 'written twice: say once which version the run goes on as ({} or {"recipe_version": "current"})' }],
    });
    expect((await fx.store.getRun(runId as never))!.status).toBe('failed');
  });

  it('a retry of a run still going is 409 saying its status only; of a run its recipe stopped as failed, 409 saying that', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    const [runId] = await deliverMany(1);
    const queued = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST' });
    expect(queued.status).toBe(409);
    expect(((await queued.json()) as { error: string }).error).toBe(`run ${runId} is queued: only a run that failed at a step can be retried`);
    await fx.engine.runUntilIdle();
    const waiting = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST' });
    expect(waiting.status).toBe(409);
    expect(((await waiting.json()) as { error: string }).error).toBe(`run ${runId} is waiting: only a run that failed at a step can be retried`);

    fx = await appFixture({ recipes: [recipeWith([{ id: 'give_up', type: 'stop', status: 'failed', reason: 'No decision: decide in the PRM.' }])] });
    const [stopped] = await deliverMany(1, { run: true });
    const res = await fx.app.request(`/runs/${stopped}/retry`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toBe(`run ${stopped} is failed because its recipe stopped it (a stop step), not at a failed step: a retry would stop there again`);
  });

  it('D12: a retry of a canceled run is 409 naming the cancellation and its reason', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    const [runId] = await deliverMany(1);
    await fx.engine.runUntilIdle();
    await fx.engine.cancel(runId as never, 'The request was canceled in the PRM.');
    const res = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toBe(`run ${runId} was canceled (The request was canceled in the PRM.): a canceled run cannot be retried`);
  });

  it('D7: a retry of a failed run while a newer run of its concurrency_key is still going is 409 naming that run; once it finished, the retry goes ahead', async () => {
    const oneAtATime = recipeWith(
      [
        { id: 'note', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' } },
        { id: 'decision', type: 'wait_for', signal: 'decision', timeout: 'P30D' },
      ],
      { trigger: { type: 'webhook', event: 'fake.thing.happened', dedup_key: "{% data.id & '@' & $string(data.n) %}", concurrency_key: '{% data.id %}' } },
    );
    fx = await appFixture({ recipes: [oneAtATime] });
    fx.system.failNext('record', permanentError('the system said no'));
    const first = ((await (await fx.deliver({ id: 'delivery-1', event: 'thing.happened', data: { id: 'T-1', n: 1 } })).json()) as { run_ids: string[] }).run_ids[0]!;
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(first as never))!.status).toBe('failed');
    const second = ((await (await fx.deliver({ id: 'delivery-2', event: 'thing.happened', data: { id: 'T-1', n: 2 } })).json()) as { run_ids: string[] }).run_ids[0]!;
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(second as never))!.status).toBe('waiting');

    const refused = await fx.app.request(`/runs/${first}/retry`, { method: 'POST' });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toBe(
      `run ${first} failed, and run ${second} of the same key T-1 (its recipe's concurrency_key) has not finished: retry it once that run has finished, or cancel that run first`,
    );
    await fx.engine.cancel(second as never, 'ops');
    expect((await fx.app.request(`/runs/${first}/retry`, { method: 'POST' })).status).toBe(200);
  });

  it('a retry of a run whose trigger failed on its event (no step ran) is 409 saying so, as the version it started on and as the current one', async () => {
    fx = await appFixture({ recipes: [recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: 'x' } }], { trigger: { type: 'webhook', event: 'fake.thing.happened', dedup_key: '{% data.idd %}' } })] });
    const [runId] = await deliverMany(1, { run: true });
    expect((await fx.store.getRun(runId as never))!).toMatchObject({ status: 'failed', error: { name: 'TriggerExpressionError' } });
    for (const body of [undefined, '{"recipe_version":"current"}']) {
      const res = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST', body });
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: string }).error).toBe(
        `run ${runId} ran no step: its recipe's trigger failed on its event, so it has no keys to go on with; with the recipe fixed, have the event delivered again`,
      );
    }
  });

  it('retries a run failed by a recipe bug on the version served now with {"recipe_version": "current"}; a plain retry runs the version it started on; a current version without a step the run went through is 409', async () => {
    const version = (n: number, steps: Parameters<typeof recipeWith>[0]) => recipeWith(steps, { name: 'tell-partner', version: n });
    const read = { id: 'read', type: 'action', action: 'fake.record', input: { key: 'read', value: '{% trigger.data.id %}' } } as const;
    const broken = version(1, [read, { id: 'note', type: 'action', action: 'fake.record', input: { key: 'note', value: '{% $uppercasee(trigger.data.id) %}' } }]);
    const before = await appFixture({ recipes: [broken] });
    const [runId] = await deliverManyTo(before, 1);
    await before.engine.runUntilIdle();
    expect((await before.store.getRun(runId as never))!.status).toBe('failed');

    // Ops fix the recipe (v2) and restart on the same store.
    const fixed = version(2, [read, { id: 'note', type: 'action', action: 'fake.record', input: { key: 'note', value: '{% $uppercase(trigger.data.id) %}' } }]);
    fx = await appFixture({ recipes: [fixed], store: before.store });
    const plain = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST' });
    expect(((await plain.json()) as RunJson).recipeVersion).toBe(1);
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId as never))!).toMatchObject({ status: 'failed', recipeVersion: 1 });

    const bad = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST', body: '{"recipe_version":"newest"}' });
    expect(bad.status).toBe(400);
    const res = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"recipe_version":"current"}' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as RunJson)).toMatchObject({ status: 'queued', recipeVersion: 2 });
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId as never))!.status).toBe('completed');
    // The step before the failed one is not repeated; the fixed step ran once, on v2.
    expect(fx.system.effects).toEqual([{ key: 'note', value: 'T-1' }]);
    expect(before.system.effects).toEqual([{ key: 'read', value: 'T-1' }]);
  });

  it('refuses a retry on the current version that lacks a step the failed run went through, naming it', async () => {
    const version = (n: number, steps: Parameters<typeof recipeWith>[0]) => recipeWith(steps, { name: 'tell-partner', version: n });
    const before = await appFixture({
      recipes: [version(1, [
        { id: 'read', type: 'action', action: 'fake.record', input: { key: 'read' } },
        { id: 'note', type: 'action', action: 'fake.record', input: { key: '{% $uppercasee(trigger.data.id) %}' } },
      ])],
    });
    const [runId] = await deliverManyTo(before, 1);
    await before.engine.runUntilIdle();
    fx = await appFixture({ recipes: [version(2, [{ id: 'read_request', type: 'action', action: 'fake.record', input: { key: 'read' } }, { id: 'note', type: 'action', action: 'fake.record', input: { key: 'x' } }])], store: before.store });
    const res = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST', body: '{"recipe_version":"current"}' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toBe(
      `version 2 of tell-partner has no step read, which run ${runId} went through on version 1: retry it on version 1, or cancel it and start the work again`,
    );
    expect((await fx.store.getRun(runId as never))!).toMatchObject({ status: 'failed', recipeVersion: 1 });
  });

  it('retries on the current version when the only step it lacks is a set step the run went through: the new version computes its values afresh, and the action before the failure is not redone', async () => {
    const version = (n: number, steps: Parameters<typeof recipeWith>[0]) => recipeWith(steps, { name: 'tell-partner', version: n });
    const before = await appFixture({
      recipes: [version(1, [
        { id: 'read', type: 'action', action: 'fake.record', input: { key: 'read' } },
        { id: 'window', type: 'set', values: { key: "{% 'day:' & trigger.data.id %}" } },
        { id: 'note', type: 'action', action: 'fake.record', input: { key: '{% $uppercasee($vars.key) %}' } },
      ])],
    });
    const [runId] = await deliverManyTo(before, 1);
    await before.engine.runUntilIdle();
    expect((await before.store.getRun(runId as never))!.status).toBe('failed');
    fx = await appFixture({
      recipes: [version(2, [
        { id: 'read', type: 'action', action: 'fake.record', input: { key: 'read' } },
        { id: 'window_v2', type: 'set', values: { key: "{% 'window:' & trigger.data.id %}" } },
        { id: 'note', type: 'action', action: 'fake.record', input: { key: '{% $uppercase($vars.key) %}' } },
      ])],
      store: before.store,
    });
    const res = await fx.app.request(`/runs/${runId}/retry`, { method: 'POST', body: '{"recipe_version":"current"}' });
    expect(res.status).toBe(200);
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId as never))!).toMatchObject({ status: 'completed', recipeVersion: 2 });
    expect(before.system.effects).toEqual([{ key: 'read', value: undefined }]);
    expect(fx.system.effects).toEqual([{ key: 'WINDOW:T-1', value: undefined }]);
  });

  it('cancels a waiting run; a finished run is 409', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    const [runId] = await deliverMany(1);
    await fx.engine.runUntilIdle();
    const res = await fx.app.request(`/runs/${runId}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as RunJson).status).toBe('canceled');
    const again = await fx.app.request(`/runs/${runId}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: string }).error).toMatch(/is canceled: a finished run cannot be canceled/);
    expect((await fx.app.request('/runs/run_nope/cancel', { method: 'POST' })).status).toBe(404);
  });

  it('a failed run leaves partnerflow_runs_failed when an operator retries it, or cancels it to close out a failure that will not be retried; a retry after the cancel is 409', async () => {
    fx = await appFixture();
    fx.system.failNext('record', permanentError('the system said no'));
    const [retried] = await deliverMany(1, { run: true });
    fx.system.failNext('record', permanentError('the system said no'));
    const [closed] = await deliverMany(1, { run: true });
    const metrics = (await (await fx.app.request('/metrics')).text()).split('\n');
    expect(metrics).toContain('# HELP partnerflow_runs_failed Runs that are failed now, per recipe (each until an operator retries it, or cancels it to close out a failure that will not be retried), in the store: the same on every replica');
    expect(metrics).toContain(`partnerflow_runs_failed{recipe="test-recipe",worker="${fx.engine.workerId}"} 2`);
    const canceled = await fx.app.request(`/runs/${closed}/cancel`, { method: 'POST' });
    expect(canceled.status).toBe(200);
    expect(((await canceled.json()) as RunJson).status).toBe('canceled');
    expect((await (await fx.app.request('/metrics')).text()).split('\n')).toContain(`partnerflow_runs_failed{recipe="test-recipe",worker="${fx.engine.workerId}"} 1`);
    const retryAfter = await fx.app.request(`/runs/${closed}/retry`, { method: 'POST' });
    expect(retryAfter.status).toBe(409);
    expect(((await retryAfter.json()) as { error: string }).error).toBe(`run ${closed} was canceled (canceled by an operator): a canceled run cannot be retried`);
    expect((await fx.app.request(`/runs/${retried}/retry`, { method: 'POST' })).status).toBe(200);
    await fx.engine.runUntilIdle();
    expect((await (await fx.app.request('/metrics')).text()).split('\n').filter((l) => l.startsWith('partnerflow_runs_failed{'))).toEqual([]);
    expect((await fx.store.getRun(closed as never))!.status).toBe('canceled');
    expect((await fx.store.getRun(retried as never))!.status).toBe('completed');
  });

  it('a refused cancel says why, in the words the console gives: 404 no such run; 409 a completed run, a run its recipe stopped as failed (its outcome), a canceled one with the reason of its cancel', async () => {
    fx = await appFixture({ recipes: [recipeWith([{ id: 'give_up', type: 'stop', status: 'failed', reason: 'No decision: decide in the PRM.' }])] });
    const [stopped] = await deliverMany(1, { run: true });
    const outcome = await fx.app.request(`/runs/${stopped}/cancel`, { method: 'POST' });
    expect(outcome.status).toBe(409);
    expect(await outcome.json()).toEqual({ error: `run ${stopped} is failed because its recipe stopped it (a stop step): that is its outcome, and nothing of it runs again` });
    expect((await fx.store.getRun(stopped as never))!.status).toBe('failed');
    await fx.close();
    fx = await appFixture();
    const [completed] = await deliverMany(1, { run: true });
    const [canceled] = await deliverMany(1);
    await fx.engine.cancel(canceled as never, 'The request was canceled in the PRM.');
    const answers: Array<[string, number, string]> = [
      ['run_nope', 404, 'no run run_nope'],
      [completed!, 409, `run ${completed} is completed: a finished run cannot be canceled`],
      [canceled!, 409, `run ${canceled} is canceled: a finished run cannot be canceled (it was canceled before: The request was canceled in the PRM.)`],
    ];
    for (const [runId, status, error] of answers) {
      const res = await fx.app.request(`/runs/${runId}/cancel`, { method: 'POST' });
      expect(res.status, runId).toBe(status);
      expect(await res.json()).toEqual({ error });
    }
  });
});

describe('GET /recipes, /timers, /healthz, /metrics', () => {
  it('lists the loaded recipes with their version hash', async () => {
    fx = await appFixture();
    const body = (await (await fx.app.request('/recipes')).json()) as { recipes: Array<Record<string, unknown>> };
    expect(body.recipes).toEqual([
      { name: 'test-recipe', version: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/), description: 'a recipe under test', trigger: { type: 'webhook', event: 'fake.thing.happened' } },
    ]);
  });

  it('lists upcoming timers soonest first', async () => {
    fx = await appFixture({ recipes: [approvalRecipe] });
    const [first, second] = await deliverMany(2, { run: true });
    const body = (await (await fx.app.request('/timers?limit=10')).json()) as { timers: Array<Record<string, unknown>> };
    expect(body.timers).toEqual([
      { runId: first, recipe: 'test-recipe', status: 'waiting', wakeAt: '2026-04-01T09:00:00.000Z', stepKey: 'decision' },
      { runId: second, recipe: 'test-recipe', status: 'waiting', wakeAt: '2026-04-01T09:00:01.000Z', stepKey: 'decision' },
    ]);
    expect((await fx.app.request('/timers?limit=500')).status).toBe(400);
  });

  it('reports health with the store, and 503 when the store does not answer', async () => {
    fx = await appFixture();
    const res = await fx.app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', store: 'sqlite', store_reachable: true, worker_id: fx.engine.workerId });
    await fx.store.close();
    const down = await fx.app.request('/healthz');
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'unavailable' });
    fx.close = async () => {};
  });

  it('serves the engine metrics in Prometheus format', async () => {
    fx = await appFixture();
    await deliverMany(2);
    const res = await fx.app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect((await res.text()).split('\n')).toContain(`partnerflow_deliveries_total{worker="${fx.engine.workerId}"} 2`);
  });
});
