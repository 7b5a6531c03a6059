import { afterEach, describe, expect, it } from 'vitest';
import { hashApprovalToken } from '../../connectors/approval/approval-token.ts';
import type { RunId } from '../engine/ids.ts';
import { appFixture, approvalRecipe, type AppFixture } from './app-fixture.ts';

/**
 * An approval link POSTed a form that says two things (`decision=deny&decision=approve`): the parsers
 * keep the last value, so "approve" used to be recorded. The approver must be asked again instead.
 */
let fx: AppFixture;
afterEach(async () => fx?.close());

async function waitingRun(): Promise<{ runId: RunId; link: string }> {
  fx = await appFixture({ recipes: [approvalRecipe] });
  const res = await fx.deliver({ id: 'delivery-1', event: 'thing.happened', data: { id: 'MDF-2001' } });
  const runId = ((await res.json()) as { run_ids: RunId[] }).run_ids[0]!;
  await fx.engine.runUntilIdle();
  return { runId, link: await fx.approvalLink(runId) };
}

async function nothingDecided(runId: RunId, link: string): Promise<void> {
  const approval = await fx.store.getApproval(hashApprovalToken(link.split('/').pop()!));
  expect(approval!.usedAt).toBeNull();
  await fx.engine.runUntilIdle();
  expect((await fx.store.getRun(runId))!.status).toBe('waiting');
  expect(fx.system.effects).toEqual([]);
}

const postForm = (link: string, body: string) => fx.app.request(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
const postJson = (link: string, body: string) => fx.app.request(link, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('POST /approvals/:token with an ambiguous body', () => {
  it('refuses a form with decision twice (deny, then approve) with a 400 page and decides nothing', async () => {
    const { runId, link } = await waitingRun();
    const res = await postForm(link, 'decision=deny&decision=approve');
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('The decision was not understood');
    expect(page).toContain('decision: given more than once, so the decision is ambiguous');
    await nothingDecided(runId, link);
  });

  it('refuses a form with the comment twice', async () => {
    const { runId, link } = await waitingRun();
    const res = await postForm(link, 'decision=approve&comment=fine&comment=not+fine');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('comment: given more than once');
    await nothingDecided(runId, link);
  });

  it('refuses JSON with a key twice (also spelled with an escape) with a 400 JSON answer', async () => {
    const { runId, link } = await waitingRun();
    for (const body of ['{"decision":"deny","decision":"approve"}', '{"decision" : "deny", "comment": "{\\"decision\\":1}", "\\u0064ecision": "approve"}']) {
      const res = await postJson(link, body);
      expect(res.status, body).toBe(400);
      expect(await res.json()).toEqual({
        error: 'the decision is not valid: decision: given more than once, so the decision is ambiguous',
        issues: [{ path: 'decision', message: 'given more than once, so the decision is ambiguous' }],
      });
    }
    await nothingDecided(runId, link);
  });

  it('says a decision that is not there is required (a POST with no body), not "Invalid option", which reads as a wrong value sent; JSON too', async () => {
    const { runId, link } = await waitingRun();
    const empty = await postForm(link, '');
    expect(empty.status).toBe(400);
    const page = await empty.text();
    expect(page).toContain('The form sent decision: required. Expected decision=approve or decision=deny');
    expect(page).not.toContain('Invalid option');
    const json = await postJson(link, '{"comment":"fine"}');
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: 'the decision is not valid: decision: required', issues: [{ path: 'decision', message: 'required' }] });
    // A value that is there and wrong still says so.
    const wrong = await postJson(link, '{"decision":"maybe"}');
    expect(((await wrong.json()) as { error: string }).error).toBe('the decision is not valid: decision: Invalid option: expected one of "approve"|"deny"');
    await nothingDecided(runId, link);
  });

  it('refuses a multipart form (curl -F decision=approve) with a 415 page saying how to send it, not "decision: Invalid option", and decides nothing', async () => {
    const { runId, link } = await waitingRun();
    const form = new FormData();
    form.set('decision', 'approve');
    const res = await fx.app.request(link, { method: 'POST', body: form });
    expect(res.status).toBe(415);
    const page = await res.text();
    expect(page).toContain('The decision was not understood');
    expect(page).toContain('a multipart form (multipart/form-data), which is not read here; send it as application/x-www-form-urlencoded');
    expect(page).not.toContain('Invalid option');
    await nothingDecided(runId, link);
  });

  it('still decides a form or JSON that gives each field once, nested values included', async () => {
    const { link } = await waitingRun();
    const res = await postJson(link, '{"decision":"deny","comment":"see {\\"decision\\": \\"approve\\"}"}');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'decided', decision: 'deny' });
  });
});
