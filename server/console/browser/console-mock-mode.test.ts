import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, type CliProcess } from '../../../test/support/cli-process.ts';
import { launchChromium, screenshot, unnamedControls, watchedContext, type WatchedContext } from '../../../test/support/console-chromium.ts';
import { freePort } from '../../../test/support/free-port.ts';
import { deliverMockSubmission } from '../../../test/support/mock-prm-delivery.ts';
import { until, untilServing } from '../../../test/support/until.ts';

/**
 * The console of `serve --mock` (as `npm start` runs it) in Debian's Chromium: nobody logs in; the
 * README walkthrough's MDF-1001 waits for the EMEA CMM, the operator moves the virtual clock on the
 * Clock page past the escalation (D10) and reads the escalation email on the Mailbox page.
 */
const root = resolve(import.meta.dirname, '../../..');
const work = mkdtempSync(join(tmpdir(), 'partnerflow-console-mock-'));

let server: CliProcess;
let browser: Browser;
let viewer: WatchedContext;
let base: string;

beforeAll(async () => {
  // The browser first: without Chromium the file fails at once, saying how to install it.
  browser = await launchChromium();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', PUBLIC_BASE_URL: '', RECIPES_DIR: join(root, 'recipes'), TABLES_DIR: join(root, 'recipes/tables'), EMAIL_TEMPLATES_DIR: join(root, 'recipes/email-templates') };
  delete env.PARTNERFLOW_API_TOKEN;
  server = spawnCli(['serve', '--mock', '--port', String(port)], { cwd: work, env });
  await untilServing(base, 30_000);
  viewer = await watchedContext(browser, { timezoneId: 'Europe/Berlin' });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  rmSync(work, { recursive: true, force: true });
});

describe('the console in Chromium, mock mode', () => {
  it('shows MDF-1001 waiting for its approver; moving the clock on the Clock page past its escalation (D10) brings the escalation email to the Mailbox page', async () => {
    const { page } = viewer;
    expect((await deliverMockSubmission(base)).status).toBe(202);
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/console/runs');
    expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(0);

    await page.getByRole('link', { name: 'Waiting' }).click();
    const row = page.locator('tbody tr', { has: page.getByRole('link', { name: 'MDF-1001' }) });
    await until('MDF-1001 to wait for its approver', async () => {
      if ((await row.count()) === 1) return true;
      await page.reload();
      return undefined;
    });
    expect(await row.innerText()).toContain('cmm.emea@vendor.example');
    const escalatesAt = Date.parse((await row.locator('td').nth(4).locator('time').getAttribute('datetime'))!);

    await page.getByRole('link', { name: 'Mailbox' }).click();
    expect(await page.getByRole('heading', { name: /^Escalated MDF approval: MDF-1001/ }).count()).toBe(0);

    await page.getByRole('link', { name: 'Clock' }).click();
    const before = Date.parse((await page.locator('main time').first().getAttribute('datetime'))!);
    expect(escalatesAt).toBeGreaterThan(before);
    expect(escalatesAt - before).toBeLessThanOrEqual(5 * 86_400_000);
    await page.getByLabel('Advance by').fill('P5D');
    await page.getByRole('button', { name: 'Advance the clock' }).click();
    await page.waitForURL(/\/console\/clock\?moved=P5D/);
    expect(await page.getByRole('status').innerText()).toBe('Moved the clock forward by P5D; the timers due on the way fired.');
    // The mock clock also runs on with real time, so "moved by P5D" is 5 days and a few moments.
    const moved = Date.parse((await page.locator('main time').first().getAttribute('datetime'))!) - before;
    expect(moved).toBeGreaterThanOrEqual(5 * 86_400_000);
    expect(moved).toBeLessThan(5 * 86_400_000 + 60_000);
    await screenshot(page, 'clock');

    await page.getByRole('link', { name: 'Mailbox' }).click();
    const escalation = page.getByRole('heading', { name: /^Escalated MDF approval: MDF-1001 Cloud Summit Munich/ });
    await until('the escalation email in the mailbox', async () => {
      if ((await escalation.count()) === 1) return true;
      await page.reload();
      return undefined;
    });
    const mail = page.locator('article.mail', { has: escalation });
    expect(await mail.innerText()).toContain('marketing.director.emea@vendor.example');
    // Its HTML, as the recipient's mail program shows it, in a sandboxed frame.
    const frame = page.frameLocator(`iframe[title^="HTML of Escalated MDF approval: MDF-1001"]`);
    await expect(frame.locator('body').innerText()).resolves.toContain('MDF-1001');
    await screenshot(page, 'mailbox');
  });

  it('follows the walkthrough by clicking: the director opens the escalation email\'s approve link, confirms, and the Runs page shows MDF-1001\'s approval run completed (D10, D11)', async () => {
    const { page } = viewer;
    await page.goto(`${base}/console/mailbox?to=marketing.director.emea%40vendor.example`);
    const frame = page.frameLocator(`iframe[title^="HTML of Escalated MDF approval: MDF-1001"]`);
    const approve = await frame.getByRole('link', { name: /decision=approve$/ }).getAttribute('href');
    expect(approve).toMatch(/\/approvals\/[^/?]+\?decision=approve$/);
    await page.goto(approve!);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Confirm your decision');
    expect(await page.getByRole('radio', { name: 'Approve' }).isChecked()).toBe(true);
    await page.getByLabel('Message to the partner (optional): sent to them as you write it').fill('Go ahead.');
    await page.getByRole('button', { name: 'Confirm' }).click();
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Thank you — approval recorded');

    await page.goto(`${base}/console/runs?recipe=mdf-request-approval&key=MDF-1001`);
    await until('the approval run to complete', async () => {
      if ((await page.locator('tbody tr', { hasText: 'completed' }).count()) === 1) return true;
      await page.reload();
      return undefined;
    });
    expect(viewer.cspViolations()).toEqual([]);
  });

  it('names every form control on the mock pages, and no page breaks its Content-Security-Policy (an email\'s HTML included)', async () => {
    const { page } = viewer;
    for (const path of ['/console/runs', '/console/waiting', '/console/timers', '/console/recipes', '/console/mailbox', '/console/mailbox?to=cmm.emea%40vendor.example', '/console/clock']) {
      await page.goto(`${base}${path}`);
      expect(await unnamedControls(page), path).toEqual([]);
    }
    expect(viewer.cspViolations()).toEqual([]);
    expect(viewer.errors).toEqual([]);
    expect(viewer.failedLoads).toEqual([]);
  });

  it('refuses a clock form with a forged CSRF token (403): the clock does not move', async () => {
    const { page } = viewer;
    await page.goto(`${base}/console/clock`);
    const before = Date.parse((await page.locator('main time').first().getAttribute('datetime'))!);
    await page.evaluate(`document.querySelectorAll('input[name=csrf]').forEach((input) => { input.value = 'forged-token'; })`);
    await page.getByLabel('Advance by').fill('P30D');
    const [answer] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Advance the clock' }).click()]);
    expect(answer.status()).toBe(403);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Refused: this form did not come from this console');
    await page.goto(`${base}/console/clock`);
    // Not 30 days later: only the real seconds of the test went by.
    expect(Date.parse((await page.locator('main time').first().getAttribute('datetime'))!) - before).toBeLessThan(60_000);
  });
});

describe('the console in Chromium, mock mode with PARTNERFLOW_API_TOKEN', () => {
  it('keeps the operator logged in when the Clock page moves the virtual clock past the 12 hours of a login: a session lasts 12 real hours', async () => {
    const port = await freePort();
    const tokenBase = `http://127.0.0.1:${port}`;
    const token = 'mock-console-operator-token-0123456789';
    const dir = mkdtempSync(join(tmpdir(), 'partnerflow-console-mock-token-'));
    const guarded = spawnCli(['serve', '--mock', '--port', String(port)], {
      cwd: dir,
      env: { ...process.env, LOG_LEVEL: 'warn', PUBLIC_BASE_URL: '', PARTNERFLOW_API_TOKEN: token, RECIPES_DIR: join(root, 'recipes'), TABLES_DIR: join(root, 'recipes/tables'), EMAIL_TEMPLATES_DIR: join(root, 'recipes/email-templates') },
    });
    const operator = await watchedContext(browser);
    try {
      await untilServing(tokenBase, 30_000);
      const { page } = operator;
      await page.goto(`${tokenBase}/console/clock`);
      await page.getByLabel('Operator token').fill(token);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(`${tokenBase}/console/clock`);
      await page.getByLabel('Advance by').fill('P5D');
      await page.getByRole('button', { name: 'Advance the clock' }).click();
      await page.waitForURL(/\/console\/(clock\?moved=P5D|login)/);
      expect(new URL(page.url()).pathname, 'sent to the login page after moving the clock').toBe('/console/clock');
      expect(await page.getByRole('status').innerText()).toBe('Moved the clock forward by P5D; the timers due on the way fired.');
      await page.getByRole('link', { name: 'Mailbox' }).click();
      expect(new URL(page.url()).pathname).toBe('/console/mailbox');
    } finally {
      await operator.context.close();
      guarded.child.kill('SIGTERM');
      await guarded.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
