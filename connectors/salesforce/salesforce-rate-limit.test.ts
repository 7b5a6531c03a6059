import { getResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSimulatedSystems, SIMULATED_URLS } from '../../mocks/simulated-systems.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { CONNECTORS } from '../index.ts';
import { testContext, testDeps } from '../kit/action-test-context.ts';
import { salesforceConnector } from './index.ts';
import type { SalesforceConfig } from './salesforce-config.ts';
import type { SalesforceConnection } from './salesforce-connection.ts';

const clock = new VirtualClock('2026-04-20T09:00:00Z');
const systems = createSimulatedSystems({ clock });

/**
 * The simulated org's API host behind a gauge: every API call takes a little real time to answer, and
 * the gauge records how many were being answered at once. The login host (token grant) is not gauged.
 */
const api = { inFlight: 0, peak: 0, arrivals: [] as number[] };
const server = setupServer(
  http.all(`${SIMULATED_URLS.salesforceInstance}/services/data/*`, async ({ request }) => {
    api.inFlight += 1;
    api.peak = Math.max(api.peak, api.inFlight);
    api.arrivals.push(clock.now());
    try {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return await getResponse(systems.handlers, request);
    } finally {
      api.inFlight -= 1;
    }
  }),
  ...systems.handlers,
);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  systems.reset();
  systems.seed();
  Object.assign(api, { inFlight: 0, peak: 0, arrivals: [] });
});

/** The Salesforce connection as `npm start --mock` would build it from these environment variables. */
function connectWith(env: Record<string, string> = {}): SalesforceConnection {
  const config = loadConfig(env, { mock: true, connectors: CONNECTORS }).connectors.salesforce as SalesforceConfig;
  return salesforceConnector.connect(config, testDeps(clock)) as SalesforceConnection;
}

/** One run's `salesforce.upsert_fund_request` step on a shared connection, with its journal notes. */
async function upsert(connection: SalesforceConnection, mdfNumber: string) {
  const definition = salesforceConnector.actions.upsert_fund_request!;
  const { ctx, notes } = testContext(connection, clock);
  const fields = { Title: `${mdfNumber}: Partner summit`, RequestedAmount: 5000, Activity: 'Event', ChannelPartnerId: 'a0B5g00000AbCdEfGH', Status: 'Draft' };
  const output = (await definition.run(definition.input.parse({ mdf_number: mdfNumber, fields }), ctx)) as { id: string; created: boolean };
  return { output, notes };
}

const fundRequestsFor = (mdfNumber: string) => systems.salesforce.records('PartnerFundRequest').filter((r) => r.MDF_Number__c === mdfNumber);

describe('Salesforce concurrency limit', () => {
  it('with SALESFORCE_MAX_CONCURRENT=1, API calls from parallel runs never overlap at the org, and the token grant of the first call does not hold them up', async () => {
    const connection = connectWith({ SALESFORCE_MAX_CONCURRENT: '1' });
    const numbers = ['MDF-8001', 'MDF-8002', 'MDF-8003', 'MDF-8004'];
    const results = await Promise.all(numbers.map((n) => upsert(connection, n)));
    expect(results.map((r) => r.output.created)).toEqual([true, true, true, true]);
    for (const n of numbers) expect(fundRequestsFor(n)).toHaveLength(1);
    expect(api.arrivals).toHaveLength(4);
    expect(api.peak).toBe(1);
  });

  it('with SALESFORCE_MAX_CONCURRENT=1, parallel runs whose session expired get a new one and finish', async () => {
    const connection = connectWith({ SALESFORCE_MAX_CONCURRENT: '1' });
    await upsert(connection, 'MDF-8010');
    systems.faults.inject({ system: 'salesforce', kind: 'expired_token' });
    const [a, b] = await Promise.all([upsert(connection, 'MDF-8011'), upsert(connection, 'MDF-8012')]);
    expect([a.output.created, b.output.created]).toEqual([true, true]);
    expect(a.notes.join('\n')).toMatch(/session expired; got a new token/);
    expect(api.peak).toBe(1);
  });

  it('by default keeps at most 10 calls in flight, with no per-second cap (Salesforce has none)', async () => {
    const connection = connectWith();
    const start = clock.now();
    const results = await Promise.all(Array.from({ length: 15 }, (_, i) => upsert(connection, `MDF-82${String(i).padStart(2, '0')}`)));
    expect(results.every((r) => r.output.created)).toBe(true);
    expect(api.peak).toBe(10);
    expect(api.arrivals.every((t) => t === start)).toBe(true);
  });
});

describe('Salesforce concurrency limit configuration', () => {
  it('defaults to 10 calls in flight', () => {
    expect(loadConfig({}, { mock: true, connectors: CONNECTORS }).connectors.salesforce).toMatchObject({ maxConcurrent: 10 });
    const production = {
      PUBLIC_BASE_URL: 'https://partnerflow.acme.test',
      PARTNERFLOW_API_TOKEN: 'a-token-of-at-least-16-chars',
      SALESFORCE_LOGIN_URL: 'https://acme.my.salesforce.com',
      SALESFORCE_CLIENT_ID: 'id',
      SALESFORCE_CLIENT_SECRET: 'secret',
    };
    expect(loadConfig(production, { mock: false, connectors: [salesforceConnector] }).connectors.salesforce).toMatchObject({ maxConcurrent: 10 });
    expect(loadConfig({ ...production, SALESFORCE_MAX_CONCURRENT: '25' }, { mock: false, connectors: [salesforceConnector] }).connectors.salesforce).toMatchObject({ maxConcurrent: 25 });
  });

  it('refuses bad values at start, naming the variable', () => {
    const refusal = (value: string): string[] => {
      try {
        loadConfig({ SALESFORCE_MAX_CONCURRENT: value }, { mock: true, connectors: CONNECTORS });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).problems;
      }
      throw new Error(`SALESFORCE_MAX_CONCURRENT=${value} was accepted`);
    };
    expect(refusal('lots')).toEqual(['SALESFORCE_MAX_CONCURRENT: must be a whole number (got "lots")']);
    expect(refusal('0')).toEqual(['SALESFORCE_MAX_CONCURRENT: must be at least 1 (got "0")']);
    expect(refusal('1.5')).toEqual(['SALESFORCE_MAX_CONCURRENT: must be a whole number (got "1.5")']);
    expect(refusal('1000')).toEqual(['SALESFORCE_MAX_CONCURRENT: must be at most 256 (got "1000")']);
  });
});
