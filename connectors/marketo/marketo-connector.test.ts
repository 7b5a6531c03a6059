import { beforeEach, describe, expect, it } from 'vitest';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { useTestStore } from '../../test/support/test-store.ts';
import { DEMO_INTERESTING_MOMENT_CAMPAIGN, DEMO_PARTNER_LEADS_LIST } from '../../mocks/marketo/marketo-seed.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { CONNECTORS } from '../index.ts';
import { capturingLogger, testContext, testDeps } from '../kit/action-test-context.ts';
import { NotFoundError, ValidationError } from '../kit/http-errors.ts';
import { marketoConnector } from './index.ts';
import type { MarketoConfig } from './marketo-config.ts';
import type { MarketoConnection } from './marketo-connection.ts';
import { MarketoQuotaError } from './marketo-errors.ts';
import { MARKETO_ACTIVITY_TYPES, PARTNER_LEAD_FIELDS as F } from './marketo-lead-fields.ts';

const clock = new VirtualClock('2026-04-20T09:00:00Z');
// The clock first: the demo data is seeded at that time.
beforeEach(() => clock.set('2026-04-20T09:00:00Z'));
const systems = useSimulatedSystems(clock);
// Marketo's rate budget lives in the store (shared across replicas).
const store = useTestStore();

/** The Marketo connection as `serve --mock` builds it, with these environment variables on top. */
function connectWith(env: Record<string, string> = {}, log = capturingLogger()): MarketoConnection {
  const config = loadConfig(env, { mock: true, connectors: CONNECTORS }).connectors.marketo as MarketoConfig;
  return marketoConnector.connect(config, testDeps(clock, log, store())) as MarketoConnection;
}

/** Runs one Marketo action as a step would, on a shared connection; answers its output and journal notes. */
async function run<T = Record<string, unknown>>(connection: MarketoConnection, action: string, input: unknown): Promise<{ output: T; notes: string[] }> {
  const definition = marketoConnector.actions[action]!;
  const { ctx, notes } = testContext(connection, clock);
  const output = definition.output.parse(await definition.run(definition.input.parse(input), ctx)) as T;
  return { output, notes };
}

/** The error an action fails with. */
async function failure(connection: MarketoConnection, action: string, input: unknown): Promise<Error & { retryable?: boolean; code?: string }> {
  try {
    await run(connection, action, input);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`${action} did not fail`);
}

const lead = (i: number, extra: Record<string, unknown> = {}) => ({ email: `lead${i}@booth.example`, firstName: `Lead ${i}`, lastName: 'Scan', ...extra });
type Upserted = { results: Array<{ index: number; id: number | null; status: string; reasons: Array<{ code: string; message: string }> }>; created: number; updated: number; skipped: number };

describe('marketo.upsert_leads', () => {
  it('creates 650 leads in three calls of at most 300, then updates them, with a result per lead', async () => {
    const connection = connectWith();
    const leads = Array.from({ length: 650 }, (_, i) => lead(i, { [F.crmPartnerId.name]: '0015e00000NWCLD001' }));
    const first = await run<Upserted>(connection, 'upsert_leads', { leads });
    expect(first.output).toMatchObject({ created: 650, updated: 0, skipped: 0 });
    expect(first.output.results[649]).toMatchObject({ index: 649, status: 'created' });
    expect(first.notes).toContain('upserted 650 leads in 3 Marketo calls: 650 created, 0 updated, 0 skipped');
    expect(systems.marketo.findLeads('email', 'lead649@booth.example')[0]).toMatchObject({ firstName: 'Lead 649', crmPartnerID: '0015e00000NWCLD001' });

    const again = await run<Upserted>(connection, 'upsert_leads', { leads: leads.slice(0, 2).map((l) => ({ ...l, [F.marketingSuspended.name]: true })) });
    expect(again.output).toMatchObject({ created: 0, updated: 2 });
    expect(again.output.results[0]!.id).toBe(first.output.results[0]!.id);
    expect(systems.marketo.lead(first.output.results[0]!.id!)).toMatchObject({ marketingSuspended: true });
  });

  it('answers skipped with Marketo\'s reason: updateOnly of an unknown lead (1004), createOnly of an existing one (1005)', async () => {
    const connection = connectWith();
    const update = await run<Upserted>(connection, 'upsert_leads', { action: 'updateOnly', leads: [lead(1), { email: 'jane.doe@acme.example', title: 'CTO' }] });
    expect(update.output.results).toEqual([
      { index: 0, id: null, status: 'skipped', reasons: [{ code: '1004', message: 'Lead not found' }] },
      { index: 1, id: expect.any(Number), status: 'updated', reasons: [] },
    ]);
    const create = await run<Upserted>(connection, 'upsert_leads', { action: 'createOnly', leads: [{ email: 'jane.doe@acme.example' }] });
    expect(create.output.results[0]).toMatchObject({ status: 'skipped', reasons: [{ code: '1005', message: 'Lead already exists' }] });
  });

  it('D20, D27: answers an update by email of two leads sharing it as skipped (1007) in a 200; on_skipped fail fails the step, not retried, naming the lead and reason; by id, each duplicate is written', async () => {
    const connection = connectWith();
    const twins = [systems.marketo.addLead({ email: 'twin@client.example' }).id, systems.marketo.addLead({ email: 'twin@client.example' }).id];
    const byEmail = { action: 'updateOnly', leads: [{ email: 'twin@client.example', [F.marketingSuspended.name]: true }] };
    const answered = await run<Upserted>(connection, 'upsert_leads', byEmail);
    expect(answered.output.results).toEqual([{ index: 0, id: null, status: 'skipped', reasons: [{ code: '1007', message: 'Multiple lead match lookup criteria' }] }]);

    const error = await failure(connection, 'upsert_leads', { ...byEmail, on_skipped: 'fail' });
    expect(error.name).toBe('MarketoLeadsSkipped');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('marketo: the updateOnly by email skipped 1 of 1 lead (email twin@client.example: 1007 Multiple lead match lookup criteria)');
    expect(twins.map((id) => systems.marketo.lead(id)?.marketingSuspended ?? null)).toEqual([null, null]);

    const byId = await run<Upserted>(connection, 'upsert_leads', { action: 'updateOnly', lookup_field: 'id', on_skipped: 'fail', leads: twins.map((id) => ({ id, [F.marketingSuspended.name]: true })) });
    expect(byId.output).toMatchObject({ updated: 2, skipped: 0 });
    expect(twins.map((id) => systems.marketo.lead(id)?.marketingSuspended)).toEqual([true, true]);
  });

  it('fails with a clear, non-retryable error naming the code when a field is unknown (1006)', async () => {
    const error = await failure(connectWith(), 'upsert_leads', { leads: [lead(1, { partnerIdd: 'x' })] });
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe("marketo POST /rest/v1/leads.json failed: Marketo error 1006 (unknown field): Field 'partnerIdd' not found");
  });

  it('splits a batch whose body would pass the 1 MB limit (413), so 300 large leads still go through', async () => {
    const notes = 'x'.repeat(5_000);
    const leads = Array.from({ length: 300 }, (_, i) => lead(i, { title: notes }));
    const { output, notes: journal } = await run<Upserted>(connectWith(), 'upsert_leads', { leads });
    expect(output.created).toBe(300);
    expect(journal.join('\n')).toMatch(/in 2 Marketo calls/);
  });
});

describe('marketo.get_leads', () => {
  it('reads 650 leads by email, 300 values a call and pages by nextPageToken', async () => {
    const connection = connectWith();
    await run(connection, 'upsert_leads', { leads: Array.from({ length: 650 }, (_, i) => lead(i)) });
    const emails = Array.from({ length: 650 }, (_, i) => `lead${i}@booth.example`);
    const { output } = await run<{ leads: Array<Record<string, unknown>>; truncated: boolean }>(connection, 'get_leads', { filter_type: 'email', filter_values: emails, fields: ['email', 'firstName'] });
    expect(output.truncated).toBe(false);
    expect(output.leads).toHaveLength(650);
    expect(output.leads[0]).toEqual({ id: expect.any(Number), email: 'lead0@booth.example', firstName: 'Lead 0' });
    const cut = await run<{ leads: unknown[]; truncated: boolean }>(connection, 'get_leads', { filter_type: 'email', filter_values: emails, limit: 10 });
    expect(cut.output).toMatchObject({ truncated: true });
    expect(cut.output.leads).toHaveLength(10);
  });

  it('pages through one value matching more than 300 leads (nextPageToken)', async () => {
    const connection = connectWith();
    await run(connection, 'upsert_leads', { leads: Array.from({ length: 620 }, (_, i) => lead(i, { company: 'Booth Co' })) });
    const { output } = await run<{ leads: unknown[] }>(connection, 'get_leads', { filter_type: 'company', filter_values: ['Booth Co'], limit: 5000 });
    expect(output.leads).toHaveLength(620);
  });

  it('keeps each call under the 8 KB URL limit (414) when the values are long', async () => {
    const connection = connectWith();
    const long = (i: number) => `${'a'.repeat(60)}.${i}@booth.example`;
    await run(connection, 'upsert_leads', { leads: Array.from({ length: 200 }, (_, i) => ({ email: long(i) })) });
    const { output } = await run<{ leads: unknown[] }>(connection, 'get_leads', { filter_type: 'email', filter_values: Array.from({ length: 200 }, (_, i) => long(i)) });
    expect(output.leads).toHaveLength(200);
  });
});

describe('marketo.add_to_list and marketo.remove_from_list', () => {
  it('puts 400 leads on a static list in two calls and takes them off, unknown leads skipped with 1004', async () => {
    const connection = connectWith();
    const created = await run<Upserted>(connection, 'upsert_leads', { leads: Array.from({ length: 400 }, (_, i) => lead(i)) });
    const ids = created.output.results.map((r) => r.id!);
    const added = await run<{ added: number; skipped: number; results: Array<{ id: number; status: string }> }>(connection, 'add_to_list', { list_id: DEMO_PARTNER_LEADS_LIST.id, lead_ids: [...ids, 999_999] });
    expect(added.output).toMatchObject({ added: 400, skipped: 1 });
    expect(added.output.results.at(-1)).toMatchObject({ id: 999_999, status: 'skipped', reasons: [{ code: '1004' }] });
    expect(systems.marketo.lists().find((l) => l.id === DEMO_PARTNER_LEADS_LIST.id)!.members).toHaveLength(400);
    const removed = await run<{ removed: number }>(connection, 'remove_from_list', { list_id: DEMO_PARTNER_LEADS_LIST.id, lead_ids: ids.slice(0, 10) });
    expect(removed.output.removed).toBe(10);
    expect(systems.marketo.lists().find((l) => l.id === DEMO_PARTNER_LEADS_LIST.id)!.members).toHaveLength(390);
  });

  it('a list that does not exist fails the step, naming it (1013)', async () => {
    const error = await failure(connectWith(), 'add_to_list', { list_id: 4242, lead_ids: [1001] });
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toMatch(/Marketo error 1013 .*Static list '4242' not found/);
  });
});

describe('marketo.trigger_campaign', () => {
  it('D21: the interesting moment, with the token values, is recorded on the lead', async () => {
    const connection = connectWith();
    const jane = systems.marketo.findLeads('email', 'jane.doe@acme.example')[0]!;
    const moment = 'CHANNEL LEAD with Northwind Cloud visited Booth at Cloud Summit Munich on 2026-04-20';
    await run(connection, 'trigger_campaign', { campaign_id: DEMO_INTERESTING_MOMENT_CAMPAIGN.id, lead_ids: [jane.id], tokens: [{ name: '{{my.Interesting Moment}}', value: moment }] });
    const moments = systems.marketo.activities().filter((a) => a.leadId === jane.id && a.activityTypeId === MARKETO_ACTIVITY_TYPES.interestingMoment.id);
    expect(moments.map((a) => a.primaryAttributeValue)).toEqual([moment]);
  });

  it('refuses more than 100 leads in a step before calling Marketo, and a token not written {{my.Name}}', () => {
    const input = marketoConnector.actions.trigger_campaign!.input;
    expect(input.safeParse({ campaign_id: 1, lead_ids: Array.from({ length: 101 }, (_, i) => i + 1) }).error?.issues[0]?.message).toMatch(/at most 100 leads/);
    expect(input.safeParse({ campaign_id: 1, lead_ids: [1], tokens: [{ name: 'my.Moment', value: 'x' }] }).error?.issues[0]?.message).toMatch(/\{\{my\.Name\}\}/);
  });
});

describe('marketo.list_activities (poll)', () => {
  it('reads activities from a paging token since the watermark, page after page until moreResult is false', async () => {
    const connection = connectWith();
    const jane = systems.marketo.findLeads('email', 'jane.doe@acme.example')[0]!;
    for (let i = 0; i < 450; i++) {
      systems.marketo.addActivity({ leadId: jane.id, activityTypeId: MARKETO_ACTIVITY_TYPES.clickEmail.id, primaryAttributeValue: `Email ${i}`, activityDate: new Date(Date.parse('2026-04-21T00:00:00Z') + i * 1000).toISOString().replace('.000Z', 'Z') });
    }
    systems.marketo.addActivity({ leadId: jane.id, activityTypeId: MARKETO_ACTIVITY_TYPES.openEmail.id, activityDate: '2026-04-21T00:00:00Z' });
    const since = '2026-04-21T00:00:00Z';
    type Page = { items: Array<{ id: string; activity_date: string; primary_attribute_value: string }>; next_page: string | null };
    const first = await run<Page>(connection, 'list_activities', { since, activity_type_ids: [MARKETO_ACTIVITY_TYPES.clickEmail.id] });
    expect(first.output.items).toHaveLength(300);
    expect(first.output.next_page).not.toBeNull();
    const second = await run<Page>(connection, 'list_activities', { since, page: first.output.next_page, activity_type_ids: [MARKETO_ACTIVITY_TYPES.clickEmail.id] });
    expect(second.output.items).toHaveLength(150);
    expect(second.output.next_page).toBeNull();
    expect(second.output.items.at(-1)).toMatchObject({ activity_date: '2026-04-21T00:07:29Z', primary_attribute_value: 'Email 449' });
    const later = await run<Page>(connection, 'list_activities', { since: '2026-04-21T00:07:00Z', activity_type_ids: [MARKETO_ACTIVITY_TYPES.clickEmail.id] });
    expect(later.output.items).toHaveLength(30);
  });
});

describe('marketo.list_activities: where the first poll starts', () => {
  it("starts at start_at, else at the whole second of the recipe's first try (go-live, kept by the poll runtime however many tries fail), so older activities are history and none of that second is lost", async () => {
    const connection = connectWith();
    const jane = systems.marketo.findLeads('email', 'jane.doe@acme.example')[0]!;
    const click = MARKETO_ACTIVITY_TYPES.clickEmail.id;
    systems.marketo.addActivity({ leadId: jane.id, activityTypeId: click, primaryAttributeValue: 'Last year', activityDate: '2025-06-01T10:00:00Z' });
    systems.marketo.addActivity({ leadId: jane.id, activityTypeId: click, primaryAttributeValue: 'Same second', activityDate: '2026-04-20T09:00:00Z' });
    const definition = marketoConnector.actions.list_activities!;
    const start = definition.pollStart!(definition.input.parse({ activity_type_ids: [click], since: null }), clock.now() + 750);
    expect(start).toBe('2026-04-20T09:00:00.000Z');
    type Page = { items: Array<{ primary_attribute_value: string }>; next_page: string | null };
    const first = await run<Page>(connection, 'list_activities', { since: start, activity_type_ids: [click] });
    expect(first.output.items.map((i) => i.primary_attribute_value)).toEqual(['Same second']);
    // A store lost without a backup: start_at set to the last time the old store polled.
    expect(definition.pollStart!(definition.input.parse({ activity_type_ids: [click], start_at: '2025-01-01T00:00:00Z' }), clock.now())).toBe('2025-01-01T00:00:00Z');
    expect(() => definition.input.parse({ activity_type_ids: [click], start_at: 'go-live' })).toThrow();
  });
});

describe('Marketo token', () => {
  it('is asked for once and used by every call until it nears its expiry; after 3,600 s a new one is used', async () => {
    const log = capturingLogger();
    const connection = connectWith({}, log);
    await run(connection, 'get_leads', { filter_type: 'email', filter_values: ['jane.doe@acme.example'] });
    await run(connection, 'get_leads', { filter_type: 'email', filter_values: ['jane.doe@acme.example'] });
    const tokenRequests = () => log.lines.filter((l) => l.message?.startsWith('marketo GET') && JSON.stringify(l.fields).includes('/identity/oauth/token')).length;
    expect(tokenRequests()).toBe(1);
    // 3,590 s later the token has 10 s left: it is waited out and replaced, never sent to expire on the way.
    clock.advance(3_590_000);
    const { output } = await run<{ leads: unknown[] }>(connection, 'get_leads', { filter_type: 'email', filter_values: ['jane.doe@acme.example'] });
    expect(output.leads).toHaveLength(1);
    expect(tokenRequests()).toBe(3);
  });

  it('a 602 (token expired) in a 200 answer gets a new token and repeats the call once', async () => {
    const connection = connectWith();
    await run(connection, 'get_leads', { filter_type: 'email', filter_values: ['jane.doe@acme.example'] });
    systems.faults.inject({ system: 'marketo', kind: 'expired_token' });
    const { output, notes } = await run<Upserted>(connection, 'upsert_leads', { leads: [lead(1)] });
    expect(output.created).toBe(1);
    expect(notes.join('\n')).toMatch(/marketo session expired; got a new token and repeated the call/);
  });

  it('never logs the client secret, and bad credentials name the variables', async () => {
    const log = capturingLogger();
    await run(connectWith({}, log), 'get_leads', { filter_type: 'email', filter_values: ['jane.doe@acme.example'] });
    expect(log.text()).not.toContain('mock-marketo-secret');
    const error = await failure(connectWith({ MARKETO_CLIENT_SECRET: 'wrong' }, log), 'get_leads', { filter_type: 'email', filter_values: ['x@y.example'] });
    expect(error.message).toMatch(/refused the client credentials \(Bad client credentials\); check MARKETO_CLIENT_ID and MARKETO_CLIENT_SECRET/);
    expect(JSON.stringify(error)).not.toContain('wrong');
    expect(log.text()).not.toContain('wrong');
  });
});

describe('Marketo limits answered by the instance', () => {
  it('606 and 615 in a 200 answer are backed off and retried, also for a campaign trigger (not idempotent)', async () => {
    const connection = connectWith();
    const jane = systems.marketo.findLeads('email', 'jane.doe@acme.example')[0]!;
    systems.faults.inject({ system: 'marketo', kind: 'rate_limit', path: '/trigger.json' });
    const { notes } = await run(connection, 'trigger_campaign', { campaign_id: DEMO_INTERESTING_MOMENT_CAMPAIGN.id, lead_ids: [jane.id], tokens: [{ name: '{{my.Interesting Moment}}', value: 'ALLIANCE LEAD with Tailspin' }] });
    expect(notes.join('\n')).toMatch(/Marketo error 606 .*retrying in/);
    expect(systems.marketo.activities().filter((a) => a.primaryAttributeValue === 'ALLIANCE LEAD with Tailspin')).toHaveLength(1);
  });

  it('607: the step fails saying when calls resume (midnight US Central), no further call reaches Marketo, and calls resume after the reset', async () => {
    const connection = connectWith();
    systems.marketo.limits.dailyQuota = 3;
    const read = { filter_type: 'email', filter_values: ['jane.doe@acme.example'] };
    for (let i = 0; i < 3; i++) await run(connection, 'get_leads', read);
    const error = (await failure(connection, 'get_leads', read)) as MarketoQuotaError;
    expect(error).toBeInstanceOf(MarketoQuotaError);
    // 2026-04-20 09:00 UTC is 04:00 in Chicago (CDT): the reset is at 05:00 UTC on the 21st.
    expect(error.message).toBe(
      'marketo: the daily API quota is spent (error 607); no Marketo call is made until 2026-04-21T05:00:00.000Z (midnight America/Chicago, when Marketo resets the quota: MARKETO_QUOTA_RESET_ZONE); the step is tried again then',
    );
    expect(error).toMatchObject({ retryable: true, spendsNoAttempt: true, retryAfterMs: Date.parse('2026-04-21T05:00:00Z') - clock.now() });
    // Another run of the process: refused at once, without a call.
    const other = await failure(connection, 'upsert_leads', { leads: [lead(1)] });
    expect(other).toBeInstanceOf(MarketoQuotaError);
    expect(systems.marketo.usage().refused['607']).toBe(1);
    clock.set('2026-04-21T05:00:01Z');
    const { output } = await run<{ leads: unknown[] }>(connection, 'get_leads', read);
    expect(output.leads).toHaveLength(1);
  });

  it('the quota reset zone is a setting', async () => {
    const connection = connectWith({ MARKETO_QUOTA_RESET_ZONE: 'UTC' });
    systems.marketo.limits.dailyQuota = 0;
    const error = await failure(connection, 'get_leads', { filter_type: 'email', filter_values: ['x@y.example'] });
    expect(error.message).toMatch(/until 2026-04-21T00:00:00.000Z \(midnight UTC/);
  });
});

describe('Marketo rate budget (one per connection, shared by every run)', () => {
  it('200 upserts from 20 concurrent runs get no 606 and no 615 from an instance that enforces both; waits are journaled', async () => {
    // The instance's limits and the budget at a tenth of Marketo's (10 calls per 20 s, 3 in flight):
    // the budget is still crossed 20 times over and 20 runs still contend for fewer slots than they
    // are, as 2,000 calls against 100 per 20 s did, in a tenth of the store transactions (two per call).
    // The defaults (100 per 20 s, 10 at once) are Marketo's: the config test below checks them.
    Object.assign(systems.marketo.limits, { callsPerWindow: 10, windowMs: 20_000, maxConcurrent: 3 });
    const connection = connectWith({ MARKETO_MAX_CALLS_PER_WINDOW: '10', MARKETO_WINDOW_SECONDS: '20', MARKETO_MAX_CONCURRENT: '3' });
    const started = clock.now();
    const journals: string[][] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, caller) => {
        for (let i = 0; i < 10; i++) {
          const { output, notes } = await run<Upserted>(connection, 'upsert_leads', { leads: [lead(caller * 10 + i)] });
          expect(output.created).toBe(1);
          journals.push(notes);
        }
      }),
    );
    const usage = systems.marketo.usage();
    expect(usage.refused).toEqual({ '606': 0, '607': 0, '615': 0 });
    expect(usage.peakInFlight).toBeLessThanOrEqual(3);
    expect(usage.callsToday).toBe(200);
    expect(systems.marketo.leads()).toHaveLength(202);
    expect(journals.flat().some((line) => /^waited \d+\.\d s for marketo rate budget$/.test(line))).toBe(true);
    // 200 calls at 10 per 20 s: the budget waited out 19 full windows on the clock.
    expect(clock.now() - started).toBeGreaterThanOrEqual(19 * 20_000);
  });

  it('the same load with the budget set above the limits is refused by the instance (the mock enforces them)', async () => {
    const connection = connectWith({ MARKETO_MAX_CALLS_PER_WINDOW: '1000', MARKETO_MAX_CONCURRENT: '20' });
    await Promise.allSettled(
      Array.from({ length: 20 }, async (_, caller) => {
        for (let i = 0; i < 10; i++) await run(connection, 'upsert_leads', { leads: [lead(caller * 10 + i)] });
      }),
    );
    const usage = systems.marketo.usage();
    expect(usage.refused['615'] + usage.refused['606']).toBeGreaterThan(0);
  });
});

describe('Marketo configuration', () => {
  const production = {
    PUBLIC_BASE_URL: 'https://partnerflow.acme.test',
    PARTNERFLOW_API_TOKEN: 'a-token-of-at-least-16-chars',
  };
  const problems = (env: Record<string, string>, mock = false): string[] => {
    try {
      loadConfig({ ...production, ...env }, { mock, connectors: [marketoConnector] });
      return [];
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).problems;
    }
  };

  it('needs the base URL and the client credentials outside mock mode once one MARKETO_ variable is set, and names each missing one', () => {
    // None set: Marketo is not configured, which only a recipe that uses it refuses (server/connectors-not-configured.test.ts).
    expect(problems({})).toEqual([]);
    expect(problems({ MARKETO_BASE_URL: 'https://987-XYZ-321.mktorest.com' })).toEqual([
      'MARKETO_CLIENT_ID: required by the marketo connector',
      'MARKETO_CLIENT_SECRET: required by the marketo connector',
    ]);
    expect(problems({ MARKETO_MAX_CONCURRENT: '4' })).toEqual([
      'MARKETO_BASE_URL: required by the marketo connector',
      'MARKETO_CLIENT_ID: required by the marketo connector',
      'MARKETO_CLIENT_SECRET: required by the marketo connector',
    ]);
  });

  it('defaults to 100 calls per 20 s, 10 at once, the quota reset at midnight America/Chicago; refuses bad values by name', () => {
    // Not 123-ABC-456: Marketo's documentation's sample instance is refused outside mock mode (server/env-example.test.ts).
    const env = { MARKETO_BASE_URL: 'https://987-XYZ-321.mktorest.com', MARKETO_CLIENT_ID: 'id', MARKETO_CLIENT_SECRET: 'secret' };
    expect(loadConfig({ ...production, ...env }, { mock: false, connectors: [marketoConnector] }).connectors.marketo).toMatchObject({
      maxCallsPerWindow: 100,
      windowSeconds: 20,
      maxConcurrent: 10,
      quotaResetZone: 'America/Chicago',
    });
    expect(problems({ ...env, MARKETO_MAX_CONCURRENT: '0', MARKETO_QUOTA_RESET_ZONE: 'Central', MARKETO_BASE_URL: 'https://987-XYZ-321.mktorest.com/rest' })).toEqual([
      'MARKETO_BASE_URL: the host only, e.g. https://123-ABC-456.mktorest.com (without /rest or /identity)',
      'MARKETO_MAX_CONCURRENT: must be at least 1 (got "0")',
      'MARKETO_QUOTA_RESET_ZONE: an IANA time zone, e.g. America/Chicago',
    ]);
  });
});
