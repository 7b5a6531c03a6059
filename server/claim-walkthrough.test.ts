import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useMockRuntime } from '../test/support/mock-runtime.ts';

/**
 * The README's "Walkthrough: an MDF claim from the activity's end to payment", step by step, against
 * the runtime `npm start` builds: mock mode, the shipped recipes and tables, the demo data, requests
 * through the real Hono app. The mock clock starts at today's date, so every date here is taken
 * relative to the clock's now, and a reminder's expected time is worked out from the shipped business
 * calendar (its weekend and holidays), never written down.
 */
const mockRuntime = useMockRuntime();

interface MailboxMessage {
  to: string[];
  subject: string;
  text: string;
}

interface BusinessTimer {
  key: string;
  offset: number;
  fires_at: string;
  date: string;
}

interface Records {
  prm: {
    mdf_requests: Array<{ mdfNumber: string; status: string; statusReason: string | null }>;
    mdf_claims: Array<{ id: number; status: string; statusReason: string | null }>;
  };
  salesforce: Record<string, Array<Record<string, unknown>>>;
}

const calendar = JSON.parse(readFileSync(new URL('../recipes/tables/business-calendar.json', import.meta.url), 'utf8')) as {
  timezone: string;
  weekend: number[];
  holidays: Array<{ date: string }>;
};

const DAY = 86_400_000;
/** A `YYYY-MM-DD` date `days` after another. */
const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
/** ISO weekday of a date: 1 Monday .. 7 Sunday. */
const weekday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay() || 7;
const isBusinessDay = (date: string) => !calendar.weekend.includes(weekday(date)) && !calendar.holidays.some((h) => h.date === date);

/** D14's reminder day: `days` after the end date, moved to the next business day; it fires there at 09:00 in the calendar's zone. */
function reminderDay(endDate: string, days: number): string {
  let date = addDays(endDate, days);
  while (!isBusinessDay(date)) date = addDays(date, 1);
  return date;
}

/** A time as a person in the business calendar's zone reads it: `2026-12-21 09:00`. */
const inBerlin = (iso: string) =>
  new Intl.DateTimeFormat('sv-SE', { timeZone: calendar.timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));

describe('the README claim walkthrough (npm start)', () => {
  it('takes MDF-0901 from the activity\'s end through reminders (D14), a claim (D15, D16), Missing POP (D17), approval (D18, D11, D2), Salesforce (D1) and payment; then a flexi request (D13, D10)', async () => {
    const rt = await mockRuntime();
    const json = (method: string, body: unknown) => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await rt.app.request(path, body === undefined ? { method } : json(method, body));
      const answer = (await res.json()) as Record<string, any>;
      await rt.engine.runUntilIdle();
      return { status: res.status, body: answer };
    };
    const mailbox = async (to: string) => ((await call('GET', `/_mock/mailbox?to=${encodeURIComponent(to)}`)).body.messages as MailboxMessage[]);
    const newest = async (to: string) => (await mailbox(to)).at(-1)!;
    const reminders = async () => ((await call('GET', '/timers')).body.business_timers as BusinessTimer[]).filter((t) => t.key === 'MDF-0901');
    const records = async () => (await call('GET', '/_mock/records')).body as Records;
    const clockDate = async () => ((await call('GET', '/_mock/clock')).body.now as string).slice(0, 10);
    const northwind = 'marketing@northwind.example';

    // 1. The activity ended yesterday (D14): ops move MDF-0901's end date; the PRM sends mdf_request.changed.
    const ended = addDays(await clockDate(), -1);
    const moved = await call('PATCH', '/_mock/prm/mdf_requests/MDF-0901', { endDate: ended });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ mdf_request: { mdfNumber: 'MDF-0901', endDate: ended, status: 'Approved' }, webhook: { event: 'mdf_request.changed', status: 202 } });
    const pending = await reminders();
    expect(pending.map((t) => [t.offset, t.date])).toEqual([[2, ended], [14, ended], [28, ended]]);
    for (const timer of pending) expect(inBerlin(timer.fires_at)).toBe(`${reminderDay(ended, timer.offset)} 09:00`);

    // Past day 2's time: the day-2 reminder is in the mailbox.
    const minutesToDay2 = Math.ceil((Date.parse(pending[0]!.fires_at) - rt.clock.now()) / 60_000) + 1;
    expect((await call('POST', '/_mock/clock/advance', { by: `PT${minutesToDay2}M` })).status).toBe(200);
    const [reminder, ...others] = await mailbox(northwind);
    expect(others).toEqual([]);
    expect(reminder!.subject).toBe('Reminder: claim your MDF for MDF-0901 Partner Day Frankfurt');
    expect(reminder!.text).toContain(`under MDF request MDF-0901 ended on ${ended} and we have no claim for it yet`);
    expect(reminder!.text).toContain('up to the approved USD 8,000');
    expect((await reminders()).map((t) => t.offset)).toEqual([14, 28]);

    // Ops move the end date later, to a day whose day 14 is a Saturday: the reminders still to come follow
    // it (day 2 was sent and is never sent again), and day 14 goes out on the Monday after, at 09:00.
    let later = addDays(await clockDate(), 1);
    while (weekday(addDays(later, 14)) !== 6) later = addDays(later, 1);
    expect((await call('PATCH', '/_mock/prm/mdf_requests/MDF-0901', { endDate: later })).body.webhook).toMatchObject({ event: 'mdf_request.changed', status: 202 });
    const followed = await reminders();
    expect(followed.map((t) => [t.offset, t.date])).toEqual([[14, later], [28, later]]);
    for (const timer of followed) expect(inBerlin(timer.fires_at)).toBe(`${reminderDay(later, timer.offset)} 09:00`);
    const day14 = inBerlin(followed[0]!.fires_at).slice(0, 10);
    expect(weekday(day14)).toBe(1);
    expect(day14 >= addDays(later, 16)).toBe(true);

    // 2. The partner submits a claim with the POP only (D16): the confirmation names what is missing; no reminder is pending any more.
    const pop = { name: 'pop.pdf', kind: 'POP', url: 'https://prm.partnerflow.test/files/1' };
    const leads = { name: 'leads.csv', kind: 'Lead List', url: 'https://prm.partnerflow.test/files/2' };
    const submitted = await call('POST', '/_mock/prm/claims', { mdfNumber: 'MDF-0901', title: 'Partner Day Frankfurt', amount: 7000, paidDate: ended, actualCosts: 15000, attachments: [pop] });
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({ claim: { mdfNumber: 'MDF-0901', status: 'Open' }, webhook: { status: 202 } });
    const claimId = submitted.body.claim.id as number;
    const received = await newest(northwind);
    expect(received.subject).toBe('We received your MDF claim "Partner Day Frankfurt" for MDF-0901');
    expect(received.text).toContain('Required attachments are missing: Lead List.');
    expect(await reminders()).toEqual([]);

    // The same title in other case and spaces is refused (D15), naming the title and the other claim.
    const duplicate = await call('POST', '/_mock/prm/claims', { mdfNumber: 'MDF-0901', title: ' partner day FRANKFURT ', amount: 500, paidDate: ended, actualCosts: 15000 });
    const refused = await newest(northwind);
    expect(refused.subject).toBe('Your MDF claim "partner day FRANKFURT" for MDF-0901 cannot be accepted');
    expect(refused.text).toContain(`The Claim Title "partner day FRANKFURT" is already used by claim ${claimId} against MDF-0901 ("Partner Day Frankfurt")`);
    expect((await records()).prm.mdf_claims.find((c) => c.id === duplicate.body.claim.id)).toMatchObject({ status: 'Denied', statusReason: expect.stringMatching(/^Refused \(D15\)/) });

    // 3. Ops set Missing POP (D17): the partner is told the item; once it is added and the field cleared, thanked.
    await call('PATCH', `/_mock/prm/claims/${claimId}`, { missingPop: 'Lead List' });
    const missing = await newest(northwind);
    expect(missing.subject).toBe('Your MDF claim "Partner Day Frankfurt" is missing: Lead List');
    expect(missing.text).toContain('we found this item missing or not usable: Lead List.');
    await call('PATCH', `/_mock/prm/claims/${claimId}`, { missingPop: null, attachments: [pop, leads] });
    expect((await newest(northwind)).subject).toBe('Thank you: your MDF claim "Partner Day Frankfurt" for MDF-0901 is complete');

    // 4. Ops approve the claim (D18, D11): the partner is told, the request is Closed; Salesforce has the Funds Claim (D1, D2).
    await call('PATCH', `/_mock/prm/claims/${claimId}`, { status: 'Approved' });
    await call('POST', '/_mock/clock/advance', { by: 'PT5M' });
    const approved = await newest(northwind);
    expect(approved.subject).toBe('Your MDF claim "Partner Day Frankfurt" for MDF-0901 is approved');
    expect(approved.text).toContain('The MDF request MDF-0901 is now closed.');
    const afterApproval = await records();
    expect(afterApproval.prm.mdf_requests.find((r) => r.mdfNumber === 'MDF-0901')?.status).toBe('Closed');
    const fundRequest = afterApproval.salesforce.PartnerFundRequest!.find((r) => r.MDF_Number__c === 'MDF-0901')!;
    const fundClaims = afterApproval.salesforce.PartnerFundClaim!.filter((r) => r.MDF_Claim_Key__c === `PRM-CLAIM-${claimId}`);
    expect(fundClaims).toHaveLength(1);
    expect(fundClaims[0]).toMatchObject({
      Title: 'Partner Day Frankfurt',
      Amount: 7000,
      Status: 'Approved',
      RequestId: fundRequest.Id,
      PRM_Claim_URL__c: expect.stringMatching(new RegExp(`/MdfClaim__co/${claimId}$`)),
    });
    expect(JSON.stringify(fundClaims[0])).not.toMatch(/files\/|pop\.pdf|leads\.csv|attachment/i);

    // A purchase order number: the partner is asked for the invoice (D18).
    await call('PATCH', `/_mock/prm/claims/${claimId}`, { purchaseOrderNumber: 'PO-7731' });
    const invoice = await newest(northwind);
    expect(invoice.subject).toBe('Please send your invoice for MDF claim "Partner Day Frankfurt" for MDF-0901 (PO PO-7731)');
    expect(invoice.text).toContain('quoting the purchase order number PO-7731');

    // 5. Finance marks the Funds Claim Paid in Salesforce: after the next poll the PRM claim is Paid and the partner is told (D1).
    const paidInSalesforce = await call('PATCH', `/_mock/salesforce/PartnerFundClaim/MDF_Claim_Key__c/PRM-CLAIM-${claimId}`, { Status: 'Paid' });
    expect(paidInSalesforce).toMatchObject({ status: 200, body: { record: { Status: 'Paid' } } });
    expect(paidInSalesforce.body.record.LastModifiedById).not.toBe(fundClaims[0]!.LastModifiedById);
    await call('POST', '/_mock/clock/advance', { by: 'PT5M' });
    expect((await records()).prm.mdf_claims.find((c) => c.id === claimId)?.status).toBe('Paid');
    const paid = await newest(northwind);
    expect(paid.subject).toBe('Your MDF claim for MDF-0901 is paid');
    expect(paid.text).toContain('is paid: USD 7,000');

    // 6. A flexi request (D13, D10): MDF-1003 (APAC, India) approved by the CMM goes to the APAC marketing lead with the budget's numbers.
    const approveAs = async (approver: string, mdfNumber: string) => {
      const email = (await mailbox(approver)).find((m) => m.subject.includes(mdfNumber))!;
      const link = new URL(/http:\/\/\S+\/approvals\/\S+\?decision=approve/.exec(email.text)![0]);
      const res = await rt.app.request(link.pathname, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
      expect(res.status).toBe(200);
      await rt.engine.runUntilIdle();
    };
    expect((await call('POST', '/_mock/prm/webhooks', { event: 'mdf_request.submitted', mdf_number: 'MDF-1003' })).status).toBe(202);
    await approveAs('cmm.apac@vendor.example', 'MDF-1003');
    const lead = await newest('marketing.lead.apac@vendor.example');
    expect(lead.subject).toBe('MDF flexi-budget approval needed: MDF-1003 Cloud Migration Webinar Series (Tailspin Alliances)');
    expect(lead.text).toContain('USD 4,000 (reserved for this request while you decide)');
    expect(lead.text).toContain('USD 10,000 for APAC in 2026-Q2; USD 0 held by other requests, USD 6,000 left after this one');

    // Over the cap: MDF-1002 made a flexi request larger than the AMER flexi-budget is Denied; the partner and the CMM get the numbers.
    await call('PATCH', '/_mock/prm/mdf_requests/MDF-1002', { activityCountry: 'MX', totalCost: 50000, partnerInvestment: 25000, amountRequested: 25000 });
    await call('POST', '/_mock/prm/webhooks', { event: 'mdf_request.submitted', mdf_number: 'MDF-1002' });
    await approveAs('cmm.amer@vendor.example', 'MDF-1002');
    const overCap = await newest('field@contoso.example');
    expect(overCap.subject).toBe('Your MDF request MDF-1002 was not approved');
    expect(overCap.text).toMatch(/Requested: +USD 25,000\n +Left: +USD 20,000\n +Flexi-budget: +USD 20,000 for AMER in 2026-Q2/);
    expect((await newest('cmm.amer@vendor.example')).subject).toBe('MDF request MDF-1002 not approved: over the AMER flexi-budget for 2026-Q2');
    expect((await records()).prm.mdf_requests.find((r) => r.mdfNumber === 'MDF-1002')).toMatchObject({ status: 'Denied', statusReason: expect.stringMatching(/^Over the flexi-budget \(D13\)/) });

    // Nothing failed on the way.
    expect((await call('GET', '/runs?status=failed')).body.runs).toEqual([]);
  });
});
