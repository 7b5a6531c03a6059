import { afterEach, describe, expect, it } from 'vitest';
import { hashApprovalToken } from '../../connectors/approval/approval-token.ts';
import { capturingLogger } from '../../connectors/kit/action-test-context.ts';
import { recipeWith } from '../../test/support/engine-fixture.ts';
import type { RunId } from '../engine/ids.ts';
import type { KyselyStore } from '../store/kysely-store.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { appFixture, type AppFixture } from './app-fixture.ts';

/**
 * A link whose signal no `wait_for` of its run's recipe version takes: `validate` refuses such a recipe
 * now, but a run of an older version still stands on one. Nothing would ever apply a decision, so the
 * link must not say "recorded and will be applied". What decides is the version the run runs on, not
 * the one served now.
 */
let fx: AppFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const version = (n: number, steps: Parameters<typeof recipeWith>[0]) =>
  recipeWith(steps, { name: 'mdf-approval', version: n, trigger: { type: 'webhook', event: 'fake.thing.happened', dedup_key: '{% data.id %}' } });
const record = { id: 'after', type: 'action', action: 'fake.record', input: { key: '{% $steps.decision.timed_out ? "timed out" : $steps.decision.decision %}' } } as const;

async function startOn(store: KyselyStore, recipe: Parameters<typeof version>[1]): Promise<{ runId: RunId; link: string }> {
  const before = await appFixture({ recipes: [version(1, recipe)], store });
  const res = await before.deliver({ id: 'delivery-1', event: 'thing.happened', data: { id: 'MDF-2001' } });
  const runId = ((await res.json()) as { run_ids: RunId[] }).run_ids[0]!;
  await before.engine.runUntilIdle();
  // As the approval step of version 1 made it: for signal "decision".
  return { runId, link: await before.approvalLink(runId) };
}

const post = (path: string, body: string, type = 'application/x-www-form-urlencoded') => fx!.app.request(path, { method: 'POST', headers: { 'content-type': type }, body });

describe('an approval link whose signal no wait_for of its run’s recipe version takes', () => {
  it('says the request does not wait for a decision (409), on the link and on the POST, records nothing and logs it', async () => {
    const store = (await openSqliteStore({ path: ':memory:' })) as KyselyStore;
    // Version 1 waits for "decison": a typo the signal check of `validate` would refuse today.
    const { runId, link } = await startOn(store, [{ id: 'decision', type: 'wait_for', signal: 'decison', timeout: 'P30D' }, record]);
    // Ops fixed it in version 2; the run goes on on version 1.
    const log = capturingLogger();
    fx = await appFixture({ recipes: [version(2, [{ id: 'decision', type: 'wait_for', signal: 'decision', timeout: 'P30D' }, record])], store, log });
    expect(await fx.store.getRun(runId)).toMatchObject({ status: 'waiting', recipeVersion: 1 });

    const view = await fx.app.request(`${link}?decision=approve`);
    expect(view.status).toBe(409);
    const shown = await view.text();
    expect(shown).toContain('This request does not wait for a decision');
    expect(shown).toContain('MDF-2001: Cloud Summit booth');
    expect(shown).not.toContain('<form');

    const clicked = await post(link, 'decision=approve');
    expect(clicked.status).toBe(409);
    const page = await clicked.text();
    expect(page).toContain('<h1>This request does not wait for a decision</h1>');
    expect(page).toContain('a decision made here would never be applied. Nothing was recorded.');
    expect(page).not.toContain('will be applied to the request');

    const json = await post(link, JSON.stringify({ decision: 'deny' }), 'application/json');
    expect(json.status).toBe(409);
    expect(await json.json()).toEqual({ outcome: 'closed', decision: null, message: 'this request does not wait for a decision: nothing in its run would ever apply one; nothing was recorded' });

    // Nothing recorded: the link is unused, no decision waits in the run's inbox, the run still waits on its own signal.
    const approval = await fx.store.getApproval(hashApprovalToken(link.split('/').pop()!.split('?')[0]!));
    expect(approval).toMatchObject({ usedAt: null, decision: null });
    expect(await store.db.selectFrom('pending_signals').selectAll().where('run_id', '=', runId).execute()).toEqual([]);
    expect((await fx.store.getJournal(runId)).find((e) => e.stepKey === 'decision')).toMatchObject({ status: 'waiting', wait: { kind: 'signal', signal: 'decison' } });

    const warned = log.lines.filter((l) => l.level === 'warn');
    expect(warned).toHaveLength(2);
    expect(warned[0]).toMatchObject({
      fields: { runId, recipe: 'mdf-approval', recipeVersion: 1, key: 'MDF-2001', signal: 'decision', decision: 'approve' },
      message: 'approval link refused: version 1 of mdf-approval, which the run for MDF-2001 runs on, has no wait_for on signal "decision"; nothing recorded',
    });

    fx.clock.advance(31 * 86_400_000);
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([{ key: 'timed out', value: undefined }]);
  });

  it('still records a decision clicked before the run reaches its wait_for, when the version the run runs on has it, although the version served now has none', async () => {
    const store = (await openSqliteStore({ path: ':memory:' })) as KyselyStore;
    const { runId, link } = await startOn(store, [{ id: 'pause', type: 'wait', for: 'PT1H' }, { id: 'decision', type: 'wait_for', signal: 'decision', timeout: 'P30D' }, record]);
    // Version 2 dropped the approval.
    fx = await appFixture({ recipes: [version(2, [{ id: 'after', type: 'action', action: 'fake.record', input: { key: 'v2' } }])], store });
    expect((await fx.store.getJournal(runId)).map((e) => [e.stepKey, e.status])).toEqual([['pause', 'waiting']]);

    expect((await fx.app.request(link)).status).toBe(200);
    const clicked = await post(link, 'decision=approve');
    expect(clicked.status).toBe(200);
    expect(await clicked.text()).toContain('Your decision to approve was recorded and will be applied to the request.');

    fx.clock.advance(3_600_000);
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId))!.status).toBe('completed');
    expect(fx.system.effects).toEqual([{ key: 'approve', value: undefined }]);
  });
});
