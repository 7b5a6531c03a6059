import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { Recipe } from '../../schemas/recipe.ts';
import { ConnectorCatalog } from '../../server/engine/connector-registry.ts';
import { checkConfiguredConnectors } from '../../server/recipes/check-configured-connectors.ts';
import { formatProblem } from '../../server/recipes/recipe-problem.ts';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { useTestStore } from '../../test/support/test-store.ts';
import { loadConfig } from '../../server/config.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { CONNECTORS } from '../index.ts';
import { capturingLogger, testContext, testDeps } from '../kit/action-test-context.ts';
import { marketoConnector } from '../marketo/index.ts';
import type { MarketoConfig } from '../marketo/marketo-config.ts';
import type { MarketoConnection } from '../marketo/marketo-connection.ts';
import { MarketoQuotaError } from '../marketo/marketo-errors.ts';
import { prmConnector } from '../prm/index.ts';
import { salesforceConnector } from '../salesforce/index.ts';
import type { SalesforceConfig } from '../salesforce/salesforce-config.ts';
import type { SalesforceConnection } from '../salesforce/salesforce-connection.ts';
import type { PrmClient } from '../prm/prm-client.ts';
import type { PrmConfig } from '../prm/prm-config.ts';
import { leadsConnector } from './index.ts';
import type { LeadsConnection } from './leads-connection.ts';

const clock = new VirtualClock('2026-04-20T09:00:00Z');
// The clock first: the demo data is seeded at that time.
beforeEach(() => clock.set('2026-04-20T09:00:00Z'));
const systems = useSimulatedSystems(clock);
// Marketo's rate budget lives in the store (shared across replicas).
const store = useTestStore();

const SYNCED = '2026-03-20T10:00:00Z';
const WINDOW = { from: '2026-03-20T07:30:00.000Z', to: '2026-03-21T07:30:00.000Z', exempt_source: 'Partner Sponsored Event' };

/** The leads connection as `serve --mock` builds it, over one PRM and one Marketo connection. */
function connect(): LeadsConnection {
  const config = loadConfig({}, { mock: true, connectors: CONNECTORS }).connectors;
  const log = capturingLogger();
  const prm = prmConnector.connect(config.prm as PrmConfig, testDeps(clock, log)) as PrmClient;
  const marketo = marketoConnector.connect(config.marketo as MarketoConfig, testDeps(clock, log, store())) as MarketoConnection;
  const salesforce = salesforceConnector.connect(config.salesforce as SalesforceConfig, testDeps(clock, log)) as SalesforceConnection;
  return { prm: () => prm, marketo: () => marketo, salesforce: () => salesforce, config: config.leads as LeadsConnection['config'] };
}

async function recall(connection: LeadsConnection, window = WINDOW) {
  const definition = leadsConnector.actions.recall_inactive_leads!;
  const { ctx } = testContext(connection, clock);
  return definition.output.parse(await definition.run(definition.input.parse(window), ctx)) as { recalled: number; not_in_marketo: string[]; several_in_marketo: unknown[]; not_in_salesforce: string[]; salesforce_refused: string[]; handed_over: unknown[]; left_with_other_partner: unknown[]; marketo_calls: number };
}

/** `n` leads of Northwind shared on SYNCED, untouched since, in the PRM and in Marketo. */
function shareLeads(n: number, extra: (i: number) => Record<string, unknown> = () => ({})) {
  for (let i = 0; i < n; i++) {
    const email = `lead${i}@client.example`;
    systems.prm.addLead({ email, phone: '+1 555 0100', partnerAccountId: 101, partnerSyncedDate: SYNCED, created: SYNCED, updated: SYNCED, ...extra(i) });
    systems.marketo.addLead({ email, impartnerPartnerAccount: '101', marketingSuspended: true, partnerConsent: true });
    systems.salesforce.insert('Lead', { LastName: `Lead ${i}`, Company: 'Client', Email: email, Partner_Lead_Key__c: email, PartnerAccountId: '0015e00000NWCLDAA1', Partner_Synced_Date__c: SYNCED });
  }
}

describe('leads.recall_inactive_leads (D25, D26)', () => {
  it('D25: the daily quota (607) reached mid-recall: the rest are recalled after the reset, none twice, in batches of 300', async () => {
    shareLeads(700);
    const connection = connect();
    // Per batch of 300: two Last Partner Activity reads (300 emails pass Marketo's 8 KB URL limit in two),
    // a paging token and ten Lead Status change reads of 30 leads (D25: work up to the recall), one update.
    systems.marketo.limits.dailyQuota = systems.marketo.usage().callsToday + 28;
    const error = await recall(connection).then(() => expect.unreachable('the recall finished within the quota'), (e: unknown) => e);
    expect(error).toBeInstanceOf(MarketoQuotaError);
    const recalledFirst = new Map(systems.prm.leads().filter((lead) => lead.recalledDate !== null).map((lead) => [lead.email, lead.recalledDate]));
    expect(recalledFirst.size).toBe(600);

    clock.set('2026-04-21T05:00:01Z');
    const second = await recall(connection);
    expect(second).toEqual({ recalled: 100, not_in_marketo: [], several_in_marketo: [], not_in_salesforce: [], salesforce_refused: [], handed_over: [], left_with_other_partner: [], marketo_calls: 1 });
    // The first 600 kept the Recalled Date of the first attempt.
    const leads = systems.prm.leads();
    expect(leads.filter((lead) => recalledFirst.get(lead.email) === lead.recalledDate)).toHaveLength(600);
    expect(leads.filter((lead) => !recalledFirst.has(lead.email) && String(lead.recalledDate) >= '2026-04-21T05:00:01')).toHaveLength(100);
    expect(systems.marketo.leads().filter((lead) => String(lead.email).startsWith('lead') && lead.marketingSuspended === false && !lead.impartnerPartnerAccount)).toHaveLength(700);
    // D1: the Salesforce Leads are taken back from the partner too.
    expect(systems.salesforce.records('Lead').filter((lead) => lead.PartnerAccountId === null && typeof lead.Partner_Recalled_Date__c === 'string')).toHaveLength(700);

    // A third run of the same window finds nothing left.
    expect(await recall(connection)).toEqual({ recalled: 0, not_in_marketo: [], several_in_marketo: [], not_in_salesforce: [], salesforce_refused: [], handed_over: [], left_with_other_partner: [], marketo_calls: 0 });
  });

  it('D25: a step retried after a failure mid-recall (607 after batch 1) reports what the earlier attempt found: its next attempt starts from the progress kept with the step', async () => {
    const ANN = 'ann.lee@client.example';
    // Batch 1: Ann's copy of Contoso (the Marketo lead names Contoso; Northwind shared her later and
    // holds an open share: handed over), a lead Marketo lacks, then 298 more; batch 2: the last 102.
    systems.prm.addLead({ email: ANN, phone: '+1 555 0100', partnerAccountId: 102, crmPartnerId: '0015e00000CNTSOAA2', partnerSyncedDate: SYNCED, created: SYNCED, updated: SYNCED });
    systems.prm.addLead({ email: ANN, phone: '+1 555 0100', partnerAccountId: 101, crmPartnerId: '0015e00000NWCLDAA1', partnerSyncedDate: '2026-04-10T10:00:00Z', created: '2026-04-10T10:00:00Z', updated: '2026-04-10T10:00:00Z' });
    systems.marketo.addLead({ email: ANN, impartnerPartnerAccount: '102', crmPartnerID: '0015e00000CNTSOAA2', marketingSuspended: true, partnerConsent: true });
    systems.prm.addLead({ email: 'gone@client.example', phone: '+1 555 0100', partnerAccountId: 101, partnerSyncedDate: SYNCED, created: SYNCED, updated: SYNCED });
    shareLeads(400);
    const connection = connect();
    // Batch 1: two reads, a paging token, ten Lead Status change reads (D25), one update.
    systems.marketo.limits.dailyQuota = systems.marketo.usage().callsToday + 14;
    const definition = leadsConnector.actions.recall_inactive_leads!;
    let kept: unknown;
    const first = testContext(connection, clock).ctx;
    first.saveProgress = async (progress) => {
      kept = structuredClone(progress);
    };
    const error = await definition.run(definition.input.parse(WINDOW), first).then(() => expect.unreachable('the recall finished within the quota'), (e: unknown) => e);
    expect(error).toBeInstanceOf(MarketoQuotaError);
    expect(systems.prm.leads().filter((lead) => lead.recalledDate !== null)).toHaveLength(300);

    clock.set('2026-04-21T05:00:01Z');
    const second = testContext(connection, clock).ctx;
    second.progress = kept;
    const output = definition.output.parse(await definition.run(definition.input.parse(WINDOW), second));
    expect(systems.prm.leads().filter((lead) => lead.recalledDate !== null)).toHaveLength(402);
    expect(output).toMatchObject({
      recalled: 402,
      not_in_marketo: ['gone@client.example'],
      handed_over: [{ email: ANN, recalled_from: '102', handed_to: '101', salesforce: 'no Lead' }],
      left_with_other_partner: [],
      marketo_calls: 2,
    });
  });

  it('D25, D26: a lead the partner worked (Last Partner Activity after the share) and a Partner Sponsored Event lead stay with the partner; a lead Marketo lacks is still recalled in the PRM and named', async () => {
    shareLeads(3, (i) => (i === 2 ? { leadAcquisitionSource: 'Partner Sponsored Event' } : {}));
    const [worked] = systems.marketo.findLeads('email', 'lead1@client.example');
    systems.marketo.updateLead(worked!.id, { lastPartnerActivity: '2026-04-19T12:00:00Z' });
    systems.prm.addLead({ email: 'gone@client.example', phone: '+1 555 0100', partnerAccountId: 101, partnerSyncedDate: SYNCED, created: SYNCED, updated: SYNCED });
    const output = await recall(connect());
    expect(output).toEqual({ recalled: 2, not_in_marketo: ['gone@client.example'], several_in_marketo: [], not_in_salesforce: ['gone@client.example'], salesforce_refused: [], handed_over: [], left_with_other_partner: [], marketo_calls: 1 });
    const recalled = systems.prm.leads().filter((lead) => lead.recalledDate !== null).map((lead) => lead.email);
    expect(recalled).toEqual(['lead0@client.example', 'gone@client.example']);
  });

  it("D24, D25: the runtime's own writes are no activity: a re-synced PRM lead (updated after the share) and an activity before the share are recalled", async () => {
    shareLeads(2, (i) => (i === 0 ? { updated: '2026-04-19T12:00:00Z' } : {}));
    const [before] = systems.marketo.findLeads('email', 'lead1@client.example');
    systems.marketo.updateLead(before!.id, { lastPartnerActivity: '2026-03-19T12:00:00Z' });
    const output = await recall(connect());
    expect(output).toEqual({ recalled: 2, not_in_marketo: [], several_in_marketo: [], not_in_salesforce: [], salesforce_refused: [], handed_over: [], left_with_other_partner: [], marketo_calls: 1 });
  });

  it('D25: a lead the PRM holds without an Updated stamp keeps its partner when its status or notes show work, before the activity poll has written Marketo; one without work is recalled', async () => {
    // Imported into the PRM without a stamp: lead0 worked (Contacted), lead1 with notes only, lead2 untouched (New, blank notes).
    const work = [{ status: 'Contacted' }, { status: 'New', partnerNotes: 'Called, call back in May' }, { status: 'New', partnerNotes: '  ' }];
    shareLeads(3, (i) => ({ updated: null, ...work[i] }));
    const output = await recall(connect());
    expect(output).toEqual({ recalled: 1, not_in_marketo: [], several_in_marketo: [], not_in_salesforce: [], salesforce_refused: [], handed_over: [], left_with_other_partner: [], marketo_calls: 1 });
    expect(systems.prm.leads().map((lead) => [lead.email, lead.recalledDate])).toEqual([
      ['lead0@client.example', null],
      ['lead1@client.example', null],
      ['lead2@client.example', '2026-04-20T09:00:00.000Z'],
    ]);
    // Marketo has no Last Partner Activity for them: the partner keeps the worked ones there too.
    expect(systems.marketo.leads().filter((lead) => String(lead.email).startsWith('lead')).map((lead) => [lead.email, lead.impartnerPartnerAccount ?? null, lead.marketingSuspended])).toEqual([
      ['lead0@client.example', '101', true],
      ['lead1@client.example', '101', true],
      ['lead2@client.example', null, false],
    ]);
  });
});

describe('a joint-booth lead and the partner that still holds a share (D25)', () => {
  const ANN = 'ann.lee@client.example';
  const NORTHWIND = { partnerAccountId: 101, crmPartnerId: '0015e00000NWCLDAA1' };
  const CONTOSO = { partnerAccountId: 102, crmPartnerId: '0015e00000CNTSOAA2' };
  const LITWARE = { partnerAccountId: 105, crmPartnerId: '0015e00000LTWREAA5' };

  /** Ann's copy for one partner, shared on SYNCED and untouched (or worked, with `extra`). */
  function shareAnn(partner: { partnerAccountId: number; crmPartnerId: string | null }, extra: Record<string, unknown> = {}) {
    systems.prm.addLead({ email: ANN, phone: '+1 555 0100', ...partner, partnerSyncedDate: SYNCED, created: SYNCED, updated: SYNCED, ...extra });
  }
  function annInMarketoAndSalesforce(marketoPartner: string, salesforceAccount: string) {
    systems.marketo.addLead({ email: ANN, impartnerPartnerAccount: marketoPartner, crmPartnerID: salesforceAccount, marketingSuspended: true, marketingSuspendedBeforeShare: false, partnerConsent: true });
    systems.salesforce.insert('Lead', { LastName: 'Lee', Company: 'Client', Email: ANN, Partner_Lead_Key__c: ANN, PartnerAccountId: salesforceAccount, Partner_Synced_Date__c: SYNCED });
  }
  const annInMarketo = () => systems.marketo.findLeads('email', ANN)[0];
  const annInSalesforce = () => systems.salesforce.records('Lead').find((lead) => lead.Partner_Lead_Key__c === ANN);
  const annInPrm = () => systems.prm.leads().filter((lead) => lead.email === ANN).map((lead) => [lead.partnerAccountId, lead.recalledDate]);

  it('both copies due the same morning in two batches (the second read from Marketo before the first handed the lead over): nobody remains, the lead is released', async () => {
    shareAnn(CONTOSO);
    // 300 more leads, one of them worked: Marketo is read 300 candidates at a time, so the recall's
    // first batch of 300 reaches into the second read, which saw Ann's Marketo lead still naming Contoso.
    shareLeads(300);
    const [worked] = systems.marketo.findLeads('email', 'lead5@client.example');
    systems.marketo.updateLead(worked!.id, { lastPartnerActivity: '2026-04-19T12:00:00Z' });
    shareAnn(NORTHWIND);
    annInMarketoAndSalesforce('102', CONTOSO.crmPartnerId);

    const output = await recall(connect());
    expect(output.recalled).toBe(301);
    // The PRM's rate limit spaces the 301 Recalled Dates over the morning.
    expect(annInPrm()).toEqual([[102, expect.any(String)], [101, expect.any(String)]]);
    expect(annInMarketo()).toMatchObject({ impartnerPartnerAccount: null, marketingSuspended: false });
    expect(annInSalesforce()).toMatchObject({ PartnerAccountId: null, Partner_Recalled_Date__c: expect.any(String) });
    expect(output.left_with_other_partner).toEqual([]);
    // The first batch's hand-over to Northwind ended with the second batch: ops are told of none (lead-recall-problems).
    expect(output.handed_over).toEqual([]);
  });

  it('both copies due in the same batch while a third partner still works its own: one hand-over, from the partner the Marketo lead named, none "left with" a partner recalled too', async () => {
    shareAnn(NORTHWIND);
    shareAnn(CONTOSO);
    shareAnn(LITWARE, { status: 'Contacted', updated: '2026-04-01T10:00:00Z' });
    annInMarketoAndSalesforce('102', CONTOSO.crmPartnerId);

    const output = await recall(connect());
    expect(output.recalled).toBe(2);
    expect(annInPrm()).toEqual([[101, '2026-04-20T09:00:00.000Z'], [102, '2026-04-20T09:00:00.000Z'], [105, null]]);
    expect(annInMarketo()).toMatchObject({ impartnerPartnerAccount: '105', marketingSuspended: true });
    expect(annInSalesforce()).toMatchObject({ PartnerAccountId: LITWARE.crmPartnerId });
    expect(output.handed_over).toEqual([{ email: ANN, recalled_from: '102', handed_to: '105', salesforce: 'handed over' }]);
    expect(output.left_with_other_partner).toEqual([]);
  });

  it('handed over to a partner whose PRM lead has no CRM Partner ID: the Marketo lead no longer names the recalled partner\'s CRM Partner ID, the Salesforce Lead is left as it was and said so', async () => {
    shareAnn({ partnerAccountId: 101, crmPartnerId: null }, { status: 'Contacted', updated: '2026-04-01T10:00:00Z' });
    shareAnn(CONTOSO);
    annInMarketoAndSalesforce('102', CONTOSO.crmPartnerId);

    const output = await recall(connect());
    expect(annInPrm()).toEqual([[101, null], [102, '2026-04-20T09:00:00.000Z']]);
    expect(annInMarketo()).toMatchObject({ impartnerPartnerAccount: '101', crmPartnerID: null, marketingSuspended: true });
    expect(annInSalesforce()).toMatchObject({ PartnerAccountId: CONTOSO.crmPartnerId });
    expect(output.handed_over).toEqual([{ email: ANN, recalled_from: '102', handed_to: '101', salesforce: "left as it was: no CRM Partner ID on the remaining partner's PRM lead" }]);
  });

  it('a hand-over Salesforce refuses (the remaining partner\'s CRM Partner ID names no Account): the Marketo lead is handed over, the refusal is named with its reason and in handed_over', async () => {
    shareAnn({ partnerAccountId: 101, crmPartnerId: '0015e00000ZZZZZAA9' }, { status: 'Contacted', updated: '2026-04-01T10:00:00Z' });
    shareAnn(CONTOSO);
    annInMarketoAndSalesforce('102', CONTOSO.crmPartnerId);

    const output = await recall(connect());
    expect(annInMarketo()).toMatchObject({ impartnerPartnerAccount: '101', crmPartnerID: '0015e00000ZZZZZAA9', marketingSuspended: true });
    expect(annInSalesforce()).toMatchObject({ PartnerAccountId: CONTOSO.crmPartnerId });
    expect(output.salesforce_refused).toEqual([`${ANN} (Partner Account: invalid cross reference id)`]);
    expect(output.handed_over).toEqual([{ email: ANN, recalled_from: '102', handed_to: '101', salesforce: 'refused' }]);
  });

  it('a retry after the Marketo lead was handed over but not the Salesforce Lead: the Salesforce Lead is handed over too, nothing is released', async () => {
    // Northwind works its copy; the attempt before wrote Marketo (Northwind's now), then Salesforce failed.
    shareAnn(NORTHWIND, { status: 'Contacted', updated: '2026-04-01T10:00:00Z' });
    shareAnn(CONTOSO);
    annInMarketoAndSalesforce('101', CONTOSO.crmPartnerId);

    const output = await recall(connect());
    expect(output.recalled).toBe(1);
    expect(annInPrm()).toEqual([[101, null], [102, '2026-04-20T09:00:00.000Z']]);
    expect(annInMarketo()).toMatchObject({ impartnerPartnerAccount: '101', marketingSuspended: true, marketingSuspendedBeforeShare: false });
    expect(annInSalesforce()).toMatchObject({ PartnerAccountId: NORTHWIND.crmPartnerId });
    expect(annInSalesforce()!.Partner_Recalled_Date__c ?? null).toBeNull();
    // The retry finds the Marketo lead already Northwind's: told as left with that partner, not handed over twice.
    expect(output.handed_over).toEqual([]);
    expect(output.left_with_other_partner).toEqual([{ email: 'ann.lee@client.example', recalled_from: '102', now_with: "PRM account 101 (the Marketo lead's Impartner Partner Account)" }]);
  });
});

describe('the look-back of the reminder and the recall (D24, D25)', () => {
  /** Runs a leads action as lead-recall's step does: its output and the journal notes it wrote. */
  async function runAction(name: 'list_inactive_leads' | 'recall_inactive_leads', input: Record<string, unknown>) {
    const definition = leadsConnector.actions[name]!;
    const { ctx, notes } = testContext(connect(), clock);
    const output = (await definition.run(definition.input.parse(input), ctx)) as Record<string, unknown>;
    return { output, notes };
  }

  it('a lead shared before the look-back is neither listed for the reminder nor recalled, and the journal names the bound the PRM read carried', async () => {
    shareLeads(2, (i) => (i === 0 ? { partnerSyncedDate: '2026-01-10T10:00:00Z', created: '2026-01-10T10:00:00Z', updated: '2026-01-10T10:00:00Z' } : {}));
    // lead-recall's `shared_after` with look_back_days 90 on 2026-04-20 07:30.
    const bound = { from: '2026-01-20T07:30:00.000Z', exempt_source: 'Partner Sponsored Event' };

    const reminder = await runAction('list_inactive_leads', { ...bound, partner_id: 101, to: '2026-03-28T07:30:00.000Z', not_reminded: true });
    expect((reminder.output.leads as Array<{ email: string }>).map((lead) => lead.email)).toEqual(['lead1@client.example']);
    expect(reminder.notes).toContain('read the unrecalled leads of partner 101 shared after 2026-01-20T07:30:00.000Z (look-back) and at or before 2026-03-28T07:30:00.000Z');

    for (const lead of systems.prm.leads()) systems.prm.updateLead(Number(lead.id), { recallReminderDate: '2026-04-01T07:30:00Z' });
    const recall = await runAction('recall_inactive_leads', { ...bound, to: '2026-03-21T07:30:00.000Z', reminded_by: '2026-04-13T07:30:00.000Z' });
    expect(recall.output.recalled).toBe(1);
    expect(recall.notes).toContain('read the unrecalled leads shared after 2026-01-20T07:30:00.000Z (look-back) and at or before 2026-03-21T07:30:00.000Z');
    expect(systems.prm.leads().map((lead) => [lead.email, lead.recalledDate])).toEqual([
      ['lead0@client.example', null],
      ['lead1@client.example', '2026-04-20T09:00:00.000Z'],
    ]);
    expect(systems.marketo.findLeads('email', 'lead0@client.example')[0]).toMatchObject({ impartnerPartnerAccount: '101', marketingSuspended: true });
  });
});

describe('leads.recall_inactive_leads: the notice counts from when the reminder went out (D24, D25, review7 H1)', () => {
  it('a lead whose reminder went out less than notice_days ago is not recalled yet: the others are, and the step is tried again when its notice ends, spending no attempt', async () => {
    // Both reminded on 2026-04-13: lead0 at 07:30 (on time), lead1 at 07:52 (its send retried for minutes).
    shareLeads(2, (i) => ({ recallReminderDate: i === 0 ? '2026-04-13T07:30:00.000Z' : '2026-04-13T07:52:00.000Z' }));
    clock.set('2026-04-20T07:30:00Z');
    const definition = leadsConnector.actions.recall_inactive_leads!;
    const input = definition.input.parse({ ...WINDOW, reminded_by: '2026-04-13T08:30:00.000Z', notice_days: 7 });
    const first = testContext(connect(), clock);
    const error = await definition.run(input, first.ctx).then(() => expect.unreachable('lead1 was recalled 22 minutes before its notice ended'), (e: unknown) => e);
    expect(error).toMatchObject({ name: 'NoticeNotOverError', retryable: true, spendsNoAttempt: true, retryAfterMs: 22 * 60_000 });
    expect((error as Error).message).toBe("1 lead's recall notice ends at 2026-04-20T07:52:00.000Z (1320 s from now, the announced days after the reminder went out): it is recalled then");
    expect(systems.prm.leads().map((lead) => [lead.email, lead.recalledDate])).toEqual([
      ['lead0@client.example', '2026-04-20T07:30:00.000Z'],
      ['lead1@client.example', null],
    ]);
    expect(systems.marketo.findLeads('email', 'lead1@client.example')[0]).toMatchObject({ impartnerPartnerAccount: '101', marketingSuspended: true });

    clock.set('2026-04-20T07:52:00Z');
    const again = testContext(connect(), clock);
    const output = definition.output.parse(await definition.run(input, again.ctx)) as { recalled: number };
    expect(output.recalled).toBe(1);
    expect(systems.prm.leads().map((lead) => [lead.email, lead.recalledDate])).toEqual([
      ['lead0@client.example', '2026-04-20T07:30:00.000Z'],
      ['lead1@client.example', '2026-04-20T07:52:00.000Z'],
    ]);
    expect(systems.marketo.findLeads('email', 'lead1@client.example')[0]).toMatchObject({ impartnerPartnerAccount: null, marketingSuspended: false });
  });
});

describe('lead-recall and the connectors its actions call', () => {
  it('D24, D25: a start without Salesforce configured refuses lead-recall by name (the recall action declares the PRM, Marketo and Salesforce)', () => {
    const recipe = Recipe.parse(JSON.parse(readFileSync(new URL('../../recipes/leads/lead-recall.recipe.json', import.meta.url), 'utf8')));
    const problems = checkConfiguredConnectors(recipe, 'lead-recall.recipe.json', new ConnectorCatalog(CONNECTORS), { notConfigured: { salesforce: ['SALESFORCE_URL'] }, webhookSecrets: {} }).map(formatProblem);
    expect(problems).toEqual([expect.stringMatching(/^lead-recall\.recipe\.json: steps\[\d+\]\.action uses salesforce \(leads\.recall_inactive_leads calls it\), which is not configured: set SALESFORCE_URL$/)]);
  });
});
