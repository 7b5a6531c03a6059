import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { hashApprovalToken } from '../../connectors/approval/approval-token.ts';
import type { RunId } from '../engine/ids.ts';
import { recipeWith } from '../../test/support/engine-fixture.ts';
import { appFixture, approvalRecipe, type AppFixture } from './app-fixture.ts';

let fx: AppFixture;
afterEach(async () => fx?.close());

/** A run waiting for a decision, and an approval link for it. */
async function waitingRun(linkOptions: Parameters<AppFixture['approvalLink']>[1] = {}): Promise<{ runId: RunId; link: string }> {
  fx = await appFixture({ recipes: [approvalRecipe] });
  const res = await fx.deliver({ id: 'delivery-1', event: 'thing.happened', data: { id: 'MDF-2001' } });
  const runId = ((await res.json()) as { run_ids: RunId[] }).run_ids[0]!;
  await fx.engine.runUntilIdle();
  expect((await fx.store.getRun(runId))!.status).toBe('waiting');
  return { runId, link: await fx.approvalLink(runId, linkOptions) };
}

const post = (path: string, fields: Record<string, string>) =>
  fx.app.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

async function tokenUsed(link: string): Promise<boolean> {
  const approval = await fx.store.getApproval(hashApprovalToken(link.split('/').pop()!.split('?')[0]!));
  return approval!.usedAt !== null;
}

describe('GET /approvals/:token', () => {
  it('shows what is being approved and a form, with the decision from the link preselected, and decides nothing', async () => {
    const { runId, link } = await waitingRun();
    const res = await fx.app.request(`${link}?decision=approve`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain('MDF-2001: Cloud Summit booth');
    expect(page).toContain('Casey Morgan &lt;cmm@example.com&gt;');
    expect(page).toMatch(/<form method="post">/);
    expect(page).toMatch(/value="approve" required checked/);
    expect(page).not.toMatch(/value="deny" checked/);
    expect(page).toContain('<textarea id="comment" name="comment" maxlength="2000">');
    // The comment reaches the partner word for word: the form says so before anyone types an internal note.
    expect(page).toContain('Message to the partner (optional): sent to them as you write it');

    // Opened again (a mail scanner, a preview): still nothing decided, the run still waits.
    expect((await fx.app.request(`${link}?decision=deny`)).status).toBe(200);
    await fx.engine.runUntilIdle();
    expect(await tokenUsed(link)).toBe(false);
    expect((await fx.store.getRun(runId))!.status).toBe('waiting');
  });

  it('preselects deny from ?decision=deny and nothing from a missing or unknown value', async () => {
    const { link } = await waitingRun();
    expect(await (await fx.app.request(`${link}?decision=deny`)).text()).toMatch(/value="deny" checked/);
    for (const query of ['', '?decision=maybe']) {
      const page = await (await fx.app.request(`${link}${query}`)).text();
      expect(page).not.toContain('checked');
    }
  });

  it('sends headers that keep the page out of caches, referrers and frames', async () => {
    const { link } = await waitingRun();
    const res = await fx.app.request(link);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    // The page's own style is the one the policy allows, so browsers apply it.
    const style = /<style>([\s\S]*?)<\/style>/.exec(await res.text())![1]!;
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });

  it('escapes what partners typed', async () => {
    const { link } = await waitingRun({ subject: '<script>alert("x")</script> & co' });
    const page = await (await fx.app.request(link)).text();
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
  });

  it('answers 404 "This link is not valid" for a tampered, malformed or unknown token', async () => {
    const { link } = await waitingRun();
    const token = link.split('/').pop()!;
    const tampered = `/approvals/${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const path of [tampered, '/approvals/short', `/approvals/${'x'.repeat(43)}`]) {
      const res = await fx.app.request(path);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('This link is not valid');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('answers 410 for an expired link', async () => {
    const { link } = await waitingRun({ expiresInMs: 60_000 });
    fx.clock.advance(61_000);
    const res = await fx.app.request(link);
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('This link has expired');
  });

  it('answers 409 for a run that was canceled', async () => {
    const { runId, link } = await waitingRun();
    await fx.engine.cancel(runId);
    const res = await fx.app.request(link);
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('This request is closed');
  });
});

describe('a link ended with a slash (a mail client, a person copying it)', () => {
  it('D10: an approval link with a slash at its end is the same page: 301 to the link without it, its query kept; nothing decided', async () => {
    const { runId, link } = await waitingRun();
    const path = new URL(link, 'http://localhost').pathname;
    const res = await fx.app.request(`${path}/?decision=approve`);
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe(`${path}?decision=approve`);
    const page = await (await fx.app.request(res.headers.get('location')!)).text();
    expect(page).toContain('MDF-2001: Cloud Summit booth');
    expect(page).toMatch(/value="approve" required checked/);
    expect(await tokenUsed(link)).toBe(false);
    expect((await fx.store.getRun(runId))!.status).toBe('waiting');
  });

  it('never redirects to another site: a path starting with two slashes (or a slash and a backslash, which browsers read as two) stays a 404 here; encoded ones stay a path here', async () => {
    fx = await appFixture();
    const answers: Array<[string, number, string | null]> = [];
    for (const path of ['//evil.example/', '/\\evil.example/', '/%5Cevil.example/', '/%2F%2Fevil.example/']) {
      const res = await fx.app.request(`http://localhost${path}`);
      answers.push([path, res.status, res.headers.get('location')]);
    }
    // Encoded, a slash or backslash is part of a path on this site, not the start of another host.
    expect(answers).toEqual([
      ['//evil.example/', 404, null],
      ['/\\evil.example/', 404, null],
      ['/%5Cevil.example/', 301, '/%5Cevil.example'],
      ['/%2F%2Fevil.example/', 301, '/%2F%2Fevil.example'],
    ]);
  });

  it('a webhook URL opened with GET (a browser) answers 405 saying webhooks are POSTed, with Allow: POST', async () => {
    fx = await appFixture();
    const res = await fx.app.request('/webhooks/prm');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.json()).toEqual({ error: 'GET /webhooks/prm: webhooks are delivered with POST (a signed JSON body), nothing else' });
  });
});

describe('POST /approvals/:token', () => {
  it('decides once: 200 and the run continues; a second POST is 409 and shows the first decision', async () => {
    const { runId, link } = await waitingRun();
    const res = await post(link, { decision: 'approve', comment: 'Looks good' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    expect(page).toContain('Thank you — approval recorded');
    expect(page).toContain('MDF-2001: Cloud Summit booth');

    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId))!.status).toBe('completed');
    const decision = (await fx.store.getJournal(runId)).find((e) => e.stepKey === 'decision')!;
    expect(decision.output).toMatchObject({ decision: 'approve', comment: 'Looks good', approver: 'cmm@example.com' });
    expect(fx.system.effects).toEqual([{ key: 'approve', value: undefined }]);

    const again = await post(link, { decision: 'deny' });
    expect(again.status).toBe(409);
    const second = await again.text();
    expect(second).toContain('already decided');
    expect(second).toContain('approved');
    expect(fx.system.effects).toHaveLength(1);

    const view = await fx.app.request(link);
    expect(view.status).toBe(409);
    expect(await view.text()).toContain('already decided');
  });

  it('answers a JSON request with JSON', async () => {
    const { link } = await waitingRun();
    const res = await fx.app.request(link, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'deny' }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ outcome: 'decided', decision: 'deny', message: 'decision recorded' });
    const again = await fx.app.request(link, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'approve' }) });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ outcome: 'used', decision: 'deny' });
  });

  it('records a comment of 2000 characters in any script (form-encoded, 2000 Chinese characters are 18,000 bytes: they were refused 413 as larger than 16384 bytes)', async () => {
    const { runId, link } = await waitingRun();
    const comment = '好'.repeat(2000);
    const res = await post(link, { decision: 'approve', comment });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Thank you — approval recorded');
    await fx.engine.runUntilIdle();
    const decision = (await fx.store.getJournal(runId)).find((e) => e.stepKey === 'decision')!;
    expect(decision.output).toMatchObject({ decision: 'approve', comment });
  });

  it('refuses a decision other than approve or deny, and an over-long comment, with 400 and decides nothing', async () => {
    const { link } = await waitingRun();
    const cases: Array<Record<string, string>> = [{ decision: 'maybe' }, {}, { decision: 'approve', comment: 'x'.repeat(2001) }];
    for (const fields of cases) {
      const res = await post(link, fields);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('The decision was not understood');
    }
    const json = await fx.app.request(link, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"decision":' });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ issues: [{ path: '$' }] });
    expect(await tokenUsed(link)).toBe(false);
  });

  it('answers 404 for a tampered token and decides nothing', async () => {
    const { runId, link } = await waitingRun();
    const token = link.split('/').pop()!;
    const tampered = `/approvals/${token.endsWith('A') ? token.slice(0, -1) + 'B' : token.slice(0, -1) + 'A'}`;
    const res = await post(tampered, { decision: 'approve' });
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('This link is not valid');
    expect((await post('/approvals/not-a-token', { decision: 'approve' })).status).toBe(404);
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId))!.status).toBe('waiting');
  });

  it('answers 410 for an expired link and decides nothing', async () => {
    const { runId, link } = await waitingRun({ expiresInMs: 60_000 });
    fx.clock.advance(61_000);
    const res = await post(link, { decision: 'approve' });
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('This link has expired');
    expect(await tokenUsed(link)).toBe(false);
    expect((await fx.store.getRun(runId))!.status).toBe('waiting');
  });

  it('answers 409 for a canceled run', async () => {
    const { runId, link } = await waitingRun();
    await fx.engine.cancel(runId);
    const res = await post(link, { decision: 'approve' });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('This request is closed');
    expect(await tokenUsed(link)).toBe(false);
  });

  it('once the approver decided, the manager’s link for the same request shows and answers "already decided"', async () => {
    const { link } = await waitingRun();
    const managerLink = await fx.approvalLink((await fx.store.listRuns({ limit: 1 }))[0]!.id, { approverEmail: 'manager@example.com' });
    expect((await post(link, { decision: 'deny' })).status).toBe(200);
    await fx.engine.runUntilIdle();

    const view = await fx.app.request(`${managerLink}?decision=approve`);
    expect(view.status).toBe(409);
    const page = await view.text();
    expect(page).toContain('already decided');
    expect(page).toContain('denied');
    expect(page).toContain('cmm@example.com');
    expect((await post(managerLink, { decision: 'approve' })).status).toBe(409);
    expect(fx.system.effects).toEqual([{ key: 'deny', value: undefined }]);
  });

  it('after an escalation (a timed-out wait, then a second wait on the same signal), the approver’s link says who decided and how, not "closed" (D10)', async () => {
    const escalating = recipeWith([
      {
        id: 'decision',
        type: 'wait_for',
        signal: 'decision',
        timeout: 'PT1H',
        on_timeout: [{ id: 'decision_escalated', type: 'wait_for', signal: 'decision', timeout: 'P30D' }],
      },
      { id: 'after', type: 'action', action: 'fake.record', input: { key: '{% $steps.decision.timed_out ? $steps.decision_escalated.decision : $steps.decision.decision %}' } },
    ]);
    fx = await appFixture({ recipes: [escalating] });
    const res = await fx.deliver({ id: 'delivery-1', event: 'thing.happened', data: { id: 'MDF-2001' } });
    const runId = ((await res.json()) as { run_ids: RunId[] }).run_ids[0]!;
    await fx.engine.runUntilIdle();
    const cmmLink = await fx.approvalLink(runId);
    fx.clock.advance(61 * 60_000);
    await fx.engine.runUntilIdle();
    const journal = await fx.store.getJournal(runId);
    expect(journal.find((e) => e.stepKey === 'decision')).toMatchObject({ status: 'completed', output: { timed_out: true } });
    expect((await fx.store.getRun(runId))!.status).toBe('waiting');

    const managerLink = await fx.approvalLink(runId, { approverEmail: 'manager@example.com' });
    expect((await post(managerLink, { decision: 'approve' })).status).toBe(200);
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId))!.status).toBe('completed');

    const view = await fx.app.request(`${cmmLink}?decision=deny`);
    expect(view.status).toBe(409);
    const page = await view.text();
    expect(page).toContain('This request was already decided');
    expect(page).toContain('<strong>approved</strong> by manager@example.com');
    expect(page).not.toContain('This request is closed');

    const again = await post(cmmLink, { decision: 'deny' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('<strong>approved</strong> by manager@example.com');
    const json = await fx.app.request(cmmLink, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'deny' }) });
    expect(json.status).toBe(409);
    expect(await json.json()).toMatchObject({ outcome: 'used', decision: 'approve' });
    expect(await tokenUsed(cmmLink)).toBe(false);
    expect(fx.system.effects).toEqual([{ key: 'approve', value: undefined }]);
  });
});

describe('how long a link works (D10)', () => {
  /** The first wait times out after an hour; then the run rests in a day's wait, not waiting for the decision. */
  const movesOn = recipeWith([
    { id: 'decision', type: 'wait_for', signal: 'decision', timeout: 'PT1H', on_timeout: [{ id: 'cool_off', type: 'wait', for: 'P1D' }] },
    { id: 'after', type: 'action', action: 'fake.record', input: { key: '{% $steps.decision.timed_out ? "timed out" : $steps.decision.decision %}' } },
  ]);

  it('D10: a link whose last wait timed out, with the run gone on without a decision and no later wait for it in the recipe, is closed: it says so in the business zone and decides nothing (409)', async () => {
    fx = await appFixture({ recipes: [movesOn] });
    const res = await fx.deliver({ id: 'delivery-1', event: 'thing.happened', data: { id: 'MDF-2001' } });
    const runId = ((await res.json()) as { run_ids: RunId[] }).run_ids[0]!;
    await fx.engine.runUntilIdle();
    const link = await fx.approvalLink(runId);
    expect((await fx.app.request(link)).status).toBe(200);
    fx.clock.advance(61 * 60_000);
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId))!.status).toBe('waiting');

    const view = await fx.app.request(link);
    expect(view.status).toBe(409);
    // Timed out at 10:00 UTC on 2 March 2026: 11:00 in Berlin.
    expect(await view.text()).toContain('No decision arrived while it waited for one: it stopped waiting on Monday 2 March 2026, 11:00 (Europe/Berlin) and went on without a decision.');
    const decided = await fx.app.request(link, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'approve' }) });
    expect(decided.status).toBe(409);
    expect(await decided.json()).toMatchObject({ outcome: 'closed', message: expect.stringContaining('no decision arrived') });
    expect(await tokenUsed(link)).toBe(false);
    fx.clock.advance(86_400_000);
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([{ key: 'timed out', value: undefined }]);
  });

  it('D10: a link has no fixed expiry by default: it still decides 30 days later while the run waits', async () => {
    const { runId, link } = await waitingRun();
    fx.clock.advance(29 * 86_400_000);
    const page = await (await fx.app.request(link)).text();
    expect(page).toContain('<dt>Link valid</dt><dd>as long as the request awaits a decision</dd>');
    expect((await post(link, { decision: 'approve' })).status).toBe(200);
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId))!.status).toBe('completed');
  });

  it('refuses a token derived with another secret (404): replacing APPROVAL_LINK_SECRET ends the links made with the old one', async () => {
    // The link is stored under its token's hash, so only the secret check can refuse it.
    fx = await appFixture({ recipes: [approvalRecipe], linkSecret: 'another-secret-of-at-least-32-characters' });
    const res = await fx.deliver({ id: 'delivery-1', event: 'thing.happened', data: { id: 'MDF-2001' } });
    const runId = ((await res.json()) as { run_ids: RunId[] }).run_ids[0]!;
    await fx.engine.runUntilIdle();
    const link = await fx.approvalLink(runId);
    const approval = await fx.store.getApproval(hashApprovalToken(link.split('/').pop()!));
    expect(approval?.id).toMatch(/^apr_/);
    expect((await fx.app.request(link)).status).toBe(404);
    expect((await post(link, { decision: 'approve' })).status).toBe(404);
    await fx.engine.runUntilIdle();
    expect(await tokenUsed(link)).toBe(false);
    expect((await fx.store.getRun(runId))!.status).toBe('waiting');
  });
});

describe('times on the approval pages', () => {
  it('writes every time in the business calendar\'s zone, named, as the emails do; never UTC', async () => {
    const { runId, link } = await waitingRun({ expiresInMs: 3 * 86_400_000 });
    const page = await (await fx.app.request(link)).text();
    expect(page).toContain('as long as the request awaits a decision, at the latest until Thursday 5 March 2026, 10:00 (Europe/Berlin)');
    expect(page).not.toContain('UTC');

    const manager = await fx.approvalLink(runId, { approverEmail: 'manager@example.com' });
    fx.clock.advance(30 * 60_000);
    expect((await post(manager, { decision: 'deny' })).status).toBe(200);
    const used = await (await fx.app.request(link)).text();
    expect(used).toContain('by manager@example.com on Monday 2 March 2026, 10:30 (Europe/Berlin)');
    expect(used).not.toContain('UTC');
  });

  it('names the zone on the page of an expired link', async () => {
    const { link } = await waitingRun({ expiresInMs: 60_000 });
    fx.clock.advance(61_000);
    const page = await (await fx.app.request(link)).text();
    expect(page).toContain('It was valid until Monday 2 March 2026, 10:01 (Europe/Berlin).');
  });
});
