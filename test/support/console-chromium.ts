import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type ConsoleMessage, type Locator, type Page } from 'playwright-core';

/**
 * Test support for the console's browser tests: Debian's Chromium driven by playwright-core, one
 * browser per test file, and what those tests check on every page (no Content-Security-Policy
 * violation in the browser's console, a name for every form control) and save (a screenshot).
 */

/** Where Debian's `chromium` package puts the browser; CHROMIUM_PATH points elsewhere if needed. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * The flags of a browser on a machine with no network beyond loopback: nothing phones home or waits for
 * an update. Playwright adds a fresh temporary --user-data-dir of its own to every launch.
 */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** The viewport of every page and screenshot: a laptop screen, small PNGs. */
export const VIEWPORT = { width: 1280, height: 800 };

const root = resolve(import.meta.dirname, '../..');

/**
 * Launches Chromium, or fails saying how to install it: a machine without it must not pass these tests
 * by skipping them.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The console's browser tests need Chromium at ${CHROMIUM_PATH}, and it is not there. Install Debian's: \`apt-get install chromium\` (.ci/run does so when it is missing), or set CHROMIUM_PATH to a Chromium binary.`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** A browser context (its own cookies) that records what its pages print to the browser's console. */
export interface WatchedContext {
  context: BrowserContext;
  page: Page;
  /** Every console error and uncaught page error so far, with the page it came from. */
  errors: string[];
  /** Every answer of 400 or more the pages received, page or resource: `<status> <method> <url>`. */
  failedLoads: string[];
  /** The errors that are Content-Security-Policy violations. */
  cspViolations(): string[];
}

/** A fresh context (no cookies) with one page, watching the browser's console for errors. */
export async function watchedContext(browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedContext> {
  const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-GB', ...options });
  const errors: string[] = [];
  context.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(`${message.page()?.url() ?? '?'}: ${message.text()}`);
  });
  context.on('weberror', (error) => errors.push(`page error: ${error.error().message}`));
  const failedLoads: string[] = [];
  context.on('response', (response) => {
    if (response.status() >= 400) failedLoads.push(`${response.status()} ${response.request().method()} ${response.url()}`);
  });
  const page = await context.newPage();
  return {
    context,
    page,
    errors,
    failedLoads,
    cspViolations: () => errors.filter((e) => /Content Security Policy|Content-Security-Policy/i.test(e)),
  };
}

/**
 * Where screenshots go: docs/screenshots (the README shows two of them) when CONSOLE_SCREENSHOTS=update
 * or when the file is not there yet; otherwise a temporary folder, so that a plain `npm test` does not
 * rewrite the committed PNGs (run ids and times differ at every run).
 */
export function screenshotPath(name: string): string {
  const committed = join(root, 'docs/screenshots', `${name}.png`);
  if (process.env.CONSOLE_SCREENSHOTS === 'update' || !existsSync(committed)) {
    mkdirSync(join(root, 'docs/screenshots'), { recursive: true });
    return committed;
  }
  const dir = join(tmpdir(), 'partnerflow-console-screenshots');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.png`);
}

/** Saves the visible part of the page (the viewport, not the whole scroll) as `<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = screenshotPath(name);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/**
 * The form controls on the page that have no accessible name (a missing label), as their HTML: every
 * visible input, select, textarea and button is asked for its name as the accessibility tree gives it.
 */
export async function unnamedControls(page: Page): Promise<string[]> {
  const controls: Locator = page.locator('input:not([type=hidden]), select, textarea, button');
  const unnamed: string[] = [];
  for (const control of await controls.all()) {
    if (!(await control.isVisible())) continue;
    const snapshot = await control.ariaSnapshot();
    // `- textbox "Business key"`, `- button "Filter"`: the name is the quoted part.
    if (!/^- \w+ "[^"]*\S[^"]*"/.test(snapshot.trim())) unnamed.push(`${snapshot.trim()} <- ${await control.evaluate('(el) => el.outerHTML')}`);
  }
  return unnamed;
}
