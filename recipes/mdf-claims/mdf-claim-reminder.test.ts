import { readFileSync } from 'node:fs';
import { Duration } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { loadConfig } from '../../server/config.ts';
import { advanceTime } from '../../server/engine/advance-time.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { createRuntime, type Runtime } from '../../server/runtime.ts';
import { SIMULATED_URLS } from '../../mocks/simulated-systems.ts';

/**
 * D14 against the runtime `npm start` builds (mock mode, shipped recipes and tables, seeded PRM): what
 * the scenario format cannot show yet, a claim that is in the PRM although its event never arrived, and
 * the pending reminders as `GET /timers` lists them. MDF-0901's activity ended on Monday 2026-03-30.
 */
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

const DAY = 86_400_000;
const PARTNER = 'marketing@northwind.example';

async function start(): Promise<{ rt: Runtime; clock: VirtualClock }> {
  const clock = new VirtualClock('2026-03-31T10:00:00Z');
  const config = loadConfig({}, { mock: true, connectors: CONNECTORS, overrides: { dbPath: ':memory:', logLevel: 'silent' } });
  runtime = await createRuntime({ config, clock });
  // The PRM tells the runtime about the approved request (as it does for any change of it).
  const res = await runtime.app.request('/_mock/prm/webhooks', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ event: 'mdf_request.status_changed', mdf_number: 'MDF-0901' }),
  });
  expect(res.status).toBe(202);
  return { rt: runtime, clock };
}

async function reminders(rt: Runtime): Promise<string[]> {
  const res = await rt.app.request(`/_mock/mailbox?to=${encodeURIComponent(PARTNER)}`);
  const { messages } = (await res.json()) as { messages: Array<{ subject: string }> };
  return messages.map((m) => m.subject).filter((s) => s.startsWith('Reminder: claim your MDF'));
}

describe('mdf-claim-reminder in the runtime (D14)', () => {
  it('GET /timers lists each pending reminder with its day and when it fires (09:00 in Berlin), soonest first, paged', async () => {
    const { rt } = await start();
    const res = await rt.app.request('/timers?limit=2');
    expect(res.status).toBe(200);
    const page = (await res.json()) as { business_timers: unknown[]; next_after: string | null };
    expect(page.business_timers).toEqual([
      { recipe: 'mdf-claim-reminder', key: 'MDF-0901', offset: 2, fires_at: '2026-04-01T07:00:00.000Z', date: '2026-03-30' },
      { recipe: 'mdf-claim-reminder', key: 'MDF-0901', offset: 14, fires_at: '2026-04-13T07:00:00.000Z', date: '2026-03-30' },
    ]);
    const next = (await (await rt.app.request(`/timers?limit=2&after=${page.next_after}`)).json()) as { business_timers: unknown[]; next_after: string | null };
    expect(next).toMatchObject({ business_timers: [{ key: 'MDF-0901', offset: 28, fires_at: '2026-04-27T07:00:00.000Z' }], next_after: null });
    expect((await rt.app.request('/timers?after=tomorrow')).status).toBe(400);
  });

  it('reminds on day 2 when no claim exists', async () => {
    const { rt, clock } = await start();
    await advanceTime(rt.engine, clock, 2 * DAY);
    expect(await reminders(rt)).toEqual(['Reminder: claim your MDF for MDF-0901 Partner Day Frankfurt']);
  });

  it('sends no reminder when a claim exists in the PRM although its event was lost (the run reads the claims again)', async () => {
    const { rt, clock } = await start();
    const put = await fetch(`${SIMULATED_URLS.prm}/MdfClaim__co`, {
      method: 'PUT',
      headers: { Authorization: 'prm-key mock-prm-key', 'X-PRM-TenantId': '1', 'content-type': 'application/json' },
      body: JSON.stringify({ MdfNumber: 'MDF-0901', Title: 'Partner Day Frankfurt claim', Amount: 7000, Status: 'Open' }),
    });
    expect(put.status).toBeLessThan(300);
    await advanceTime(rt.engine, clock, 30 * DAY);
    expect(await reminders(rt)).toEqual([]);
    const runs = (await (await rt.app.request('/runs?recipe=mdf-claim-reminder')).json()) as { runs: Array<{ status: string }> };
    expect(runs.runs.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
  });

  it('a late reminder waits longer after its event than mdf-request-decision-notice waits before telling the approval, so that email goes first', () => {
    const json = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
    const reminder = json('./mdf-claim-reminder.recipe.json');
    const notice = json('../mdf-requests/mdf-request-decision-notice.recipe.json');
    const noticeWait = notice.steps.find((s: { id: string }) => s.id === 'let_approval_run_tell').for as string;
    const catchUpWait = reminder.trigger.catch_up.wait as string;
    const ms = (d: string) => Duration.fromISO(d).toMillis();
    // A minute's margin: the decision-notice run reads the PRM and renders its email after its wait.
    expect(ms(catchUpWait), `raise mdf-claim-reminder's trigger.catch_up.wait (${catchUpWait}) above decision-notice's wait (${noticeWait}) plus a minute`).toBeGreaterThanOrEqual(ms(noticeWait) + 60_000);
  });
});
