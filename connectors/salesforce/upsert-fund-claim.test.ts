import { describe, expect, it } from 'vitest';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { capturingLogger, testContext, testDeps } from '../kit/action-test-context.ts';
import { NotFoundError, RateLimitError, ValidationError } from '../kit/http-errors.ts';
import { salesforceConnector } from './index.ts';
import { SALESFORCE_MOCK_CONFIG, SalesforceConfig } from './salesforce-config.ts';
import type { SalesforceConnection } from './salesforce-connection.ts';
import { FundRequestNotInSalesforceError } from './upsert-fund-claim.ts';

const clock = new VirtualClock('2026-04-20T09:00:00Z');
const log = capturingLogger();

const systems = useSimulatedSystems(clock);

function connect(overrides: Partial<typeof SALESFORCE_MOCK_CONFIG> = {}): SalesforceConnection {
  const config = SalesforceConfig.parse({ ...SALESFORCE_MOCK_CONFIG, ...overrides });
  return salesforceConnector.connect(config, testDeps(clock, log)) as SalesforceConnection;
}

/** Runs the action the way the engine does: input parsed by its schema, output checked by its schema. */
async function upsertClaim(input: unknown, connection: SalesforceConnection = connect()) {
  const definition = salesforceConnector.actions.upsert_fund_claim!;
  const { ctx, notes } = testContext(connection, clock, { log });
  const output = await definition.run(definition.input.parse(input), ctx);
  return { output: definition.output.parse(output) as { id: string; created: boolean; request_id: string }, notes };
}

const NORTHWIND = '0015e00000NWCLD001';
/** The Funds Request of an MDF number, as its own sync (mdf.sync_fund_request) would have written it. */
const fundRequest = (mdfNumber: string) =>
  systems.salesforce.insert('PartnerFundRequest', { Title: `${mdfNumber}: Summit`, RequestedAmount: 5000, Amount: 5000, ChannelPartnerId: NORTHWIND, Status: 'Approved', MDF_Number__c: mdfNumber });
const claimInput = (extra: Record<string, unknown> = {}) => ({
  claim_key: 'CLM-7001-1',
  mdf_number: 'MDF-7001',
  title: 'Summit claim',
  amount: 2400,
  status: 'Draft',
  prm_url: 'https://prm.partnerflow.test/mdf/claims/CLM-7001-1',
  ...extra,
});
const claims = () => systems.salesforce.records('PartnerFundClaim');

describe('salesforce.upsert_fund_claim', () => {
  it('creates the Funds Claim linked to its Funds Request, then updates the same record (D1, D2)', async () => {
    const request = fundRequest('MDF-7001');
    const first = await upsertClaim(claimInput());
    expect(first.output).toEqual({ id: expect.stringMatching(/^0Hg[a-zA-Z0-9]{15}$/), created: true, request_id: request.Id });
    expect(claims()).toEqual([
      expect.objectContaining({
        Id: first.output.id,
        MDF_Claim_Key__c: 'CLM-7001-1',
        Title: 'Summit claim',
        Amount: 2400,
        RequestId: request.Id,
        Status: 'Draft',
        PRM_Claim_URL__c: 'https://prm.partnerflow.test/mdf/claims/CLM-7001-1',
      }),
    ]);

    const second = await upsertClaim(claimInput({ status: 'Approved' }));
    expect(second.output).toEqual({ id: first.output.id, created: false, request_id: request.Id });
    expect(claims()).toEqual([expect.objectContaining({ Id: first.output.id, Status: 'Approved' })]);
    expect(second.notes).toContain(`updated PartnerFundClaim ${first.output.id} (MDF_Claim_Key__c = CLM-7001-1) for PartnerFundRequest ${request.Id} (MDF_Number__c = MDF-7001): Approved`);
  });

  it("fails retryably, naming the MDF number, while the request's Funds Request is not in Salesforce yet, and links once it is (D1)", async () => {
    const error = await upsertClaim(claimInput()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FundRequestNotInSalesforceError);
    expect(error).toMatchObject({ retryable: true, status: 404 });
    expect((error as Error).message).toBe(
      'salesforce has no PartnerFundRequest with MDF_Number__c = MDF-7001 yet, so the claim cannot be linked to it; retryable: the request\'s own sync (mdf-request-salesforce-sync) may be behind',
    );
    expect(claims()).toEqual([]);

    // The request's sync catches up; the claim's retry then goes through.
    const request = fundRequest('MDF-7001');
    const { output } = await upsertClaim(claimInput());
    expect(output).toMatchObject({ created: true, request_id: request.Id });
    expect(claims()).toEqual([expect.objectContaining({ RequestId: request.Id })]);
  });

  it('fails without retrying when the MDF number field is not an external ID (a configuration error)', async () => {
    fundRequest('MDF-7001');
    const error = await upsertClaim(claimInput(), connect({ mdfNumberField: 'Title' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ retryable: false });
    expect((error as Error).message).toMatch(/Provided external ID field does not exist or is not accessible: Title/);
    expect(claims()).toEqual([]);
  });

  it('fails without retrying when several Funds Requests carry the MDF number (300)', async () => {
    fundRequest('MDF-7001');
    fundRequest('MDF-7001');
    const error = await upsertClaim(claimInput()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ retryable: false, status: 300 });
    expect((error as Error).message).toMatch(/matches 2 records; make it unique in Salesforce/);
    expect(claims()).toEqual([]);
  });

  it('gets a new session and repeats the call once when the token has expired', async () => {
    fundRequest('MDF-7001');
    const connection = connect();
    await upsertClaim(claimInput(), connection);
    systems.faults.inject({ system: 'salesforce', kind: 'expired_token' });
    const { output, notes } = await upsertClaim(claimInput({ status: 'Paid' }), connection);
    expect(output.created).toBe(false);
    expect(claims()).toEqual([expect.objectContaining({ Status: 'Paid' })]);
    expect(notes.join('\n')).toMatch(/session expired; got a new token/);
  });

  it('rides out a rate limit (403 REQUEST_LIMIT_EXCEEDED) by backing off and retrying', async () => {
    fundRequest('MDF-7001');
    systems.faults.inject({ system: 'salesforce', kind: 'rate_limit', times: 2 });
    const { output, notes } = await upsertClaim(claimInput());
    expect(output.created).toBe(true);
    expect(claims()).toEqual([expect.objectContaining({ Status: 'Draft' })]);
    expect(notes.join('\n')).toMatch(/answered 403: REQUEST_LIMIT_EXCEEDED: ConcurrentPerOrgLongTxn Limit exceeded\.; retrying in [\d.]+ s \(attempt 2 of 3\)/);
  });

  it('fails with a retryable RateLimitError when the org stays over its limit', async () => {
    fundRequest('MDF-7001');
    systems.faults.inject({ system: 'salesforce', kind: 'rate_limit', times: 5 });
    const error = await upsertClaim(claimInput()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ retryable: true, code: 'REQUEST_LIMIT_EXCEEDED' });
    expect(claims()).toEqual([]);
  });

  it('refuses a status outside the PartnerFundClaim picklist before calling Salesforce', async () => {
    fundRequest('MDF-7001');
    await expect(upsertClaim(claimInput({ status: 'Open' }))).rejects.toThrow(/status/);
    expect(claims()).toEqual([]);
  });

  it('never sends attachments (D2): an input that carries them is refused', async () => {
    fundRequest('MDF-7001');
    const attachments = [{ name: 'pop.pdf', url: 'https://prm.partnerflow.test/files/pop.pdf' }];
    await expect(upsertClaim(claimInput({ attachments }))).rejects.toThrow(/attachments/);
    expect(claims()).toEqual([]);
  });

  it('reads the claim id back when an old API version answers an update with 204', async () => {
    const request = fundRequest('MDF-7001');
    const connection = connect({ apiVersion: '45.0' });
    const first = await upsertClaim(claimInput(), connection);
    const second = await upsertClaim(claimInput({ status: 'Rejected' }), connection);
    expect(second.output).toEqual({ id: first.output.id, created: false, request_id: request.Id });
    expect(claims()).toEqual([expect.objectContaining({ Id: first.output.id, Status: 'Rejected' })]);
  });

  it('upserts by the claim key field the org has (SALESFORCE_CLAIM_KEY_FIELD)', async () => {
    fundRequest('MDF-7001');
    const { notes } = await upsertClaim(claimInput(), connect({ claimKeyField: 'Claim_Key__c' }));
    expect(claims()).toEqual([expect.objectContaining({ Claim_Key__c: 'CLM-7001-1' })]);
    expect(notes.join('\n')).toMatch(/\(Claim_Key__c = CLM-7001-1\)/);
  });
});

describe('PartnerFundClaim in the org', () => {
  it("reports Salesforce's error code and field for a bad claim Status, without retrying", async () => {
    const request = fundRequest('MDF-7001');
    const { client } = connect();
    const body = { Title: 'Summit claim', Amount: 2400, RequestId: request.Id, Status: 'Open' };
    const error = await client.upsert('PartnerFundClaim', 'MDF_Claim_Key__c', 'CLM-7001-1', body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(
      /^salesforce PATCH \/services\/data\/v61\.0\/sobjects\/PartnerFundClaim\/MDF_Claim_Key__c\/CLM-7001-1 answered 400: INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: bad value for restricted picklist field: Open \(Status\)$/,
    );
    expect(error).toMatchObject({ retryable: false, code: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST' });
  });

  it('defaults the claim key field to MDF_Claim_Key__c', () => {
    const config = SalesforceConfig.parse({ loginUrl: 'https://acme.my.salesforce.com', clientId: 'id', clientSecret: 's' });
    expect(config.claimKeyField).toBe('MDF_Claim_Key__c');
  });
});
