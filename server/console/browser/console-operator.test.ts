import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot, unnamedControls, watchedContext, type WatchedContext } from '../../../test/support/console-chromium.ts';
import { API_TOKEN, openRuntimeProcess, type RuntimeProcess } from '../../../test/support/runtime-process.ts';
import { until } from '../../../test/support/until.ts';

/**
 * The ops console in Debian's Chromium, against a production-mode runtime (`partnerflow serve` as a child
 * process, PARTNERFLOW_API_TOKEN set) and the simulated systems: an operator logs in by typing the
 * token, finds the failed claim runs by MDF number, retries them (by mouse, then by keyboard only),
 * cancels a waiting run, reads an approval's escalation time in their own time zone, and is refused
 * with a forged form, without a cookie and after logging out. No page may break its CSP.
 */
const VIEWER_ZONE = 'Europe/Berlin';

let rt: RuntimeProcess;
let browser: Browser;
let operator: WatchedContext;
let base: string;
const runs = { approval: '', toCancel: '', failedClaims: [] as string[] };

/** The value next to a label in a page's facts (`<dt>Status</dt><dd>failed</dd>`). */
async function fact(page: Page, name: string): Promise<string> {
  return (await page.locator('dl.facts').first().locator('dt', { hasText: new RegExp(`^${name}$`) }).locator('xpath=following-sibling::dd[1]').innerText()).trim();
}

/** Reloads the run page until its status is `status` (the runtime works in its own process). */
async function untilRunStatus(page: Page, status: string): Promise<void> {
  await until(`the run page to say ${status}`, async () => {
    await page.reload();
    return (await fact(page, 'Status')) === status ? true : undefined;
  });
}

/** Presses Tab until the focused element's text is `text`; fails after `max` presses. */
async function tabTo(page: Page, text: string, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const focused = (await page.evaluate('document.activeElement ? document.activeElement.textContent.trim() : ""')) as string;
    if (focused === text) return;
  }
  throw new Error(`"${text}" was not reached with ${max} presses of Tab`);
}

beforeAll(async () => {
  // The browser first: without Chromium the file fails at once, saying how to install it.
  browser = await launchChromium();
  rt = await openRuntimeProcess('partnerflow-console-browser-');
  base = `http://127.0.0.1:${rt.port}`;
  rt.start();
  await rt.ready();
  const { systems } = rt;
  const deliver = async (id: string, event: string, data: unknown) => {
    const res = await rt.deliverPrmWebhook({ id, event, data });
    expect(res.status, `${event} ${id}`).toBe(202);
    return ((await res.json()) as { run_ids: string[] }).run_ids[0]!;
  };

  // Two requests wait for their approver (D8): one stays, one an operator cancels.
  runs.approval = await deliver('console-1001', 'mdf_request.submitted', systems.prm.findMdfRequest('MDF-1001'));
  runs.toCancel = await deliver('console-1003', 'mdf_request.submitted', systems.prm.findMdfRequest('MDF-1003'));
  // MDF-0901 was imported into the PRM as MDF-O901 (a letter O): claims against MDF-0901 fail their intake (D16).
  systems.prm.updateMdfRequest('MDF-0901', { mdfNumber: 'MDF-O901' });
  const attachments = [
    { name: 'pop.pdf', kind: 'POP', url: 'https://prm.partnerflow.test/files/1' },
    { name: 'leads.csv', kind: 'Lead List', url: 'https://prm.partnerflow.test/files/2' },
  ] as const;
  for (const title of ['Partner Day Frankfurt', 'Partner Day Frankfurt follow-up']) {
    const claim = systems.prm.addMdfClaim({ mdfNumber: 'MDF-0901', title, amount: 3000, paidDate: '2026-03-30', actualCosts: 8000, attachments: [...attachments] });
    runs.failedClaims.push(await deliver(`console-claim-${claim.id}`, 'mdf_claim.submitted', claim));
  }
  for (const id of [runs.approval, runs.toCancel]) await until(`run ${id} to wait`, async () => ((await rt.runOf(id)).run.status === 'waiting' ? true : undefined));
  for (const id of runs.failedClaims) await until(`claim run ${id} to fail`, async () => ((await rt.runOf(id)).run.status === 'failed' ? true : undefined));

  operator = await watchedContext(browser, { timezoneId: VIEWER_ZONE });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await rt?.close();
});

describe('the console in Chromium, production mode', () => {
  it('sends a visitor without a session to the login page; a wrong token is refused; the operator token logs in and goes where the visitor was going', async () => {
    const { page } = operator;
    await page.goto(`${base}/console/waiting`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/console/waiting');
    await screenshot(page, 'login');

    await page.getByLabel('Operator token').fill('not-the-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toContain('That is not the operator token (PARTNERFLOW_API_TOKEN).');

    await page.getByLabel('Operator token').fill(API_TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${base}/console/waiting`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Waiting');
    const [cookie] = (await operator.context.cookies()).filter((c) => c.name === 'pf_console');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  });

  it('finds the failed claim runs by their MDF number, says the error in words, and retries one to completion once ops corrected the PRM (D16)', async () => {
    const { page } = operator;
    await page.goto(`${base}/console/runs`);
    await screenshot(page, 'runs');
    await page.getByLabel('Business key').fill('MDF-0901');
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/console\/runs\?.*key=MDF-0901/);
    const listed = await page.locator('tbody tr').allInnerTexts();
    expect(listed).toHaveLength(2);
    for (const row of listed) expect(row).toMatch(/mdf-claim-intake v\d+\s+failed/);

    const [first] = runs.failedClaims;
    await page.getByRole('link', { name: first! }).click();
    await page.waitForURL(`${base}/console/runs/${first}`);
    expect(await fact(page, 'Status')).toBe('failed');
    expect(await fact(page, 'Business key')).toBe('MDF-0901');
    const error = await page.locator('main > p.error-words').innerText();
    expect(error).toMatch(/^Step claim failed: .*MDF-0901/);
    await screenshot(page, 'run');

    // Ops correct the request's number in the PRM; then Retry, confirmed, completes the run.
    rt.systems.prm.updateMdfRequest('MDF-O901', { mdfNumber: 'MDF-0901' });
    await page.getByRole('link', { name: 'Retry from the failed step' }).click();
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Retry this run?');
    expect(await rt.runOf(first!)).toMatchObject({ run: { status: 'failed' } });
    await page.getByRole('button', { name: 'Yes, retry from the failed step' }).click();
    await page.waitForURL(`${base}/console/runs/${first}?done=retried`);
    expect(await page.getByRole('status').innerText()).toBe('The run was queued again: it continues from its failed step.');
    await untilRunStatus(page, 'completed');
    expect(await page.getByRole('link', { name: 'Retry from the failed step' }).count()).toBe(0);
    expect(rt.emailsTo('marketing@northwind.example', 'We received your MDF claim "Partner Day Frankfurt" for MDF-0901')).toHaveLength(1);
  });

  it('reaches and presses Retry and its confirmation with the keyboard only (Tab, Enter)', async () => {
    const { page } = operator;
    const second = runs.failedClaims[1]!;
    await page.goto(`${base}/console/runs/${second}`);
    // The first Tab reaches the skip link, whose Enter skips the navigation.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    // The skip link's activation reaches the page after the key press resolves: on a loaded machine
    // the URL was read before it moved.
    await page.waitForFunction("location.hash === '#main'", undefined, { timeout: 5000 });
    expect(new URL(page.url()).hash).toBe('#main');
    await tabTo(page, 'Retry from the failed step');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/console/runs/${second}/retry`);
    await tabTo(page, 'Yes, retry from the failed step');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/console/runs/${second}?done=retried`);
    await untilRunStatus(page, 'completed');
  });

  it('cancels a waiting run after a confirmation and shows the outcome', async () => {
    const { page } = operator;
    await page.goto(`${base}/console/runs/${runs.toCancel}`);
    expect(await fact(page, 'Status')).toBe('waiting');
    await page.getByRole('link', { name: 'Cancel this run' }).click();
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Cancel this run?');
    // "No, go back" changes nothing.
    await page.getByRole('link', { name: 'No, go back' }).click();
    expect(await fact(page, 'Status')).toBe('waiting');
    await page.getByRole('link', { name: 'Cancel this run' }).click();
    await page.getByRole('button', { name: 'Yes, cancel the run' }).click();
    await page.waitForURL(`${base}/console/runs/${runs.toCancel}?done=canceled`);
    expect(await page.getByRole('status').innerText()).toBe('The run was canceled.');
    expect(await fact(page, 'Status')).toBe('canceled');
    expect(await page.getByRole('link', { name: 'Cancel this run' }).count()).toBe(0);
    expect((await rt.runOf(runs.toCancel)).run.status).toBe('canceled');
  });

  it('shows the approval waiting for the EMEA CMM (D8) with the time its escalation fires (D10), in the viewer\'s zone with UTC on hover', async () => {
    const { page } = operator;
    const { journal } = (await rt.runOf(runs.approval)) as unknown as { journal: Array<{ status: string; wait?: { kind: string; deadline: string | null } }> };
    const deadline = journal.find((e) => e.status === 'waiting' && e.wait?.kind === 'signal')!.wait!.deadline!;
    expect(deadline).toMatch(/^\d{4}-\d\d-\d\dT/);

    await page.goto(`${base}/console/waiting`);
    const row = page.locator('tbody tr', { has: page.getByRole('link', { name: 'MDF-1001' }) });
    expect(await row.innerText()).toContain('cmm.emea@vendor.example');
    const escalation = row.locator('td').nth(4).locator('time');
    expect(await escalation.getAttribute('datetime')).toBe(deadline);
    // The viewer reads Berlin time (the script rewrote it), and UTC on hover.
    const iso = new Date(deadline).toISOString();
    expect(await escalation.getAttribute('title')).toBe(`${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`);
    const berlin = new Intl.DateTimeFormat('en-GB', { timeZone: VIEWER_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' }).format(new Date(deadline));
    expect(await escalation.innerText()).toBe(berlin);
    expect(berlin).toMatch(/CES?T$/);
    await escalation.hover();
    await screenshot(page, 'waiting');

    await page.getByRole('link', { name: 'Timers' }).click();
    const timer = page.locator('tbody tr', { hasText: 'MDF-1001' }).first();
    expect(await timer.locator('time').first().getAttribute('datetime')).toBe(deadline);
    await screenshot(page, 'timers');
  });

  it('finds the Salesforce sync runs (D1) of MDF-1001 by its MDF number too, as the log names them: runs started by a run carry its business key', async () => {
    const { page } = operator;
    await page.goto(`${base}/console/runs`);
    await page.getByLabel('Business key').fill('MDF-1001');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/key=MDF-1001/);
    const rows = await page.locator('tbody tr').allInnerTexts();
    expect(rows.filter((r) => r.includes('mdf-request-approval'))).toHaveLength(1);
    const syncs = rows.filter((r) => r.includes('mdf-request-salesforce-sync'));
    expect(syncs.length).toBeGreaterThanOrEqual(1);
    for (const row of syncs) expect(row).toContain('MDF-1001');
  });

  it('names every form control (labels) on every page, and no page breaks its Content-Security-Policy', async () => {
    const { page } = operator;
    const pages = ['/console/runs', `/console/runs/${runs.approval}`, `/console/runs/${runs.approval}/cancel`, '/console/waiting', '/console/timers', '/console/recipes', '/console/recipes/mdf-request-approval'];
    for (const path of pages) {
      await page.goto(`${base}${path}`);
      expect(await unnamedControls(page), path).toEqual([]);
    }
    await page.goto(`${base}/console/recipes`);
    await screenshot(page, 'recipes');
    // serve read its tables at start: each recipe names the ones it reads, and the files on disk now have no problem.
    const approval = await page.locator('tr', { has: page.getByRole('link', { name: 'mdf-request-approval', exact: true }) }).innerText();
    expect(approval).toContain('approvers 3 rows');
    expect(approval).toContain('recipes/tables/approvers.json');
    expect(await page.locator('main').innerText()).toContain('The table files on disk have no problem.');
    expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(1);
    expect(operator.cspViolations()).toEqual([]);
    // The only error the browser printed is the wrong token's 401 of the first test: nothing else failed to load.
    expect(operator.failedLoads).toEqual([`401 POST ${base}/console/login`]);
    expect(operator.errors.filter((e) => !/\/console\/login: Failed to load resource: the server responded with a status of 401/.test(e))).toEqual([]);
  });

  it('works without JavaScript: log in, filter the runs by MDF number, open a run; times are then shown in UTC', async () => {
    const noScript = await watchedContext(browser, { javaScriptEnabled: false, timezoneId: VIEWER_ZONE });
    const { page } = noScript;
    await page.goto(`${base}/console/runs?status=waiting&key=MDF-1001`);
    await page.getByLabel('Operator token').fill(API_TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${base}/console/runs?status=waiting&key=MDF-1001`);
    await page.getByRole('link', { name: runs.approval }).click();
    expect(await fact(page, 'Status')).toBe('waiting');
    const started = page.locator('dl.facts').first().locator('time').first();
    expect(await started.innerText()).toBe(await started.getAttribute('title'));
    expect(await started.innerText()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(noScript.errors).toEqual([]);
    await noScript.context.close();
  });

  it('refuses a form with a forged CSRF token with a 403 page, and does nothing', async () => {
    const { page } = operator;
    await page.goto(`${base}/console/runs/${runs.approval}/cancel`);
    await page.evaluate(`document.querySelectorAll('input[name=csrf]').forEach((input) => { input.value = 'forged-token'; })`);
    const [answer] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Yes, cancel the run' }).click()]);
    expect(answer.status()).toBe(403);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Refused: this form did not come from this console');
    expect(await page.getByRole('alert').innerText()).toContain('nothing was done');
    expect((await rt.runOf(runs.approval)).run.status).toBe('waiting');
  });

  it('refuses a browser without the cookie, and after logout the copy of the old cookie too', async () => {
    const stranger = await watchedContext(browser);
    await stranger.page.goto(`${base}/console/runs/${runs.approval}`);
    expect(new URL(stranger.page.url()).pathname).toBe('/console/login');

    const { page, context } = operator;
    const copied = (await context.cookies()).filter((c) => c.name === 'pf_console');
    expect(copied).toHaveLength(1);
    await page.goto(`${base}/console/runs`);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${base}/console/login`);
    await page.goto(`${base}/console/runs`);
    expect(new URL(page.url()).pathname).toBe('/console/login');

    await stranger.context.addCookies(copied);
    await stranger.page.goto(`${base}/console/runs`);
    expect(new URL(stranger.page.url()).pathname).toBe('/console/login');
    expect(stranger.cspViolations()).toEqual([]);
    expect(operator.cspViolations()).toEqual([]);
    await stranger.context.close();
  });
});
