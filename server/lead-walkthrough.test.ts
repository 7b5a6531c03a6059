import { describe, expect, it } from 'vitest';
import { useMockRuntime } from '../test/support/mock-runtime.ts';
import { OffsetClock } from './engine/clock.ts';
import type { Runtime } from './runtime.ts';

/**
 * The README's "Walkthrough: partner leads from a booth scan to recall", step by step, against the
 * runtime `npm start` builds: mock mode, the shipped recipes and tables, the demo data, requests through
 * the real Hono app. The mock clock starts at the time the test runs, so the digest's, reminder's and
 * recall's days are worked out from the lead's Partner Synced Date and the schedules (07:00 and 07:30
 * UTC), never written down. It is also run with the clock moved to just before the digest's time and to
 * between the digest's and the recall's, where a day's advance must still pass exactly one run of each.
 */
const startMockRuntime = useMockRuntime();

/** The runtime of `npm start`, its mock clock moved forward to the next `HH:MM` UTC when one is given. */
async function mockRuntime(startAt?: string): Promise<Runtime> {
  const clock = new OffsetClock();
  if (startAt) {
    const [hh, mm] = startAt.split(':').map(Number) as [number, number];
    clock.advance(dailyFireAtOrAfter(clock.now(), hh, mm) - clock.now());
  }
  return startMockRuntime({ clock });
}

interface MailboxMessage {
  to: string[];
  subject: string;
  text: string;
}

type Row = Record<string, any>;
interface Records {
  prm: { leads: Row[] };
  marketo: { leads: Row[]; activities: Row[] };
  salesforce: Record<string, Row[]>;
}

const DAY = 86_400_000;
/** The first time of day `hh:mm` UTC at or after `from`: a daily schedule's fire. */
function dailyFireAtOrAfter(from: number, hh: number, mm: number): number {
  const date = new Date(from);
  let fire = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), hh, mm);
  if (fire < from) fire += DAY;
  return fire;
}
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** The PRM id of the lead with this email (`prm.leads` in GET /_mock/records). */
const prmLeadId = (records: Records, email: string): number => records.prm.leads.find((l) => l.email === email)!.id as number;

// The README's scans are of 2026-12-01; here of the day before the test's clock, since a visit date more than
// the lead-routing table's date_window_days_before (365) before the import is refused (D21, D22).
const csvOf = (visited: string) => [
  'email,first_name,last_name,company,phone,opted_in,crm_partner_id,event,visited_on',
  `mia.wong@initech.example,Mia,Wong,Initech,+49 89 555 0101,yes,0015e00000NWCLD001,Cloud Summit Munich,${visited}`,
  `li.chen@umbrella.example,Li,Chen,Umbrella,+1 415 555 0199,yes,0015e00000TLSPN003,Cloud Summit Munich,${visited}`,
  `sam.ortiz@hooli.example,Sam,Ortiz,Hooli,+1 212 555 0142,yes,0015e00000LTWRE,Cloud Summit Munich,${visited}`,
  `bob@initech.example,Bob,Ray,Initech,,yes,0015e00000NWCLD001,Cloud Summit Munich,${visited}`,
  '',
].join('\n');

describe('the README lead walkthrough (npm start)', () => {
  it.each([['the time the test runs', undefined], ['06:59 UTC, just before the digest', '06:59'], ['07:15 UTC, between the digest and the recall run', '07:15'], ['07:05 UTC, after the digest fired, before it read its window (settle minutes)', '07:05']])('starting at %s, takes booth scans from the import (D22) through routing (D20, D21, D27, D1), the digest (D23), the day-23 reminder (D24) and the day-30 recall (D25), a lead the partner works kept (D24, D25); then a partner campaign (D28, D29)', async (_when, startAt) => {
    const rt = await mockRuntime(startAt);
    const call = async (method: string, path: string, body?: unknown) => {
      const init = body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
      const res = await rt.app.request(path, init);
      const answer = (await res.json()) as Row;
      await rt.engine.runUntilIdle();
      return { status: res.status, body: answer };
    };
    const mailbox = async (to: string) => (await call('GET', `/_mock/mailbox?to=${encodeURIComponent(to)}`)).body.messages as MailboxMessage[];
    const records = async () => (await call('GET', '/_mock/records')).body as Records;
    const advance = async (by: string) => expect((await call('POST', '/_mock/clock/advance', { by })).status).toBe(200);
    const northwind = 'ops@northwind.example';
    const ops = 'lead.ops@vendor.example';
    const visited = dayOf(rt.engine.clock.now() - 86_400_000);
    const CSV = csvOf(visited);
    const moment = (type: string, partner: string) => `${type} LEAD with ${partner} visited Booth at Cloud Summit Munich on ${visited}`;

    // 1. The import (D22): four rows accepted; the row without a phone too, since only the routing knows
    // whether its partner is a Channel partner, whose leads the PRM sync (which needs a phone) shares.
    const imported = await rt.app.request('/imports/leads', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: CSV });
    expect(imported.status).toBe(202);
    expect(await imported.json()).toMatchObject({
      already_imported: false,
      accepted: 4,
      refused: [],
      not_opted_in: [],
      batches: 1,
      to_route: 4,
    });
    await rt.engine.runUntilIdle();
    const again = await rt.app.request('/imports/leads', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: CSV });
    expect(await again.json()).toMatchObject({ already_imported: true, accepted: 4 });
    await rt.engine.runUntilIdle();

    // 2. Routing (D20, D21, D27, D1): the Channel leads get the partner fields, a PRM lead and a Salesforce Lead; the Alliance lead only its moment.
    const routed = await records();
    const marketo = (email: string) => routed.marketo.leads.find((l) => l.email === email)!;
    expect(marketo('mia.wong@initech.example')).toMatchObject({ impartnerPartnerAccount: '101', partnerConsent: true, marketingSuspended: true, partnerType: 'Channel' });
    expect(marketo('sam.ortiz@hooli.example')).toMatchObject({ crmPartnerID: '0015e00000LTWREAA5', impartnerPartnerAccount: '105', marketingSuspended: true });
    const alliance = marketo('li.chen@umbrella.example');
    expect(alliance).toMatchObject({ crmPartnerID: '0015e00000TLSPN003' });
    for (const field of ['impartnerPartnerAccount', 'partnerConsent', 'marketingSuspended', 'partnerType', 'partnerSyncedDate']) expect(alliance[field]).toBeUndefined();
    // D22: Bob's lead (Northwind, a Channel partner, no phone) is in Marketo but not shared; ops are told by name.
    expect(marketo('bob@initech.example').impartnerPartnerAccount).toBeUndefined();
    expect((await mailbox(ops)).map((m) => m.subject)).toEqual(['Partner lead bob@initech.example not shared with Northwind Cloud: no phone number']);
    const moments = routed.marketo.activities.filter((a) => a.activityTypeId === 46).map((a) => a.primaryAttributeValue);
    expect(moments).toEqual(expect.arrayContaining([moment('CHANNEL', 'Northwind Cloud'), moment('ALLIANCE', 'Tailspin Alliances'), moment('CHANNEL', 'Litware Resellers')]));
    expect(routed.prm.leads.map((l) => [l.email, l.partnerAccountId, l.recalledDate])).toEqual([
      ['mia.wong@initech.example', 101, null],
      ['sam.ortiz@hooli.example', 105, null],
    ]);
    const synced = routed.prm.leads[0]!.partnerSyncedDate as string;
    expect(marketo('mia.wong@initech.example').partnerSyncedDate).toBe(synced);
    expect(routed.salesforce.Lead!.map((l) => [l.Email, l.PartnerAccountId, l.Partner_Synced_Date__c])).toEqual([
      ['mia.wong@initech.example', '0015e00000NWCLD001', synced],
      ['sam.ortiz@hooli.example', '0015e00000LTWREAA5', routed.prm.leads[1]!.partnerSyncedDate],
    ]);

    // Each lead's routing run is found by the lead's email in lower case, as a web-form lead's runs are (lead-import v7).
    const mias = (await call('GET', `/runs?key=${encodeURIComponent('mia.wong@initech.example')}`)).body.runs as Array<{ recipe: string; status: string; correlationKey: string }>;
    expect(mias.map((r) => [r.recipe, r.status, r.correlationKey])).toEqual([['lead-routing', 'completed', 'mia.wong@initech.example']]);

    // 3. One day later the 07:00 UTC digest has run once (D23): one email to Northwind, none to Tailspin; ops are told of Litware.
    const syncedAt = Date.parse(synced);
    const digestDay = dayOf(dailyFireAtOrAfter(syncedAt, 7, 0));
    await advance('P1D');
    // The digest reads its window 10 minutes (lead-share digest_settle_minutes) after its 07:00 fire: a
    // lead synced between 07:00 and 07:10 is read by the next day's digest only after 07:10 (D23, review 7 H2).
    const readAt = dailyFireAtOrAfter(syncedAt, 7, 0) + 10 * 60_000;
    if (syncedAt + DAY < readAt) await advance(`PT${Math.ceil((readAt - syncedAt - DAY) / 1000) + 1}S`);
    const [digest, ...moreDigests] = await mailbox(northwind);
    expect(moreDigests).toEqual([]);
    expect(digest!.subject).toBe(`1 new lead shared with Northwind Cloud (${digestDay})`);
    // D23: the first digest of the schedule (no slot fired before it) reads the 24 hours before it, named in UTC.
    const digestAt = dailyFireAtOrAfter(syncedAt, 7, 0);
    expect(digest!.text).toContain(`between ${dayOf(digestAt - 24 * 3_600_000)} 07:00 and ${digestDay} 07:00 UTC`);
    expect(digest!.text).toContain('- Mia Wong <mia.wong@initech.example>, Initech, +49 89 555 0101');
    expect(await mailbox('partners@tailspin.example')).toEqual([]);
    const digestProblems = (await mailbox(ops)).at(-1);
    expect(digestProblems!.subject).toBe(`Lead-share digest ${digestDay}: leads not shared with their partner`);
    expect(digestProblems!.text).toContain('- Litware Resellers (PRM account 105): 1 lead');

    // 4. Day 23 (D24): the 07:30 UTC recall run whose window ends 23 days before it holds the sync; one reminder, ops told of Litware.
    const reminderAt = dailyFireAtOrAfter(syncedAt + 23 * DAY, 7, 30);
    await advance('P23D');
    const northwindMail = await mailbox(northwind);
    expect(northwindMail).toHaveLength(2);
    expect(northwindMail[1]!.subject).toBe('1 lead will be recalled from Northwind Cloud in 7 days');
    expect(northwindMail[1]!.text).toContain('- Mia Wong <mia.wong@initech.example>, Initech');
    const recallProblems = (await mailbox(ops)).at(-1)!;
    expect(recallProblems.subject).toBe(`Lead recall ${dayOf(reminderAt)}: partners not reminded`);
    expect(recallProblems.text).toContain('- Litware Resellers (PRM account 105): 1 lead');

    // 5. The partner works Sam Ortiz's lead in the portal (D24, D25): the PRM activity poll records it on the Marketo lead.
    const samId = prmLeadId(await records(), 'sam.ortiz@hooli.example');
    const worked = await call('PATCH', `/_mock/prm/leads/${samId}`, { status: 'Contacted', partnerNotes: 'Called; demo on Friday' });
    expect(worked.status).toBe(200);
    expect(worked.body.lead).toMatchObject({ id: samId, status: 'Contacted', partnerNotes: 'Called; demo on Friday' });
    const workedAt = new Date(String(worked.body.lead.updated)).toISOString();
    await advance('PT15M');
    expect((await records()).marketo.leads.find((l) => l.email === 'sam.ortiz@hooli.example')!.lastPartnerActivity).toBe(workedAt);

    // 6. Day 30 (D25): Mia Wong's untouched lead is recalled (Marketo fields cleared, Marketing Suspended = false, PRM Recalled Date,
    // Salesforce Lead without its partner, D1); Sam Ortiz's, worked by Litware, is not.
    await advance('P7D');
    const recalled = await records();
    const mia = 'mia.wong@initech.example';
    expect(recalled.marketo.leads.find((l) => l.email === mia)).toMatchObject({ impartnerPartnerAccount: null, marketingSuspended: false });
    const miaRecalledDate = recalled.prm.leads.find((l) => l.email === mia)!.recalledDate;
    expect(dayOf(Date.parse(miaRecalledDate))).toBe(dayOf(reminderAt + 7 * DAY));
    expect(recalled.salesforce.Lead!.find((l) => l.Email === mia)).toMatchObject({ PartnerAccountId: null, Partner_Recalled_Date__c: miaRecalledDate });
    expect(recalled.marketo.leads.find((l) => l.email === 'sam.ortiz@hooli.example')).toMatchObject({ impartnerPartnerAccount: '105', marketingSuspended: true });
    expect(recalled.prm.leads.find((l) => l.email === 'sam.ortiz@hooli.example')!.recalledDate).toBeNull();
    expect(recalled.marketo.leads.find((l) => l.email === 'li.chen@umbrella.example')!.impartnerPartnerAccount).toBeUndefined();
    expect(await mailbox(northwind)).toHaveLength(2);

    // 7. A partner campaign (D28, D29): MDF-1001 approved; Salesforce has its Campaign and the Funds Request points at it.
    expect((await call('POST', '/_mock/prm/webhooks', { event: 'mdf_request.submitted', mdf_number: 'MDF-1001' })).status).toBe(202);
    const ask = (await mailbox('cmm.emea@vendor.example')).find((m) => m.subject.includes('MDF-1001'))!;
    const link = new URL(/http:\/\/\S+\/approvals\/\S+\?decision=approve/.exec(ask.text)![0]);
    const decided = await rt.app.request(link.pathname, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
    expect(decided.status).toBe(200);
    await rt.engine.runUntilIdle();
    const salesforce = (await records()).salesforce;
    const campaigns = salesforce.Campaign!.filter((c) => c.MDF_Number__c === 'MDF-1001');
    expect(campaigns).toHaveLength(1);
    expect(campaigns[0]).toMatchObject({ Name: 'MDF-1001: Cloud Summit Munich', BudgetedCost: 20000, Channel_Partner_Involved__c: 'Yes', Channel_Partner_Name__c: 'Northwind Cloud' });
    expect(salesforce.PartnerFundRequest!.find((f) => f.MDF_Number__c === 'MDF-1001')).toMatchObject({ Status: 'Approved', CampaignId: campaigns[0]!.Id });

    // Nothing failed on the way.
    expect((await call('GET', '/runs?status=failed')).body.runs).toEqual([]);
  });
});
