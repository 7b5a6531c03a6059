import { describe, expect, it } from 'vitest';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { capturingLogger, testContext, testDeps } from '../kit/action-test-context.ts';
import { ServerError } from '../kit/http-errors.ts';
import { salesforceConnector } from './index.ts';
import { SALESFORCE_MOCK_CONFIG, SalesforceConfig } from './salesforce-config.ts';
import type { SalesforceConnection } from './salesforce-connection.ts';

const clock = new VirtualClock('2026-04-20T09:00:00Z');
const log = capturingLogger();
const systems = useSimulatedSystems(clock);

const connect = (): SalesforceConnection => salesforceConnector.connect(SalesforceConfig.parse(SALESFORCE_MOCK_CONFIG), testDeps(clock, log)) as SalesforceConnection;

async function list(input: Record<string, unknown>, connection: SalesforceConnection = connect()) {
  const definition = salesforceConnector.actions.list_changed_fund_records!;
  const { ctx, notes } = testContext(connection, clock, { log });
  const output = definition.output.parse(await definition.run(definition.input.parse(input), ctx)) as { items: Array<Record<string, unknown>>; next_page: string | null };
  return { ...output, notes };
}

const ACCOUNT = 'a0B5g00000AbCdEfGH';
const OPS = '0055g00000PFLWOPS1';
const API = '0055g00000PFLWAPI1';
const request = (mdf: string, status: string, over: Record<string, unknown> = {}) => ({ Title: `${mdf}: Summit`, RequestedAmount: 5000, ChannelPartnerId: ACCOUNT, Status: status, MDF_Number__c: mdf, ...over });

describe('salesforce.list_changed_fund_records (D1: changes made in Salesforce, read back by a poll)', () => {
  it('lists Funds Requests changed at or after `since` (the same second included), oldest first, with the MDF number, Status and Amount', async () => {
    systems.salesforce.insert('PartnerFundRequest', request('MDF-7101', 'Approved', { Amount: 5000, LastModifiedDate: '2026-04-20T08:59:59.000+0000' }));
    systems.salesforce.insert('PartnerFundRequest', request('MDF-7103', 'Rejected', { LastModifiedDate: '2026-04-20T09:00:30.000+0000' }));
    systems.salesforce.insert('PartnerFundRequest', request('MDF-7102', 'Draft', { LastModifiedDate: '2026-04-20T09:00:00.000+0000' }));
    const { items, next_page } = await list({ object: 'PartnerFundRequest', since: '2026-04-20T09:00:00.000+0000' });
    expect(next_page).toBeNull();
    expect(items).toEqual([
      { object: 'PartnerFundRequest', id: expect.any(String), key: 'MDF-7102', status: 'Draft', amount: null, last_modified: '2026-04-20T09:00:00.000+0000', last_modified_by: OPS },
      { object: 'PartnerFundRequest', id: expect.any(String), key: 'MDF-7103', status: 'Rejected', amount: null, last_modified: '2026-04-20T09:00:30.000+0000', last_modified_by: OPS },
    ]);
    // The first poll (since null) reads every record.
    expect((await list({ object: 'PartnerFundRequest', since: null })).items.map((i) => i.key)).toEqual(['MDF-7101', 'MDF-7102', 'MDF-7103']);
  });

  it("leaves out the integration user's own writes (no echo loop), and lists Funds Claims by their claim key", async () => {
    systems.salesforce.insert('PartnerFundRequest', request('MDF-7111', 'Approved', { CreatedById: API }));
    const parent = systems.salesforce.insert('PartnerFundRequest', request('MDF-7112', 'Approved', { CreatedById: API }));
    systems.salesforce.insert('PartnerFundClaim', { Title: 'Summit claim', Amount: 2500, RequestId: parent.Id, Status: 'Paid', MDF_Claim_Key__c: 'MDF-7112-C1' });
    expect((await list({ object: 'PartnerFundRequest', since: null })).items).toEqual([]);
    expect((await list({ object: 'PartnerFundClaim', since: null })).items).toEqual([
      expect.objectContaining({ object: 'PartnerFundClaim', key: 'MDF-7112-C1', status: 'Paid', amount: 2500, last_modified_by: OPS }),
    ]);
  });

  it('reads from start_at at the first poll (review8 F3), from the watermark after it; the poll runtime starts a recipe without start_at at its first try', async () => {
    systems.salesforce.insert('PartnerFundRequest', request('MDF-7131', 'Rejected', { LastModifiedDate: '2025-06-01T10:00:00.000+0000' }));
    systems.salesforce.insert('PartnerFundRequest', request('MDF-7132', 'Approved', { Amount: 5000, LastModifiedDate: '2026-04-20T08:30:00.000+0000' }));
    // A store lost without a backup: start_at set to the last time the old store polled reads the changes since.
    expect((await list({ object: 'PartnerFundRequest', since: null, start_at: '2026-04-20T08:00:00Z' })).items.map((i) => i.key)).toEqual(['MDF-7132']);
    // Once there is a watermark, start_at no longer counts.
    expect((await list({ object: 'PartnerFundRequest', since: '2026-04-20T08:45:00.000+0000', start_at: '2026-04-20T08:00:00Z' })).items).toEqual([]);
    const definition = salesforceConnector.actions.list_changed_fund_records!;
    // Go-live (no start_at): the first poll starts at the time of its first try, so the June 2025 edit is history.
    const start = definition.pollStart!(definition.input.parse({ object: 'PartnerFundRequest', since: null }), clock.now());
    expect(start).toBe('2026-04-20T09:00:00.000Z');
    expect((await list({ object: 'PartnerFundRequest', since: start })).items).toEqual([]);
    expect(definition.pollStart!(definition.input.parse({ object: 'PartnerFundRequest', since: null, start_at: '2026-04-20T08:00:00Z' }), clock.now())).toBe('2026-04-20T08:00:00Z');
    // Salesforce stamps to the second: a first try at 09:00:00.750 starts at 09:00:00, so an edit stamped 09:00:00 is read.
    expect(definition.pollStart!(definition.input.parse({ object: 'PartnerFundRequest' }), clock.now() + 750)).toBe('2026-04-20T09:00:00.000Z');
    // A start that is no time is refused with the recipe, not at a poll.
    expect(() => definition.input.parse({ object: 'PartnerFundRequest', start_at: 'go-live' })).toThrow();
  });

  it("gives a Funds Claim the MDF number of its Funds Request (review8 F4: the claim's run is keyed by it)", async () => {
    const parent = systems.salesforce.insert('PartnerFundRequest', request('MDF-7141', 'Approved', { CreatedById: API }));
    systems.salesforce.insert('PartnerFundClaim', { Title: 'Summit claim', Amount: 2500, RequestId: parent.Id, Status: 'Paid', MDF_Claim_Key__c: 'PRM-CLAIM-7141' });
    systems.salesforce.insert('PartnerFundClaim', { Title: 'Orphan claim', Amount: 100, Status: 'Paid', MDF_Claim_Key__c: 'PRM-CLAIM-7142' });
    const { items } = await list({ object: 'PartnerFundClaim', since: null });
    expect(items.map((i) => [i.key, i.mdf_number])).toEqual([
      ['PRM-CLAIM-7141', 'MDF-7141'],
      ['PRM-CLAIM-7142', null],
    ]);
  });

  it('answers one Salesforce page at a time and where the next is (nextRecordsUrl), so a poll holds one page', async () => {
    for (let i = 0; i < 2001; i++) systems.salesforce.insert('PartnerFundRequest', request(`MDF-${10000 + i}`, 'Draft'));
    const first = await list({ object: 'PartnerFundRequest', since: null });
    expect(first.items).toHaveLength(2000);
    expect(first.next_page).toMatch(/^\/services\/data\/v61\.0\/query\/01g\w+-2000$/);
    const second = await list({ object: 'PartnerFundRequest', since: null, page: first.next_page });
    expect(second).toMatchObject({ items: [expect.objectContaining({ key: 'MDF-12000' })], next_page: null });
  });

  it('gets a new session when the old one expired, and fails retryably while Salesforce is down', async () => {
    systems.salesforce.insert('PartnerFundRequest', request('MDF-7121', 'Approved'));
    const connection = connect();
    await list({ object: 'PartnerFundRequest', since: null }, connection);
    systems.faults.inject({ system: 'salesforce', kind: 'expired_token' });
    const refreshed = await list({ object: 'PartnerFundRequest', since: null }, connection);
    expect(refreshed.items.map((i) => i.key)).toEqual(['MDF-7121']);
    expect(refreshed.notes.join('\n')).toMatch(/session expired; got a new token/);
    systems.faults.inject({ system: 'salesforce', kind: 'server_error', times: 5 });
    const error = await list({ object: 'PartnerFundRequest', since: null }, connection).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ retryable: true });
  });
});
