import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { appFixture, type AppFixture } from '../http/app-fixture.ts';
import { CONSOLE_CSP } from './console-auth.ts';
import { ConsoleBrowser, textOf } from '../../test/support/console-browser.ts';

let fx: AppFixture;
afterEach(async () => fx?.close());

const TOKEN = 'operator-token-0123456789';

async function queuedRun(): Promise<string> {
  const res = await fx.deliver({ id: `d-${Math.random()}`, event: 'thing.happened', data: { id: 'MDF-3001' } });
  return ((await res.json()) as { run_ids: string[] }).run_ids[0]!;
}

/** Logs a browser in through the login form, as a person does. */
async function logIn(browser: ConsoleBrowser, token = TOKEN): Promise<Response> {
  const form = await (await browser.get('/console/login?next=%2Fconsole%2Fwaiting')).text();
  const nonce = /name="csrf" value="([^"]+)"/.exec(form)![1]!;
  return browser.post('/console/login', { csrf: nonce, next: '/console/waiting', token });
}

describe('console login outside mock mode (PARTNERFLOW_API_TOKEN set)', () => {
  it('sends a visitor without a session to the login page (303), for a page and for an action, and does nothing', async () => {
    fx = await appFixture({ config: { apiToken: TOKEN } });
    const runId = await queuedRun();
    const browser = new ConsoleBrowser(fx.app);
    for (const path of ['/', '/console', '/console/runs?status=failed', `/console/runs/${runId}`, '/console/waiting', '/console/timers', '/console/recipes']) {
      const res = await browser.get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location'), path).toMatch(/^\/console(\/login\?next=|\/runs$)/);
    }
    expect((await browser.get('/console/runs?status=failed')).headers.get('location')).toBe('/console/login?next=%2Fconsole%2Fruns%3Fstatus%3Dfailed');
    const cancel = await browser.post(`/console/runs/${runId}/cancel`, { csrf: 'anything' });
    expect(cancel.status).toBe(303);
    expect(cancel.headers.get('location')).toMatch(/^\/console\/login/);
    expect((await fx.store.getRun(runId as never))!.status).toBe('queued');
  });

  it('refuses a wrong token (401, a message, no session) and a login form it did not give (403)', async () => {
    fx = await appFixture({ config: { apiToken: TOKEN } });
    const browser = new ConsoleBrowser(fx.app);
    const wrong = await logIn(browser, 'not-the-operator-token');
    expect(wrong.status).toBe(401);
    expect(textOf(await wrong.text())).toContain('That is not the operator token (PARTNERFLOW_API_TOKEN).');
    expect(browser.cookies.has('pf_console')).toBe(false);
    expect((await browser.get('/console/runs')).status).toBe(303);

    // A login posted from elsewhere carries no value of this console's login cookie.
    const stranger = new ConsoleBrowser(fx.app);
    const forged = await stranger.post('/console/login', { csrf: 'guessed', next: '/console/runs', token: TOKEN });
    expect(forged.status).toBe(403);
    expect(stranger.cookies.has('pf_console')).toBe(false);
  });

  it('logs each refused login with why, never the token typed, so that guessing is seen; a login that works logs no refusal', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    fx = await appFixture({ config: { apiToken: TOKEN }, log: createLogger('info', destination) });
    const browser = new ConsoleBrowser(fx.app);
    expect((await logIn(browser, 'guess-number-one')).status).toBe(401);
    expect((await new ConsoleBrowser(fx.app).post('/console/login', { csrf: 'guessed', next: '/console/runs', token: TOKEN })).status).toBe(403);
    const refusals = lines.filter((l) => l.msg === 'console login refused');
    expect(refusals.map((l) => l.why)).toEqual(['not the operator token', 'the form was not one this console gave (or it expired)']);
    expect(refusals.map((l) => l.level)).toEqual([40, 40]); // warn
    expect(JSON.stringify(lines)).not.toContain('guess-number-one');
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
    expect((await logIn(browser)).status).toBe(303);
    expect(lines.filter((l) => l.msg === 'console login refused')).toHaveLength(2);
  });

  it('refuses a login body over 16 KB with a 413 page, reading no further (one large POST was held in memory whole), and logs nobody in', async () => {
    fx = await appFixture({ config: { apiToken: TOKEN } });
    const browser = new ConsoleBrowser(fx.app);
    const form = await (await browser.get('/console/login')).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(form)![1]!;
    // The right token and CSRF, padded: streamed in 64 KB chunks, without a Content-Length.
    let pulled = 0;
    const chunk = new TextEncoder().encode(`&pad=${'a'.repeat(64 * 1024 - 5)}`);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(new URLSearchParams({ csrf, next: '/console/runs', token: TOKEN }).toString()));
      },
      pull(controller) {
        if (pulled === 1000) return controller.close(); // 64 MB
        pulled += 1;
        controller.enqueue(chunk);
      },
    });
    const cookie = [...browser.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
    const res = await fx.app.request('/console/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(textOf(await res.text())).toContain('A console form is a few hundred bytes; this one was over 16 KB, so it was not read and nothing was done.');
    expect(pulled).toBeLessThan(5);
    expect(res.headers.getSetCookie().some((line) => line.startsWith('pf_console='))).toBe(false);
    // A login of the ordinary size still works.
    expect((await logIn(browser)).status).toBe(303);
  });

  it('logs in with the operator token: an HttpOnly, SameSite=Strict session cookie on Path=/, back to where the user was going', async () => {
    fx = await appFixture({ config: { apiToken: TOKEN } });
    const browser = new ConsoleBrowser(fx.app);
    const res = await logIn(browser);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/waiting');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('pf_console='))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/; Secure/);
    const page = await browser.get('/console/waiting');
    expect(page.status).toBe(200);
    expect(textOf(await page.text())).toContain('Approvals waiting');
  });

  it('marks the session cookie Secure when PUBLIC_BASE_URL is https', async () => {
    fx = await appFixture({ config: { apiToken: TOKEN, publicBaseUrl: 'https://flow.example.com' } });
    const res = await logIn(new ConsoleBrowser(fx.app));
    expect(res.headers.getSetCookie().find((c) => c.startsWith('pf_console='))).toMatch(/; Secure/);
  });

  it('refuses a POST with no CSRF token or a forged one (403, a page saying so, the run untouched); the session token works', async () => {
    fx = await appFixture({ config: { apiToken: TOKEN } });
    const runId = await queuedRun();
    const browser = new ConsoleBrowser(fx.app);
    await logIn(browser);
    for (const form of [{}, { csrf: 'forged-token' }] as Array<Record<string, string>>) {
      const res = await browser.post(`/console/runs/${runId}/cancel`, form);
      expect(res.status).toBe(403);
      expect(textOf(await res.text())).toContain('Refused: this form did not come from this console');
    }
    expect((await fx.store.getRun(runId as never))!.status).toBe('queued');
    // Another session's token is not this session's.
    const other = new ConsoleBrowser(fx.app);
    await logIn(other);
    const othersToken = await other.csrfOf(`/console/runs/${runId}/cancel`);
    expect((await browser.post(`/console/runs/${runId}/cancel`, { csrf: othersToken })).status).toBe(403);

    const ok = await browser.post(`/console/runs/${runId}/cancel`, { csrf: await browser.csrfOf(`/console/runs/${runId}/cancel`) });
    expect(ok.status).toBe(303);
    expect((await fx.store.getRun(runId as never))!.status).toBe('canceled');
  });

  it('ends the session at logout: a copy of the old cookie is refused afterwards', async () => {
    fx = await appFixture({ config: { apiToken: TOKEN } });
    const browser = new ConsoleBrowser(fx.app);
    await logIn(browser);
    const copied = browser.cookies.get('pf_console')!;
    const out = await browser.post('/console/logout', { csrf: await browser.csrfOf('/console/runs') });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/console/login');
    expect(browser.cookies.has('pf_console')).toBe(false);
    const replay = await fx.app.request('/console/runs', { headers: { cookie: `pf_console=${copied}` } });
    expect(replay.status).toBe(303);
    expect(replay.headers.get('location')).toMatch(/^\/console\/login/);
  });

  it('keeps only the hash of the session id in the store', async () => {
    fx = await appFixture({ config: { apiToken: TOKEN } });
    const browser = new ConsoleBrowser(fx.app);
    await logIn(browser);
    const id = browser.cookies.get('pf_console')!;
    const { createHash } = await import('node:crypto');
    const now = fx.clock.now();
    expect(await fx.store.consoleSession(id, now)).toBeUndefined();
    expect(await fx.store.consoleSession(createHash('sha256').update(id).digest('hex'), now)).toBeDefined();
  });
});

describe('console headers', () => {
  it('sets the Content-Security-Policy (no inline script or style) on every console response', async () => {
    fx = await appFixture({ config: { apiToken: TOKEN } });
    const runId = await queuedRun();
    const browser = new ConsoleBrowser(fx.app);
    expect((await browser.get('/console/login')).headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect((await browser.get('/console/runs')).headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    await logIn(browser);
    const pages = ['/console/runs', `/console/runs/${runId}`, `/console/runs/${runId}/cancel`, '/console/waiting', '/console/timers', '/console/recipes', '/console/recipes/test-recipe', '/console/no-such-page', '/console/assets/console.css', '/console/assets/console.js'];
    for (const path of pages) {
      const res = await browser.get(path);
      expect(res.headers.get('content-security-policy'), path).toBe(CONSOLE_CSP);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('server-timing'), path).toMatch(/^console;dur=\d+\.\d$/);
      if (res.headers.get('content-type')?.startsWith('text/html')) expect(await res.text(), path).not.toMatch(/<script>|<style>| style="/);
    }
    expect(CONSOLE_CSP).toBe("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'");
  });
});
