import { afterEach, describe, expect, it } from 'vitest';
import type { RunId } from '../engine/ids.ts';
import { CommitOutcomeUnknownError, StoreUnavailableError } from '../store/store-unavailable.ts';
import { appFixture, approvalRecipe, type AppFixture } from './app-fixture.ts';

/**
 * Review 9 finding 7: an approver who clicks a link while the database is away gets a page that says
 * so (503, Retry-After), not the API's JSON error: nothing was recorded, try the link again in a few
 * minutes. When the decision's commit went unanswered, the page says it may or may not have been
 * recorded, and opening the link again shows which.
 */

let fx: AppFixture;
afterEach(async () => fx?.close());

const SUBJECT = 'MDF-2001: <Cloud> Summit & booth';
const ESCAPED_SUBJECT = 'MDF-2001: &lt;Cloud&gt; Summit &amp; booth';

async function waitingRun(): Promise<{ runId: RunId; link: string }> {
  fx = await appFixture({ recipes: [approvalRecipe] });
  const res = await fx.deliver({ id: 'delivery-1', event: 'thing.happened', data: { id: 'MDF-2001' } });
  const runId = ((await res.json()) as { run_ids: RunId[] }).run_ids[0]!;
  await fx.engine.runUntilIdle();
  return { runId, link: await fx.approvalLink(runId, { subject: SUBJECT }) };
}

const down = () => new StoreUnavailableError('PostgreSQL at postgres://app:***@db:5432/pf: Connection terminated unexpectedly');

/** Every read of the store fails from now on, as while PostgreSQL restarts. */
function storeGoesAway(): void {
  const fail = async () => {
    throw down();
  };
  Object.assign(fx.store, { getApproval: fail, getRun: fail, getJournal: fail, decideApproval: fail });
}

/** The decision's commit is sent and its answer lost: `applied` says whether PostgreSQL had applied it. */
function commitAnswerLost(applied: boolean): void {
  const decide = fx.store.decideApproval.bind(fx.store);
  fx.store.decideApproval = async (input) => {
    if (applied) await decide(input);
    throw new CommitOutcomeUnknownError(down());
  };
}

const confirm = (link: string, decision: 'approve' | 'deny') =>
  fx.app.request(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ decision }).toString() });

/** The page's text as a reader sees it: tags out, spaces folded. */
const text = (page: string) =>
  page
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<\/?strong>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');

describe('an approval link while the store is unavailable', () => {
  it('GET answers a 503 page with Retry-After: the request cannot be shown, nor whether it was decided (it may have been, before); open the link again in a few minutes', async () => {
    const { link } = await waitingRun();
    storeGoesAway();
    const res = await fx.app.request(`${link}?decision=approve`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = text(await res.text());
    expect(page).toContain('This request cannot be shown right now');
    expect(page).toContain('Partnerflow cannot reach its database at the moment, so this page cannot show the request or whether a decision on it was recorded.');
    expect(page).toContain('Open the link from the email again in a few minutes: the page then shows the request, and whether it was decided.');
    expect(page).not.toContain('no decision was recorded');
    // Nothing of the driver's error reaches the approver.
    expect(page).not.toContain('PostgreSQL');
  });

  it('POST answers a 503 page with Retry-After saying the decision was NOT recorded, and the same link works once the store is back', async () => {
    const { runId, link } = await waitingRun();
    const decide = fx.store.decideApproval.bind(fx.store);
    fx.store.decideApproval = async () => {
      throw down();
    };
    const res = await confirm(link, 'deny');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(text(page)).toContain('Your decision was not recorded');
    expect(text(page)).toContain('Partnerflow cannot reach its database at the moment, so your decision was NOT recorded.');
    expect(text(page)).toContain('Open the link from the email again in a few minutes and confirm your decision again.');
    expect(page).toContain(ESCAPED_SUBJECT);
    expect(page).not.toContain('<Cloud>');

    fx.store.decideApproval = decide;
    const again = await confirm(link, 'deny');
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('Your decision to deny was recorded');
    await fx.engine.runUntilIdle();
    expect((await fx.store.getRun(runId))!.status).toBe('completed');
  });

  it('POST whose decision was stored before the store went away says it was recorded (200), not "not recorded"', async () => {
    const { link } = await waitingRun();
    const decide = fx.store.decideApproval.bind(fx.store);
    fx.store.decideApproval = async (input) => {
      const outcome = await decide(input);
      storeGoesAway();
      return outcome;
    };
    const res = await confirm(link, 'approve');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Your decision to approve was recorded');
  });

  it('POST while the store cannot even find the link answers the same 503 page, without a subject', async () => {
    const { link } = await waitingRun();
    storeGoesAway();
    const res = await confirm(link, 'approve');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const page = text(await res.text());
    expect(page).toContain('Partnerflow cannot reach its database at the moment, so your decision was NOT recorded.');
    expect(page).not.toContain('MDF-2001');
  });

  it('a JSON POST gets a JSON 503 saying nothing was recorded', async () => {
    const { link } = await waitingRun();
    storeGoesAway();
    const res = await fx.app.request(link, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'approve' }) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as { error: string }).error).toBe('the store is unavailable: nothing was recorded; try again shortly');
  });
});

describe('an approval click whose commit answer was lost', () => {
  it('POST answers a 503 page saying the decision may have been recorded or not; opened again, the link shows it was (the commit had been applied)', async () => {
    const { link } = await waitingRun();
    commitAnswerLost(true);
    const res = await confirm(link, 'approve');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const page = await res.text();
    expect(text(page)).toContain('Your decision may not have been recorded');
    expect(text(page)).toContain('Partnerflow lost the connection to its database while it recorded your decision to approve: it may have been recorded, or it may not have been recorded.');
    expect(text(page)).toContain('Open the link from the email again in a few minutes: the page then shows whether it was recorded. If it was not, confirm your decision again there.');
    expect(page).toContain(ESCAPED_SUBJECT);
    expect(page).not.toContain('NOT recorded');

    const opened = await fx.app.request(link);
    expect(opened.status).toBe(409);
    expect(text(await opened.text())).toContain('It was approved by cmm@example.com');
  });

  it('opened again after a lost commit that was not applied, the link shows the form to confirm again', async () => {
    const { link } = await waitingRun();
    commitAnswerLost(false);
    expect((await confirm(link, 'deny')).status).toBe(503);
    const opened = await fx.app.request(link);
    expect(opened.status).toBe(200);
    expect(text(await opened.text())).toContain('Confirm your decision');
  });

  it('a JSON POST gets a JSON 503 saying the decision may have been recorded', async () => {
    const { link } = await waitingRun();
    commitAnswerLost(true);
    const res = await fx.app.request(link, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'approve' }) });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toBe('the store did not confirm the decision: it may have been recorded or not; GET the link to see whether it was');
  });
});
