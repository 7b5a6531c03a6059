import { describe, expect, it } from 'vitest';
import { useMockRuntime } from '../../test/support/mock-runtime.ts';
import { OffsetClock } from '../../server/engine/clock.ts';

// A visit date of today (UTC): one more than the lead-routing table's date_window_days_before (365) from the clock is refused (D21, D22).
const VISITED = new Date().toISOString().slice(0, 10);

/**
 * D24, D25 (review7 H1): the partner told "will be recalled in 7 days" keeps the lead for 7 days after
 * that email, also when the email went out late. Here the runtime is down across the day-23 reminder
 * and the day-30 recall (an outage, a broken deploy over the holidays): at the restart the missed
 * 07:30 runs are caught up in order. The caught-up reminder's Recall Reminder Date is when it went
 * out (not its run's scheduled time, 8 days before), so the caught-up day-30 run recalls nothing, and
 * the lead is recalled at the first 07:30 run at least 7 days after the email.
 */
const startMockRuntime = useMockRuntime();
const DAY = 86_400_000;
const CSV = `email,first_name,last_name,company,phone,opted_in,crm_partner_id,event,visited_on\nmia.wong@initech.example,Mia,Wong,Initech,+49 89 555 0101,yes,0015e00000NWCLD001,Cloud Summit Munich,${VISITED}\n`;

describe('lead-recall after downtime across the reminder and the recall (D24, D25)', () => {
  it('the partner told "recalled in 7 days" by a caught-up reminder keeps the lead 7 days after that email, and is told its real age', async () => {
    const clock = new OffsetClock();
    const rt = await startMockRuntime({ clock });
    const res = await rt.app.request('/imports/leads', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: CSV });
    expect(res.status).toBe(202);
    await rt.engine.runUntilIdle();
    const mailbox = async (to: string) => ((await (await rt.app.request(`/_mock/mailbox?to=${encodeURIComponent(to)}`)).json()) as { messages: Array<{ subject: string; text: string }> }).messages;
    const lead = async () => ((await (await rt.app.request('/_mock/records')).json()) as { prm: { leads: Array<Record<string, unknown>> } }).prm.leads.find((l) => l.email === 'mia.wong@initech.example')!;
    const synced = Date.parse(String((await lead()).partnerSyncedDate));

    // Down for 31 days (no pass runs), then back: one pass catches up the missed 07:30 runs in order.
    clock.advance(31 * DAY);
    const backAt = clock.now();
    await rt.engine.runUntilIdle();
    await rt.engine.runUntilIdle();

    const reminders = (await mailbox('ops@northwind.example')).filter((m) => m.subject.includes('will be recalled'));
    expect(reminders.map((m) => m.subject)).toEqual(['1 lead will be recalled from Northwind Cloud in 7 days']);
    // D24 (review7 M2): its real age when the email went out, not the table's reminder_day (23).
    expect(reminders[0]!.text).toContain('this lead, shared with you 31 days ago, has had no follow-up');
    const reminded = await lead();
    // The Recall Reminder Date is when the reminder went out: at the restart, not 8 days before it.
    expect(Date.parse(String(reminded.recallReminderDate))).toBeGreaterThanOrEqual(backAt);
    expect(reminded.recalledDate, 'recalled in the same catch-up as the email announcing 7 days').toBeNull();

    // Six days after the email: still the partner's.
    clock.advance(6 * DAY);
    await rt.engine.runUntilIdle();
    expect((await lead()).recalledDate).toBeNull();

    // Two days more: recalled, at least 7 days after the email.
    clock.advance(2 * DAY);
    await rt.engine.runUntilIdle();
    const recalled = await lead();
    expect(recalled.recalledDate).not.toBeNull();
    expect(Date.parse(String(recalled.recalledDate)) - Date.parse(String(reminded.recallReminderDate))).toBeGreaterThanOrEqual(7 * DAY);
    expect(synced).toBeLessThan(backAt);
  }, 120_000);
});
