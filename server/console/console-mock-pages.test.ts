import { describe, expect, it } from 'vitest';
import { useMockRuntime } from '../../test/support/mock-runtime.ts';
import { durationFromInput } from './clock-page.ts';
import { ConsoleBrowser, runIdsOn, textOf } from '../../test/support/console-browser.ts';

const mockRuntime = useMockRuntime();

/** The PRM sends "MDF request submitted" for a demo request, as README step 1 does. */
async function submit(rt: Awaited<ReturnType<typeof mockRuntime>>, mdfNumber: string): Promise<void> {
  const res = await rt.app.request('/_mock/prm/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ event: 'mdf_request.submitted', mdf_number: mdfNumber }) });
  expect(res.status).toBe(202);
  await rt.engine.runUntilIdle();
}

describe('the console of the mock runtime (npm start)', () => {
  it('needs no login; / opens the runs page, which shows the run of a submitted request', async () => {
    const rt = await mockRuntime();
    const browser = new ConsoleBrowser(rt.app);
    const root = await browser.get('/');
    expect(root.status).toBe(303);
    expect(root.headers.get('location')).toBe('/console/runs');
    await submit(rt, 'MDF-1001');
    const runs = await browser.get('/console/runs?key=MDF-1001');
    expect(runs.status).toBe(200);
    const html = await runs.text();
    // The approval run, and the Salesforce sync it started (D1), which carries its MDF number.
    expect(runIdsOn(html)).toHaveLength(2);
    expect(textOf(html)).toMatch(/mdf-request-approval v\d+ waiting MDF-1001 webhook prm\.mdf_request\.submitted/);
    expect(textOf(html)).toMatch(/mdf-request-salesforce-sync v\d+ \w+ MDF-1001 run/);
    expect(html).toMatch(/<a href="\/console\/mailbox">Mailbox<\/a>/);
    expect(html).toMatch(/<a href="\/console\/runs" aria-current="page">Runs<\/a>/);
  });

  it('shows each simulated email in the mailbox page, its HTML served on its own with a strict policy', async () => {
    const rt = await mockRuntime();
    const browser = new ConsoleBrowser(rt.app);
    await submit(rt, 'MDF-1001');
    const res = await browser.get('/console/mailbox?to=marketing@northwind.example');
    const html = await res.text();
    expect(textOf(html)).toContain('We received your MDF request MDF-1001: Cloud Summit Munich');
    const src = /<iframe title="[^"]*" src="([^"]+)" sandbox=""/.exec(html)![1]!;
    const body = await browser.get(src);
    expect(body.status).toBe(200);
    expect(body.headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/);
    expect(await body.text()).toContain('MDF-1001');
  });

  it('advances the virtual clock from the clock page ("2d"); the escalation email (D10) then appears in the mailbox', async () => {
    const rt = await mockRuntime();
    const browser = new ConsoleBrowser(rt.app);
    await submit(rt, 'MDF-1002');
    const before = rt.clock.now();
    const clock = await browser.get('/console/clock');
    expect(textOf(await clock.text())).toContain(`The mock runtime's virtual time is ${new Date(before).toISOString().slice(0, 10)}`);
    const csrf = await browser.csrfOf('/console/clock');

    const moved = await browser.post('/console/clock', { csrf, by: '2d' });
    expect(moved.status).toBe(303);
    expect(moved.headers.get('location')).toBe('/console/clock?moved=P2D');
    expect(rt.clock.now() - before).toBeGreaterThanOrEqual(2 * 86_400_000);
    expect(textOf(await (await browser.get(moved.headers.get('location')!)).text())).toContain('Moved the clock forward by P2D');

    // P5D in all covers 2 business days from any weekday: the request is escalated to the manager.
    await browser.post('/console/clock', { csrf, by: 'P3D' });
    await rt.engine.runUntilIdle();
    const mailbox = textOf(await (await browser.get('/console/mailbox')).text());
    expect(mailbox).toMatch(/Escalated MDF approval: MDF-1002 \S/);
    // The waiting page tells the escalated level (D10) from the recipe: the wait in the first one's on_timeout.
    const waiting = textOf(await (await browser.get('/console/waiting')).text());
    expect(waiting).toMatch(/MDF-1002 mdf-request-approval v\d+ .* escalated after decision timed out: signal decision at step decision_escalated/);
  });

  it('refuses a clock move without the CSRF token (403) and says why a duration is refused (400)', async () => {
    const rt = await mockRuntime();
    const browser = new ConsoleBrowser(rt.app);
    const before = rt.clock.now();
    expect((await browser.post('/console/clock', { by: '2d' })).status).toBe(403);
    expect((await browser.post('/console/clock', { by: '2d', csrf: 'forged' })).status).toBe(403);
    // The mock clock runs with real time; refused moves leave it within a minute of where it was.
    expect(rt.clock.now() - before).toBeLessThan(60_000);
    const csrf = await browser.csrfOf('/console/clock');
    const bad = await browser.post('/console/clock', { csrf, by: 'soon' });
    expect(bad.status).toBe(400);
    expect(textOf(await bad.text())).toContain('"soon" is not a duration');
    expect(rt.clock.now() - before).toBeLessThan(60_000);
  });
});

describe('durationFromInput', () => {
  it('reads ISO 8601 durations and short forms', () => {
    expect(durationFromInput('P5D')).toBe('P5D');
    expect(durationFromInput('pt36h')).toBe('PT36H');
    expect(durationFromInput('2d')).toBe('P2D');
    expect(durationFromInput('36h')).toBe('PT36H');
    expect(durationFromInput('90m')).toBe('PT90M');
    expect(durationFromInput('1w')).toBe('P1W');
    expect(durationFromInput('1d12h')).toBe('P1DT12H');
    expect(durationFromInput('soon')).toBeNull();
    expect(durationFromInput('')).toBeNull();
  });
});
