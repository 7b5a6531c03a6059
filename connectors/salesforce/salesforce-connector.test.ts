import { describe, expect, it } from 'vitest';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { capturingLogger, testContext, testDeps } from '../kit/action-test-context.ts';
import { AuthError, RateLimitError, ServerError, ValidationError } from '../kit/http-errors.ts';
import { salesforceConnector } from './index.ts';
import { SALESFORCE_MOCK_CONFIG, SalesforceConfig } from './salesforce-config.ts';
import type { SalesforceConnection } from './salesforce-connection.ts';

const clock = new VirtualClock('2026-04-20T09:00:00Z');
const log = capturingLogger();

const systems = useSimulatedSystems(clock);

function connect(overrides: Partial<typeof SALESFORCE_MOCK_CONFIG> = {}): SalesforceConnection {
  const config = SalesforceConfig.parse({ ...SALESFORCE_MOCK_CONFIG, ...overrides });
  return salesforceConnector.connect(config, testDeps(clock, log)) as SalesforceConnection;
}

/** Runs an action the way the engine does: input parsed by its schema, output checked by its schema. */
async function run(action: keyof typeof salesforceConnector.actions, input: unknown, connection: SalesforceConnection = connect()) {
  const definition = salesforceConnector.actions[action]!;
  const { ctx, notes } = testContext(connection, clock, { log });
  const output = await definition.run(definition.input.parse(input), ctx);
  return { output: definition.output.parse(output) as Record<string, unknown>, notes };
}

const CONTOSO_ACCOUNT = 'a0B5g00000AbCdEfGH';
const fundRequest = (status: string, extra: Record<string, unknown> = {}) => ({
  Title: 'MDF-7001: Partner summit',
  RequestedAmount: 5000,
  Activity: 'Event',
  ChannelPartnerId: CONTOSO_ACCOUNT,
  Status: status,
  ...extra,
});
const fundRequestsFor = (mdfNumber: string) => systems.salesforce.records('PartnerFundRequest').filter((r) => r.MDF_Number__c === mdfNumber);

describe('salesforce.upsert_fund_request', () => {
  it('creates the Funds Request the first time and updates the same record after (D1)', async () => {
    const first = await run('upsert_fund_request', { mdf_number: 'MDF-7001', fields: fundRequest('Draft') });
    expect(first.output).toMatchObject({ created: true, id: expect.stringMatching(/^[a-zA-Z0-9]{18}$/) });
    expect(fundRequestsFor('MDF-7001')).toEqual([expect.objectContaining({ Status: 'Draft', RequestedAmount: 5000, ChannelPartnerId: CONTOSO_ACCOUNT })]);

    const second = await run('upsert_fund_request', { mdf_number: 'MDF-7001', fields: fundRequest('Approved', { Amount: 5000 }) });
    expect(second.output).toEqual({ id: first.output.id, created: false });
    expect(fundRequestsFor('MDF-7001')).toEqual([expect.objectContaining({ Status: 'Approved', Amount: 5000 })]);
    expect(second.notes).toContain(`updated PartnerFundRequest ${String(first.output.id)} (MDF_Number__c = MDF-7001)`);
  });

  it('gets a new session and repeats the call once when the token has expired', async () => {
    const connection = connect();
    await run('upsert_fund_request', { mdf_number: 'MDF-7002', fields: fundRequest('Draft') }, connection);
    systems.faults.inject({ system: 'salesforce', kind: 'expired_token' });
    const { output, notes } = await run('upsert_fund_request', { mdf_number: 'MDF-7002', fields: fundRequest('Rejected') }, connection);
    expect(output.created).toBe(false);
    expect(fundRequestsFor('MDF-7002')).toEqual([expect.objectContaining({ Status: 'Rejected' })]);
    expect(notes.join('\n')).toMatch(/session expired; got a new token/);
  });

  it('rides out a rate limit (403 REQUEST_LIMIT_EXCEEDED) by backing off and retrying', async () => {
    systems.faults.inject({ system: 'salesforce', kind: 'rate_limit', times: 2 });
    const { output, notes } = await run('upsert_fund_request', { mdf_number: 'MDF-7003', fields: fundRequest('Draft') });
    expect(output.created).toBe(true);
    expect(fundRequestsFor('MDF-7003')).toEqual([expect.objectContaining({ Status: 'Draft' })]);
    expect(notes.join('\n')).toMatch(/answered 403: REQUEST_LIMIT_EXCEEDED: ConcurrentPerOrgLongTxn Limit exceeded\.; retrying in [\d.]+ s \(attempt 2 of 3\)/);
  });

  it('fails with a retryable RateLimitError naming the limit when the org stays over it', async () => {
    systems.faults.inject({ system: 'salesforce', kind: 'rate_limit', times: 5 });
    const error = await run('upsert_fund_request', { mdf_number: 'MDF-7008', fields: fundRequest('Draft') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ retryable: true, status: 403, code: 'REQUEST_LIMIT_EXCEEDED' });
    expect((error as Error).message).toMatch(/answered 403: REQUEST_LIMIT_EXCEEDED: ConcurrentPerOrgLongTxn Limit exceeded/);
    expect(fundRequestsFor('MDF-7008')).toEqual([]);
  });

  it('fails with a retryable ServerError when the org keeps failing', async () => {
    systems.faults.inject({ system: 'salesforce', kind: 'server_error', times: 5 });
    const error = await run('upsert_fund_request', { mdf_number: 'MDF-7004', fields: fundRequest('Draft') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ retryable: true, code: 'UNKNOWN_EXCEPTION' });
    expect(fundRequestsFor('MDF-7004')).toEqual([]);
  });

  it('refuses fields outside the PartnerFundRequest schema before calling Salesforce', async () => {
    await expect(run('upsert_fund_request', { mdf_number: 'MDF-7005', fields: fundRequest('Pending') })).rejects.toThrow(/Status/);
    expect(fundRequestsFor('MDF-7005')).toEqual([]);
  });
});

describe('SalesforceClient', () => {
  it("reports Salesforce's error code and field for a bad picklist value, without retrying", async () => {
    const { client } = connect();
    const error = await client.upsert('PartnerFundRequest', 'MDF_Number__c', 'MDF-7006', fundRequest('Pending')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/^salesforce PATCH \/services\/data\/v61\.0\/sobjects\/PartnerFundRequest\/MDF_Number__c\/MDF-7006 answered 400: INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: .+ \(Status\)$/);
    expect(error).toMatchObject({ retryable: false, code: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST' });
  });

  it('creates and reads a record', async () => {
    const { client } = connect();
    const { id } = await client.create('PartnerFundRequest', { ...fundRequest('Draft'), MDF_Number__c: 'MDF-7007' });
    const record = await client.get('PartnerFundRequest', id);
    expect(record).toMatchObject({ Id: id, Status: 'Draft', MDF_Number__c: 'MDF-7007' });
  });

  it('fails with AuthError for a wrong client secret, without the secret in the error or the logs', async () => {
    const { client } = connect({ clientSecret: 'wrong-secret-8d2e' });
    const error = await client.get('PartnerFundRequest', 'a0X000000000001AAA').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as Error).message).toMatch(/^salesforce POST \/services\/oauth2\/token answered 40[01]/);
    // Review 5 finding 6: the message names what to fix, as Marketo's does, never its value.
    expect((error as Error).message).toMatch(/; check SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET \(the connected app's consumer key and secret\), and that SALESFORCE_LOGIN_URL is your org's My Domain$/);
    const everything = JSON.stringify({ error, message: (error as Error).message }) + log.text();
    expect(everything).not.toContain('wrong-secret-8d2e');
    expect(everything).not.toContain('mock-secret');
  });

  it('follows nextRecordsUrl through every page of a large query', async () => {
    for (let i = 0; i < 4500; i++) systems.salesforce.insert('PartnerFundRequest', { ...fundRequest('Draft'), Title: `Bulk ${i}`, MDF_Number__c: `MDF-B${i}` });
    const { client } = connect();
    const seen = new Set<string>();
    for await (const r of client.query("SELECT Id, MDF_Number__c FROM PartnerFundRequest WHERE Status = 'Draft'")) seen.add(String(r.MDF_Number__c));
    const expected = systems.salesforce.records('PartnerFundRequest').filter((r) => r.Status === 'Draft').length;
    expect(seen.size).toBe(expected);
    expect(expected).toBeGreaterThanOrEqual(4500);
  });
});

describe('salesforce.query', () => {
  it('returns the selected records', async () => {
    await run('upsert_fund_request', { mdf_number: 'MDF-7010', fields: fundRequest('Draft') });
    const { output } = await run('query', { soql: "SELECT Id, Status, MDF_Number__c FROM PartnerFundRequest WHERE MDF_Number__c = 'MDF-7010'" });
    expect(output).toMatchObject({ truncated: false, records: [expect.objectContaining({ Status: 'Draft', MDF_Number__c: 'MDF-7010' })] });
  });

  it('keeps the first 2,000 records and says the rest were left out', async () => {
    for (let i = 0; i < 2100; i++) systems.salesforce.insert('PartnerFundRequest', { ...fundRequest('Draft'), MDF_Number__c: `MDF-C${i}` });
    const { output, notes } = await run('query', { soql: 'SELECT Id FROM PartnerFundRequest' });
    expect((output.records as unknown[]).length).toBe(2000);
    expect(output.truncated).toBe(true);
    expect(notes).toContain('the query selected more than 2000 records; only the first 2000 were kept');
  });

  it('refuses a statement that is not a SELECT', async () => {
    await expect(run('query', { soql: 'DELETE FROM PartnerFundRequest' })).rejects.toThrow(/SELECT/);
  });
});

describe('salesforce configuration', () => {
  it('defaults the API version and the MDF number field', () => {
    const config = SalesforceConfig.parse({ loginUrl: 'https://acme.my.salesforce.com', clientId: 'id', clientSecret: 's' });
    expect(config).toMatchObject({ apiVersion: '61.0', mdfNumberField: 'MDF_Number__c' });
  });
});
