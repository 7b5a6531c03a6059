import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../server/engine/clock.ts';
import { SIMULATED_URLS } from './simulated-systems.ts';
import { useSimulatedSystems } from '../test/support/simulated-systems-fixture.ts';

/** Each fault kind, as a client of each system sees it. */
const clock = new VirtualClock('2026-04-20T09:00:00Z');

const systems = useSimulatedSystems(clock);

const prm = (path = 'Account/101', method = 'GET') =>
  fetch(`${SIMULATED_URLS.prm}/${path}`, { method, headers: { Authorization: 'prm-key mock-prm-key', 'X-PRM-TenantId': '1', 'content-type': 'application/json' }, ...(method === 'PATCH' ? { body: '{}' } : {}) });
const email = () =>
  fetch(`${SIMULATED_URLS.email}/email`, {
    method: 'POST',
    headers: { 'X-Postmark-Server-Token': 'mock-email-token', 'content-type': 'application/json' },
    body: JSON.stringify({ From: 'mdf@partnerflow.example', To: 'a@b.example', Subject: 'Hi', TextBody: 'Hi' }),
  });
async function salesforceToken(): Promise<string> {
  const res = await fetch(`${SIMULATED_URLS.salesforceLogin}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=mock-client&client_secret=mock-secret',
  });
  return ((await res.json()) as { access_token: string }).access_token;
}
const salesforce = (token: string) => fetch(`${SIMULATED_URLS.salesforceInstance}/services/data/v61.0/limits`, { headers: { authorization: `Bearer ${token}` } });

describe('rate_limit', () => {
  it('answers 429 with Retry-After and the PRM\'s and email\'s error bodies, then lets requests through', async () => {
    systems.faults.inject({ system: 'prm', kind: 'rate_limit', retryAfterSeconds: 7 });
    systems.faults.inject({ system: 'email', kind: 'rate_limit' });

    const limited = await prm();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(await limited.json()).toEqual({ success: false, errors: [{ code: 'TooManyRequests', message: expect.any(String) }] });
    expect((await prm()).status).toBe(200);

    const mail = await email();
    expect(mail.status).toBe(429);
    expect(mail.headers.get('retry-after')).toBe('1');
    expect(await mail.json()).toMatchObject({ ErrorCode: 429 });
  });

  it('answers 403 REQUEST_LIMIT_EXCEEDED from Salesforce, as the real org does: no Retry-After, usage still reported', async () => {
    systems.faults.inject({ system: 'salesforce', kind: 'rate_limit', retryAfterSeconds: 2 });
    const token = await salesforceToken();
    const api = await salesforce(token);
    expect(api.status).toBe(403);
    expect(api.headers.get('retry-after')).toBeNull();
    expect(api.headers.get('sforce-limit-info')).toMatch(/^api-usage=\d+\/\d+$/);
    expect(await api.json()).toEqual([{ message: 'ConcurrentPerOrgLongTxn Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    expect((await salesforce(token)).status).toBe(200);
  });
});

describe('server_error', () => {
  it('answers 500 in each system\'s shape, as many times as asked', async () => {
    systems.faults.inject({ system: 'prm', kind: 'server_error', times: 2 });
    systems.faults.inject({ system: 'email', kind: 'server_error' });
    systems.faults.inject({ system: 'salesforce', kind: 'server_error' });
    expect((await prm()).status).toBe(500);
    const second = await prm();
    expect(second.status).toBe(500);
    expect(await second.json()).toEqual({ success: false, errors: [{ code: 'ServerError', message: expect.any(String) }] });
    expect((await prm()).status).toBe(200);

    const mail = await email();
    expect(mail.status).toBe(500);
    expect(await mail.json()).toEqual({ ErrorCode: 500, Message: expect.any(String) });
    // The failed send did not deliver anything.
    expect(systems.email.messages()).toEqual([]);

    const api = await salesforce(await salesforceToken());
    expect(api.status).toBe(500);
    expect(await api.json()).toEqual([{ errorCode: 'UNKNOWN_EXCEPTION', message: expect.any(String) }]);
  });
});

describe('expired_token', () => {
  it('ends every Salesforce session: the call answers 401 INVALID_SESSION_ID, a new grant works', async () => {
    const token = await salesforceToken();
    expect((await salesforce(token)).status).toBe(200);
    systems.faults.inject({ system: 'salesforce', kind: 'expired_token' });
    const refused = await salesforce(token);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    // The old token stays dead; a new one works.
    expect((await salesforce(token)).status).toBe(401);
    expect((await salesforce(await salesforceToken())).status).toBe(200);
  });

  it('answers 401 in the PRM and email shapes', async () => {
    systems.faults.inject({ system: 'prm', kind: 'expired_token' });
    systems.faults.inject({ system: 'email', kind: 'expired_token' });
    const p = await prm();
    expect(p.status).toBe(401);
    expect(await p.json()).toMatchObject({ success: false, errors: [{ code: 'Unauthorized' }] });
    const e = await email();
    expect(e.status).toBe(401);
    expect(await e.json()).toMatchObject({ ErrorCode: 10 });
  });
});

describe('network_error', () => {
  it('fails the connection: fetch rejects', async () => {
    systems.faults.inject({ system: 'email', kind: 'network_error', times: 2 });
    await expect(email()).rejects.toThrow(TypeError);
    await expect(email()).rejects.toThrow(TypeError);
    expect((await email()).status).toBe(200);
  });
});

describe('narrowing faults', () => {
  it('hits only requests with the given method and path', async () => {
    systems.faults.inject({ system: 'prm', kind: 'server_error', method: 'patch', path: '/MdfRequest__co/' });
    expect((await prm('MdfRequest__co/1')).status).toBe(200);
    expect((await prm('Account/101', 'PATCH')).status).toBe(200);
    expect((await prm('MdfRequest__co/1', 'PATCH')).status).toBe(500);
    expect((await prm('MdfRequest__co/1', 'PATCH')).status).toBe(200);
  });

  it('uses the first matching fault first', async () => {
    systems.faults.inject({ system: 'prm', kind: 'rate_limit' });
    systems.faults.inject({ system: 'prm', kind: 'server_error' });
    expect((await prm()).status).toBe(429);
    expect((await prm()).status).toBe(500);
    expect((await prm()).status).toBe(200);
  });

  it('lands on the Salesforce token endpoint only when the fault names its path', async () => {
    systems.faults.inject({ system: 'salesforce', kind: 'server_error' });
    const token = await salesforceToken();
    expect((await salesforce(token)).status).toBe(500);
    systems.faults.inject({ system: 'salesforce', kind: 'server_error', path: '/oauth2/token' });
    const login = await fetch(`${SIMULATED_URLS.salesforceLogin}/services/oauth2/token`, { method: 'POST', body: 'grant_type=client_credentials' });
    expect(login.status).toBe(500);
    expect(await login.json()).toMatchObject({ error: 'server_error' });
  });

  it('is forgotten by clear() and by reset()', async () => {
    systems.faults.inject({ system: 'prm', kind: 'server_error' });
    systems.faults.clear();
    expect((await prm()).status).toBe(200);
    systems.faults.inject({ system: 'prm', kind: 'server_error' });
    systems.reset();
    systems.seed();
    expect((await prm()).status).toBe(200);
  });

  it('refuses a count that is not a positive whole number', () => {
    expect(() => systems.faults.inject({ system: 'prm', kind: 'server_error', times: 0 })).toThrow(RangeError);
  });
});

describe('a fault on one email message', () => {
  const send = (to: string, subject: string, cc = '') =>
    fetch(`${SIMULATED_URLS.email}/email`, {
      method: 'POST',
      headers: { 'X-Postmark-Server-Token': 'mock-email-token', 'content-type': 'application/json' },
      body: JSON.stringify({ From: 'mdf@partnerflow.example', To: to, Cc: cc, Subject: subject, TextBody: 'Hi' }),
    });

  it('hits only a message to that address (To or Cc, any letter case) or with that subject; other sends go through', async () => {
    systems.faults.inject({ system: 'email', kind: 'server_error', to: 'Cmm.Emea@Vendor.example', times: 2 });
    systems.faults.inject({ system: 'email', kind: 'server_error', subject: 'approval needed' });
    expect((await send('marketing@northwind.example', 'We received MDF-1001')).status).toBe(200);
    expect((await send('cmm.emea@vendor.example', 'MDF approval needed')).status).toBe(500);
    expect((await send('ops@vendor.example', 'Copy', 'CMM.EMEA@vendor.example')).status).toBe(500);
    expect((await send('cmm.emea@vendor.example', 'MDF approval needed')).status).toBe(500);
    expect((await send('cmm.emea@vendor.example', 'MDF approval needed')).status).toBe(200);
    expect(systems.email.messages().map((m) => m.subject)).toEqual(['We received MDF-1001', 'MDF approval needed']);
  });

  it('never hits the search that a sender makes after a failed send', async () => {
    systems.faults.inject({ system: 'email', kind: 'server_error', to: 'a@b.example' });
    const search = await fetch(`${SIMULATED_URLS.email}/messages/outbound?count=1&offset=0&recipient=a@b.example`, { headers: { 'X-Postmark-Server-Token': 'mock-email-token' } });
    expect(search.status).toBe(200);
    expect((await email()).status).toBe(500);
  });
});
