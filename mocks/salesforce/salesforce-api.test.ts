import { beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock.ts';
import { SIMULATED_URLS } from '../simulated-systems.ts';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';

/** What a client of the Salesforce org sees over the global fetch. */
const clock = new VirtualClock('2026-04-20T09:00:00Z');

const systems = useSimulatedSystems(clock);

const NORTHWIND = '0015e00000NWCLD001';
const API = `${SIMULATED_URLS.salesforceInstance}/services/data/v61.0`;

async function login(form: Record<string, string> = { grant_type: 'client_credentials', client_id: 'mock-client', client_secret: 'mock-secret' }) {
  const res = await fetch(`${SIMULATED_URLS.salesforceLogin}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as any };
}

let token = '';
async function sf(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  if (!token) token = (await login()).body.access_token;
  const res = await fetch(path.startsWith('/') ? `${SIMULATED_URLS.salesforceInstance}${path}` : `${API}/${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as any };
}
beforeEach(() => {
  token = '';
});

const fundRequest = (extra: Record<string, unknown> = {}) => ({ Title: 'MDF-7001: Summit', RequestedAmount: 5000, ChannelPartnerId: NORTHWIND, Status: 'Draft', ...extra });

describe('Salesforce OAuth (client credentials)', () => {
  it('issues a bearer token and the instance URL', async () => {
    const { status, body } = await login();
    expect(status).toBe(200);
    expect(body).toEqual({
      access_token: expect.stringMatching(/^00D\w{15}!/),
      instance_url: SIMULATED_URLS.salesforceInstance,
      token_type: 'Bearer',
      issued_at: String(clock.now()),
      id: expect.stringContaining('/id/00D'),
      signature: expect.any(String),
      scope: 'api',
    });
  });

  it('refuses wrong credentials with 400 and an OAuth error, like the real endpoint', async () => {
    expect(await login({ grant_type: 'client_credentials', client_id: 'mock-client', client_secret: 'nope' })).toEqual({
      status: 400,
      body: { error: 'invalid_client', error_description: 'invalid client credentials' },
    });
    expect((await login({ grant_type: 'client_credentials', client_id: 'nope', client_secret: 'mock-secret' })).body.error).toBe('invalid_client_id');
    expect((await login({ grant_type: 'password', client_id: 'mock-client', client_secret: 'mock-secret' })).body.error).toBe('unsupported_grant_type');
  });

  it('answers 401 INVALID_SESSION_ID to a token it did not issue', async () => {
    const res = await fetch(`${API}/sobjects/Account/${NORTHWIND}`, { headers: { authorization: 'Bearer forged' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
  });
});

describe('Salesforce sObjects', () => {
  it('creates (201), reads, updates (204) and deletes (204) a record with an 18-character Id', async () => {
    const created = await sf('sobjects/PartnerFundRequest', { method: 'POST', body: fundRequest({ MDF_Number__c: 'MDF-7001' }) });
    expect(created).toMatchObject({ status: 201, body: { id: expect.stringMatching(/^[a-zA-Z0-9]{18}$/), success: true, errors: [] } });
    const id = created.body.id as string;

    const read = await sf(`sobjects/PartnerFundRequest/${id}`);
    expect(read.body).toMatchObject({
      attributes: { type: 'PartnerFundRequest', url: `/services/data/v61.0/sobjects/PartnerFundRequest/${id}` },
      Id: id,
      Title: 'MDF-7001: Summit',
      Amount: null,
      CreatedDate: '2026-04-20T09:00:00.000+0000',
    });
    expect((await sf(`sobjects/PartnerFundRequest/${id}?fields=Status,MDF_Number__c`)).body).toEqual({
      attributes: expect.any(Object),
      Status: 'Draft',
      MDF_Number__c: 'MDF-7001',
    });
    // The 15-character form of the Id names the same record.
    expect((await sf(`sobjects/PartnerFundRequest/${id.slice(0, 15)}`)).status).toBe(200);

    const patched = await sf(`sobjects/PartnerFundRequest/${id}`, { method: 'PATCH', body: { Status: 'Approved', Amount: 5000 } });
    expect(patched).toMatchObject({ status: 204, body: undefined });
    expect(systems.salesforce.records('PartnerFundRequest')[0]).toMatchObject({ Status: 'Approved', Amount: 5000 });

    expect((await sf(`sobjects/PartnerFundRequest/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await sf(`sobjects/PartnerFundRequest/${id}`)).toMatchObject({ status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] });
  });

  it('upserts by external ID: 201 created, then 200 updated, 300 when several records match', async () => {
    const first = await sf('sobjects/PartnerFundRequest/MDF_Number__c/MDF-7001', { method: 'PATCH', body: fundRequest() });
    expect(first).toMatchObject({ status: 201, body: { id: expect.any(String), success: true, errors: [], created: true } });
    expect(first.headers.get('location')).toBe(`/services/data/v61.0/sobjects/PartnerFundRequest/${first.body.id}`);
    const second = await sf('sobjects/PartnerFundRequest/MDF_Number__c/mdf-7001', { method: 'PATCH', body: { Status: 'Approved' } });
    expect(second).toMatchObject({ status: 200, body: { id: first.body.id, success: true, errors: [], created: false } });
    expect(systems.salesforce.records('PartnerFundRequest')).toEqual([expect.objectContaining({ MDF_Number__c: 'MDF-7001', Status: 'Approved' })]);

    systems.salesforce.insert('PartnerFundRequest', { ...fundRequest(), MDF_Number__c: 'MDF-7001' });
    const ambiguous = await sf('sobjects/PartnerFundRequest/MDF_Number__c/MDF-7001', { method: 'PATCH', body: { Status: 'Rejected' } });
    expect(ambiguous.status).toBe(300);
    expect(ambiguous.body).toHaveLength(2);
    expect((await sf('sobjects/PartnerFundRequest/MDF_Number__c/MDF-7001')).status).toBe(300);
  });

  it('answers 300 with the URLs of every match, oldest first, and changes none of them', async () => {
    const urls = () => systems.salesforce.records('PartnerFundRequest').map((r) => `/services/data/v61.0/sobjects/PartnerFundRequest/${String(r.Id)}`);
    systems.salesforce.insert('PartnerFundRequest', { ...fundRequest(), MDF_Number__c: 'MDF-7020' });
    systems.salesforce.insert('PartnerFundRequest', { ...fundRequest(), MDF_Number__c: 'mdf-7020' });
    const before = systems.salesforce.records('PartnerFundRequest');
    for (const method of ['PATCH', 'GET', 'DELETE']) {
      const res = await sf('sobjects/PartnerFundRequest/MDF_Number__c/MDF-7020', { method, ...(method === 'PATCH' ? { body: { Status: 'Approved' } } : {}) });
      expect(res, method).toMatchObject({ status: 300, body: urls() });
    }
    expect(systems.salesforce.records('PartnerFundRequest')).toEqual(before);
  });

  it('upserts and reads by Id in its 15- and 18-character forms, but does not create by Id', async () => {
    const { body } = await sf('sobjects/PartnerFundRequest', { method: 'POST', body: fundRequest() });
    const id18 = body.id as string;
    expect((await sf(`sobjects/PartnerFundRequest/Id/${id18.slice(0, 15)}`, { method: 'PATCH', body: { Status: 'Approved' } })).body).toMatchObject({ id: id18, created: false });
    expect((await sf(`sobjects/PartnerFundRequest/Id/${id18}?fields=Status`)).body).toMatchObject({ Status: 'Approved' });
    // A 15-character reference names the same Account as its 18-character form.
    expect((await sf('sobjects/PartnerFundRequest', { method: 'POST', body: fundRequest({ ChannelPartnerId: NORTHWIND.slice(0, 15) }) })).status).toBe(201);
    expect(await sf('sobjects/PartnerFundRequest/Id/0Hf000000000000AAA', { method: 'PATCH', body: { Status: 'Approved' } })).toEqual({
      status: 404,
      headers: expect.anything(),
      body: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }],
    });
  });

  it('reads a record by external ID', async () => {
    await sf('sobjects/PartnerFundRequest/MDF_Number__c/MDF-7002', { method: 'PATCH', body: fundRequest() });
    expect((await sf('sobjects/PartnerFundRequest/MDF_Number__c/MDF-7002?fields=Id,Status')).body).toMatchObject({ Id: expect.any(String), Status: 'Draft' });
    expect((await sf('sobjects/PartnerFundRequest/MDF_Number__c/MDF-0000')).status).toBe(404);
  });

  it('refuses the external ID in the body as well as in the URL', async () => {
    const res = await sf('sobjects/PartnerFundRequest/MDF_Number__c/MDF-7003', { method: 'PATCH', body: fundRequest({ MDF_Number__c: 'MDF-7003' }) });
    expect(res.status).toBe(400);
    expect(res.body).toEqual([{ errorCode: 'INVALID_FIELD', message: expect.stringContaining('MDF_Number__c'), fields: ['MDF_Number__c'] }]);
    expect(systems.salesforce.records('PartnerFundRequest')).toEqual([]);
  });

  it('refuses a field that is not an external ID for an upsert', async () => {
    const res = await sf('sobjects/PartnerFundRequest/Title/Summit', { method: 'PATCH', body: { Status: 'Draft' } });
    const refusal = { status: 404, body: [{ message: 'Provided external ID field does not exist or is not accessible: Title', errorCode: 'NOT_FOUND' }] };
    expect(res).toMatchObject(refusal);
    expect(res.body).toEqual(refusal.body);
    expect((await sf('sobjects/PartnerFundRequest/Title/Summit')).body).toEqual(refusal.body);
    expect((await sf('composite/sobjects/PartnerFundRequest/Title', { method: 'PATCH', body: { records: [] } })).body).toEqual(refusal.body);
  });

  it('enforces the restricted Status picklists of PartnerFundRequest and PartnerFundClaim', async () => {
    const request = await sf('sobjects/PartnerFundRequest/MDF_Number__c/MDF-7004', { method: 'PATCH', body: fundRequest({ Status: 'Submitted' }) });
    expect(request).toMatchObject({
      status: 400,
      body: [{ message: 'bad value for restricted picklist field: Submitted', errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', fields: ['Status'] }],
    });
    const { body } = await sf('sobjects/PartnerFundRequest', { method: 'POST', body: fundRequest() });
    const claim = await sf('sobjects/PartnerFundClaim', { method: 'POST', body: { Title: 'Claim 1', Amount: 100, RequestId: body.id, Status: 'Submitted' } });
    expect(claim.body[0]).toMatchObject({ errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', fields: ['Status'] });
    const paid = await sf('sobjects/PartnerFundClaim', { method: 'POST', body: { Title: 'Claim 1', Amount: 100, RequestId: body.id, Status: 'Paid' } });
    expect(paid.status).toBe(201);
  });

  it('refuses unknown fields, read-only fields, missing required fields and dangling references', async () => {
    const post = (body: Record<string, unknown>) => sf('sobjects/PartnerFundRequest', { method: 'POST', body });
    expect((await post(fundRequest({ Colour: 'red' }))).body[0]).toMatchObject({ errorCode: 'INVALID_FIELD', message: "No such column 'Colour' on sobject of type PartnerFundRequest" });
    expect((await post(fundRequest({ CreatedDate: '2026-01-01T00:00:00Z' }))).body[0]).toMatchObject({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['CreatedDate'] });
    expect((await post({ RequestedAmount: 1 })).body[0]).toMatchObject({ errorCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [Title]', fields: ['Title'] });
    expect((await post(fundRequest({ ChannelPartnerId: '001000000000000AAA' }))).body[0]).toMatchObject({ errorCode: 'INVALID_CROSS_REFERENCE_KEY', fields: ['ChannelPartnerId'] });
    expect((await post(fundRequest({ ChannelPartnerId: 'northwind' }))).body[0]).toMatchObject({ errorCode: 'MALFORMED_ID', fields: ['ChannelPartnerId'] });
    expect((await post(fundRequest({ RequestedAmount: '5000' }))).body[0]).toMatchObject({ errorCode: 'JSON_PARSER_ERROR', fields: ['RequestedAmount'] });
    // Custom fields are the org's business: accepted.
    expect((await post(fundRequest({ Region__c: 'EMEA' }))).status).toBe(201);
    expect((await sf('sobjects/Opportunity', { method: 'POST', body: { Name: 'x' } })).status).toBe(404);
  });

  it('starts with an Account per partner, and takes any field on Account', async () => {
    expect(systems.salesforce.records('Account').map((a) => a.Id)).toEqual(systems.prm.partners().map((p) => p.crmId));
    expect((await sf(`sobjects/Account/${NORTHWIND}`)).body).toMatchObject({ Name: 'Northwind Cloud', IsPartner: true });
    expect((await sf(`sobjects/Account/${NORTHWIND}`, { method: 'PATCH', body: { Industry: 'Technology' } })).status).toBe(204);
  });

  it('describes objects with their restricted picklists', async () => {
    const describe = await sf('sobjects/PartnerFundRequest/describe');
    expect(describe.body.fields).toContainEqual(
      expect.objectContaining({ name: 'Status', restrictedPicklist: true, picklistValues: expect.arrayContaining([expect.objectContaining({ value: 'Draft' })]) }),
    );
    expect(describe.body.fields).toContainEqual(expect.objectContaining({ name: 'MDF_Number__c', externalId: true }));
    expect(describe.body.fields.map((f: { name: string }) => f.name)).toEqual([
      ...['Id', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp', 'CreatedById', 'LastModifiedById'],
      ...['Title', 'RequestedAmount', 'Amount', 'Activity', 'Status', 'ChannelPartnerId', 'CampaignId', 'AllocationId', 'BudgetId', 'Description', 'DesiredOutcome', 'OwnerId', 'MDF_Number__c'],
    ]);
    expect(describe.body.fields.find((f: { name: string }) => f.name === 'Status')).toMatchObject({
      restrictedPicklist: true,
      picklistValues: ['Draft', 'Approved', 'Rejected'].map((value) => ({ value, label: value, active: true, defaultValue: value === 'Draft' })),
    });
    expect((await sf('sobjects')).body.maxBatchSize).toBe(200);
  });
});

describe('Salesforce Funds Claims (PartnerFundClaim)', () => {
  const claim = (requestId: string, extra: Record<string, unknown> = {}) => ({
    Title: 'Summit claim',
    Amount: 2400,
    RequestId: requestId,
    Status: 'Draft',
    PRM_Claim_URL__c: 'https://prm.partnerflow.test/mdf/claims/CLM-1',
    ...extra,
  });
  const fundRequestId = async (mdfNumber: string) => (await sf(`sobjects/PartnerFundRequest/MDF_Number__c/${mdfNumber}`, { method: 'PATCH', body: fundRequest() })).body.id as string;

  it('upserts a claim by its key (D1): 201 created, 200 updated, 300 when several claims share the key', async () => {
    const requestId = await fundRequestId('MDF-7101');
    const first = await sf('sobjects/PartnerFundClaim/MDF_Claim_Key__c/CLM-1', { method: 'PATCH', body: claim(requestId) });
    expect(first).toMatchObject({ status: 201, body: { id: expect.stringMatching(/^0Hg[a-zA-Z0-9]{15}$/), success: true, errors: [], created: true } });
    const second = await sf('sobjects/PartnerFundClaim/MDF_Claim_Key__c/CLM-1', { method: 'PATCH', body: claim(requestId, { Status: 'Approved' }) });
    expect(second).toMatchObject({ status: 200, body: { id: first.body.id, created: false } });
    expect(systems.salesforce.records('PartnerFundClaim')).toEqual([
      expect.objectContaining({ MDF_Claim_Key__c: 'CLM-1', RequestId: requestId, Status: 'Approved', PRM_Claim_URL__c: 'https://prm.partnerflow.test/mdf/claims/CLM-1' }),
    ]);

    systems.salesforce.insert('PartnerFundClaim', { ...claim(requestId), MDF_Claim_Key__c: 'clm-1' });
    const ambiguous = await sf('sobjects/PartnerFundClaim/MDF_Claim_Key__c/CLM-1', { method: 'PATCH', body: { Status: 'Paid' } });
    expect(ambiguous.status).toBe(300);
    expect(ambiguous.body).toHaveLength(2);
  });

  it('answers 204 without a body to an upsert that updates, before API v46', async () => {
    const requestId = await fundRequestId('MDF-7104');
    const path = '/services/data/v45.0/sobjects/PartnerFundClaim/MDF_Claim_Key__c/CLM-5';
    expect((await sf(path, { method: 'PATCH', body: claim(requestId) })).status).toBe(201);
    expect(await sf(path, { method: 'PATCH', body: claim(requestId, { Status: 'Paid' }) })).toMatchObject({ status: 204, body: undefined });
    expect(systems.salesforce.records('PartnerFundClaim')).toEqual([expect.objectContaining({ Status: 'Paid' })]);
  });

  it('refuses a Status outside Draft, Approved, Rejected, Paid, a missing RequestId and one that points nowhere', async () => {
    const requestId = await fundRequestId('MDF-7102');
    const upsert = (body: Record<string, unknown>) => sf('sobjects/PartnerFundClaim/MDF_Claim_Key__c/CLM-2', { method: 'PATCH', body });
    expect(await upsert(claim(requestId, { Status: 'Open' }))).toMatchObject({
      status: 400,
      body: [{ message: 'bad value for restricted picklist field: Open', errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', fields: ['Status'] }],
    });
    const { RequestId: _none, ...orphan } = claim(requestId);
    expect((await upsert(orphan)).body).toEqual([{ message: 'Required fields are missing: [RequestId]', errorCode: 'REQUIRED_FIELD_MISSING', fields: ['RequestId'] }]);
    expect((await upsert(claim('0Hf000000000000AAA'))).body[0]).toMatchObject({ errorCode: 'INVALID_CROSS_REFERENCE_KEY', fields: ['RequestId'] });
    expect((await upsert(claim(requestId, { PRM_Claim_URL__c: `https://prm.partnerflow.test/${'x'.repeat(250)}` }))).body[0]).toMatchObject({
      errorCode: 'STRING_TOO_LONG',
      fields: ['PRM_Claim_URL__c'],
    });
    expect(systems.salesforce.records('PartnerFundClaim')).toEqual([]);
  });

  it('finds claims by key and by request with SOQL', async () => {
    const requestId = await fundRequestId('MDF-7103');
    await sf('sobjects/PartnerFundClaim/MDF_Claim_Key__c/CLM-3', { method: 'PATCH', body: claim(requestId) });
    await sf('sobjects/PartnerFundClaim/MDF_Claim_Key__c/CLM-4', { method: 'PATCH', body: claim(requestId, { Title: 'Second claim', Status: 'Paid' }) });
    const byKey = await sf(`query?q=${encodeURIComponent("SELECT Id, Status, PRM_Claim_URL__c FROM PartnerFundClaim WHERE MDF_Claim_Key__c = 'CLM-3'")}`);
    expect(byKey.body).toMatchObject({ totalSize: 1, done: true, records: [{ Status: 'Draft', PRM_Claim_URL__c: 'https://prm.partnerflow.test/mdf/claims/CLM-1' }] });
    const byRequest = await sf(`query?q=${encodeURIComponent(`SELECT Title FROM PartnerFundClaim WHERE RequestId = '${requestId}' ORDER BY Title`)}`);
    expect(byRequest.body.records.map((r: { Title: string }) => r.Title)).toEqual(['Second claim', 'Summit claim']);
  });

  it('describes the claim key as an external ID and the PRM URL as a url field (D2)', async () => {
    const { body } = await sf('sobjects/PartnerFundClaim/describe');
    expect(body.fields).toContainEqual(expect.objectContaining({ name: 'MDF_Claim_Key__c', externalId: true }));
    expect(body.fields).toContainEqual(expect.objectContaining({ name: 'PRM_Claim_URL__c', type: 'url' }));
  });
});

describe('Salesforce queries', () => {
  it('answers a query with totalSize, done and records carrying attributes', async () => {
    await sf('sobjects/PartnerFundRequest/MDF_Number__c/MDF-7010', { method: 'PATCH', body: fundRequest() });
    const res = await sf(`query?q=${encodeURIComponent("SELECT Id, Status FROM PartnerFundRequest WHERE MDF_Number__c = 'MDF-7010'")}`);
    expect(res.body).toEqual({
      totalSize: 1,
      done: true,
      records: [{ attributes: { type: 'PartnerFundRequest', url: expect.stringMatching(/^\/services\/data\/v61\.0\/sobjects\/PartnerFundRequest\//) }, Id: expect.any(String), Status: 'Draft' }],
    });
  });

  it('records who changed a record last (LastModifiedById): the integration user for API writes, a person for edits in the UI; SOQL filters and orders by it and by LastModifiedDate (D1 echo loops)', async () => {
    await sf('sobjects/PartnerFundRequest/MDF_Number__c/MDF-7040', { method: 'PATCH', body: fundRequest() });
    const [written] = systems.salesforce.records('PartnerFundRequest');
    expect(written).toMatchObject({ LastModifiedById: '0055g00000PFLWAPI1', CreatedById: '0055g00000PFLWAPI1', LastModifiedDate: '2026-04-20T09:00:00.000+0000' });
    clock.advance(60_000);
    systems.salesforce.update('PartnerFundRequest', String(written!.Id), { Status: 'Approved' });
    const soql = (where: string) => `SELECT MDF_Number__c, Status, LastModifiedById FROM PartnerFundRequest WHERE ${where} ORDER BY LastModifiedDate`;
    const changed = await sf(`query?q=${encodeURIComponent(soql("LastModifiedDate >= 2026-04-20T09:01:00Z AND LastModifiedById != '0055g00000PFLWAPI1'"))}`);
    expect(changed.body.records.map((r: Record<string, unknown>) => [r.MDF_Number__c, r.Status, r.LastModifiedById])).toEqual([['MDF-7040', 'Approved', '0055g00000PFLWOPS1']]);
    const none = await sf(`query?q=${encodeURIComponent(soql('LastModifiedDate > 2026-04-20T09:01:00Z'))}`);
    expect(none.body.records).toEqual([]);
    await expect(sf('sobjects/PartnerFundRequest/MDF_Number__c/MDF-7040', { method: 'PATCH', body: { LastModifiedById: '0055g00000PFLWOPS1' } })).resolves.toMatchObject({ status: 400 });
  });

  it('orders, offsets and limits without reordering the org, and hands out rows of its own', async () => {
    for (const [n, amount] of [['MDF-7031', 300], ['MDF-7032', 100], ['MDF-7033', 200]] as const) {
      systems.salesforce.insert('PartnerFundRequest', { ...fundRequest({ RequestedAmount: amount }), MDF_Number__c: n });
    }
    const soql = "SELECT MDF_Number__c FROM PartnerFundRequest WHERE MDF_Number__c LIKE 'MDF-703%' ORDER BY RequestedAmount DESC LIMIT 2 OFFSET 1";
    const res = await sf(`query?q=${encodeURIComponent(soql)}`);
    expect(res.body.records.map((r: { MDF_Number__c: string }) => r.MDF_Number__c)).toEqual(['MDF-7033', 'MDF-7032']);
    expect(systems.salesforce.records('PartnerFundRequest').map((r) => r.MDF_Number__c)).toEqual(['MDF-7031', 'MDF-7032', 'MDF-7033']);
  });

  it('pages 2,000 records at a time through nextRecordsUrl', async () => {
    for (let i = 0; i < 4500; i++) systems.salesforce.insert('PartnerFundRequest', { ...fundRequest(), MDF_Number__c: `MDF-B${i}` });
    const first = await sf(`query?q=${encodeURIComponent('SELECT MDF_Number__c FROM PartnerFundRequest')}`);
    expect(first.body).toMatchObject({ totalSize: 4500, done: false, nextRecordsUrl: expect.stringMatching(/^\/services\/data\/v61\.0\/query\/01g[A-Za-z0-9]{15}-2000$/) });
    expect(first.body.records).toHaveLength(2000);
    const second = await sf(first.body.nextRecordsUrl);
    expect(second.body).toMatchObject({ done: false, nextRecordsUrl: expect.stringMatching(/-4000$/) });
    const third = await sf(second.body.nextRecordsUrl);
    expect(third.body).toMatchObject({ totalSize: 4500, done: true });
    expect(third.body.records).toHaveLength(500);
    expect(third.body.nextRecordsUrl).toBeUndefined();
    expect(third.body.records.at(-1).MDF_Number__c).toBe('MDF-B4499');
  });

  it('takes a smaller batch from Sforce-Query-Options', async () => {
    for (let i = 0; i < 450; i++) systems.salesforce.insert('PartnerFundRequest', fundRequest());
    const res = await sf(`query?q=${encodeURIComponent('SELECT Id FROM PartnerFundRequest')}`, { headers: { 'Sforce-Query-Options': 'batchSize=200' } });
    expect(res.body.records).toHaveLength(200);
    expect(res.body.nextRecordsUrl).toMatch(/-200$/);
  });

  it('answers 400 with Salesforce error codes for a bad query, object or locator', async () => {
    expect((await sf(`query?q=${encodeURIComponent('SELECT Id FROM')}`)).body[0].errorCode).toBe('MALFORMED_QUERY');
    expect((await sf(`query?q=${encodeURIComponent('SELECT Id FROM Opportunity')}`)).body[0]).toMatchObject({ errorCode: 'INVALID_TYPE', message: expect.stringContaining("sObject type 'Opportunity' is not supported") });
    expect((await sf(`query?q=${encodeURIComponent('SELECT Colour FROM PartnerFundRequest')}`)).body[0].errorCode).toBe('INVALID_FIELD');
    expect((await sf('query/01gAAAAAAAAAAAAAAA-2000')).body[0].errorCode).toBe('INVALID_QUERY_LOCATOR');
  });
});

describe('Salesforce API usage', () => {
  it('reports api-usage in Sforce-Limit-Info on every API answer, errors included', async () => {
    const first = await sf(`sobjects/Account/${NORTHWIND}`);
    const second = await sf('sobjects/Account/001000000000000AAA');
    expect(first.headers.get('sforce-limit-info')).toBe('api-usage=1/15000');
    expect(second.headers.get('sforce-limit-info')).toBe('api-usage=2/15000');
    expect((await sf('limits')).body.DailyApiRequests).toEqual({ Max: 15000, Remaining: 14997 });
  });

  it('answers 404 for an API version the org does not have', async () => {
    expect((await sf('/services/data/v12.0/limits')).status).toBe(404);
  });
});

describe('Salesforce sObject Collections', () => {
  it('creates up to 200 records with a result per record; a bad one does not stop the others', async () => {
    const res = await sf('composite/sobjects', {
      method: 'POST',
      body: {
        allOrNone: false,
        records: [
          { attributes: { type: 'PartnerFundRequest' }, ...fundRequest() },
          { attributes: { type: 'PartnerFundRequest' }, ...fundRequest({ Status: 'Pending' }) },
          fundRequest(),
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { id: expect.any(String), success: true, errors: [] },
      { success: false, errors: [{ statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', message: 'bad value for restricted picklist field: Pending', fields: ['Status'] }] },
      { success: false, errors: [expect.objectContaining({ statusCode: 'INVALID_TYPE' })] },
    ]);
    expect(systems.salesforce.records('PartnerFundRequest')).toHaveLength(1);
  });

  it('rolls every record back with allOrNone when one fails', async () => {
    const res = await sf('composite/sobjects', {
      method: 'POST',
      body: { allOrNone: true, records: [{ attributes: { type: 'PartnerFundRequest' }, ...fundRequest() }, { attributes: { type: 'PartnerFundRequest' }, ...fundRequest({ Status: 'Pending' }) }] },
    });
    expect(res.body[0]).toEqual({ success: false, errors: [expect.objectContaining({ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK' })] });
    expect(systems.salesforce.records('PartnerFundRequest')).toEqual([]);
  });

  it('upserts a collection by external ID, the value in each record', async () => {
    const body = (status: string) => ({ allOrNone: false, records: ['MDF-1', 'MDF-2'].map((n) => ({ attributes: { type: 'PartnerFundRequest' }, ...fundRequest({ Status: status }), MDF_Number__c: n })) });
    const first = await sf('composite/sobjects/PartnerFundRequest/MDF_Number__c', { method: 'PATCH', body: body('Draft') });
    expect(first.body.map((r: { created: boolean }) => r.created)).toEqual([true, true]);
    const second = await sf('composite/sobjects/PartnerFundRequest/MDF_Number__c', { method: 'PATCH', body: body('Draft') });
    expect(second.body.map((r: { created: boolean }) => r.created)).toEqual([false, false]);
    expect(systems.salesforce.records('PartnerFundRequest').map((r) => r.Status)).toEqual(['Draft', 'Draft']);
  });

  it('refuses a collection upsert of a value several records have, naming their Ids, and carries on', async () => {
    const a = systems.salesforce.insert('PartnerFundRequest', { ...fundRequest(), MDF_Number__c: 'MDF-7040' });
    const b = systems.salesforce.insert('PartnerFundRequest', { ...fundRequest(), MDF_Number__c: 'MDF-7040' });
    const records = ['MDF-7040', 'MDF-7041'].map((n) => ({ attributes: { type: 'PartnerFundRequest' }, ...fundRequest(), MDF_Number__c: n }));
    const res = await sf('composite/sobjects/PartnerFundRequest/MDF_Number__c', { method: 'PATCH', body: { allOrNone: false, records } });
    expect(res.body).toEqual([
      { success: false, errors: [{ statusCode: 'DUPLICATE_EXTERNAL_ID', message: `More than 1 record found for external id field: [${String(a.Id)}, ${String(b.Id)}]`, fields: ['MDF_Number__c'] }] },
      { id: expect.any(String), success: true, errors: [], created: true },
    ]);
  });

  it('deletes by Id a result per Id, and rolls back a partial delete with allOrNone', async () => {
    const [first, second] = systems.salesforce.records('Account');
    const missing = '001000000000000AAA';
    const rolledBack = await sf(`composite/sobjects?ids=${String(first!.Id)},${missing}&allOrNone=true`, { method: 'DELETE' });
    expect(rolledBack.body.map((r: { errors: Array<{ statusCode: string }> }) => r.errors[0]?.statusCode)).toEqual(['ALL_OR_NONE_OPERATION_ROLLED_BACK', 'ENTITY_IS_DELETED']);
    // One Account per demo partner (six).
    expect(systems.salesforce.records('Account')).toHaveLength(6);
    const partial = await sf(`composite/sobjects?ids=${String(second!.Id)},${missing}`, { method: 'DELETE' });
    expect(partial.body).toEqual([{ id: second!.Id, success: true, errors: [] }, expect.objectContaining({ success: false })]);
    expect(systems.salesforce.records('Account').map((r) => r.Id)).not.toContain(second!.Id);
  });

  it('answers 400 JSON_PARSER_ERROR for a collection body that is not a JSON object with records', async () => {
    for (const body of ['{', '[]', '{"records": {}}', '{"records": [1]}']) {
      const res = await fetch(`${API}/composite/sobjects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${(await login()).body.access_token}`, 'content-type': 'application/json' },
        body,
      });
      expect(res.status, body).toBe(400);
      expect(await res.json(), body).toEqual([{ message: expect.any(String), errorCode: 'JSON_PARSER_ERROR' }]);
    }
  });

  it('refuses more than 200 records', async () => {
    const records = Array.from({ length: 201 }, () => ({ attributes: { type: 'PartnerFundRequest' }, ...fundRequest() }));
    const res = await sf('composite/sobjects', { method: 'POST', body: { records } });
    expect(res).toMatchObject({ status: 400, body: [{ errorCode: 'EXCEEDED_ID_LIMIT' }] });
  });
});
