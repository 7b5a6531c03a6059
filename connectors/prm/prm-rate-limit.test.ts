import { getResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSimulatedSystems, SIMULATED_URLS } from '../../mocks/simulated-systems.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { CONNECTORS } from '../index.ts';
import { testContext, testDeps } from '../kit/action-test-context.ts';
import { prmConnector } from './index.ts';
import type { PrmClient } from './prm-client.ts';
import type { PrmConfig } from './prm-config.ts';

const clock = new VirtualClock('2026-04-20T09:00:00Z');
const systems = createSimulatedSystems({ clock });

/**
 * The simulated PRM behind a gauge: every request takes a little real time to answer, and the gauge
 * records how many were being answered at once and the (virtual) time each arrived.
 */
const prm = { inFlight: 0, peak: 0, arrivals: [] as number[], latencyMs: 20 };
const server = setupServer(
  http.all(`${new URL(SIMULATED_URLS.prm).origin}/*`, async ({ request }) => {
    prm.inFlight += 1;
    prm.peak = Math.max(prm.peak, prm.inFlight);
    prm.arrivals.push(clock.now());
    try {
      await new Promise((resolve) => setTimeout(resolve, prm.latencyMs));
      return await getResponse(systems.handlers, request);
    } finally {
      prm.inFlight -= 1;
    }
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  systems.reset();
  systems.seed();
  Object.assign(prm, { inFlight: 0, peak: 0, arrivals: [], latencyMs: 20 });
});

/** The PRM connection as `npm start --mock` would build it from these environment variables. */
function connectWith(env: Record<string, string> = {}): PrmClient {
  const config = loadConfig(env, { mock: true, connectors: CONNECTORS }).connectors.prm as PrmConfig;
  return prmConnector.connect(config, testDeps(clock)) as PrmClient;
}

/** One run's `prm.get_partner` step on a shared connection, with the notes its journal entry got. */
async function getPartner(connection: PrmClient, partnerId: number, signal?: AbortSignal) {
  const definition = prmConnector.actions.get_partner!;
  const { ctx, notes } = testContext(connection, clock, signal ? { signal } : {});
  const output = (await definition.run(definition.input.parse({ partner_id: partnerId }), ctx)) as { name: string };
  return { output, notes };
}

describe('PRM rate limiting', () => {
  it('with PRM_MAX_CONCURRENT=1, calls from parallel runs never overlap at the PRM', async () => {
    const connection = connectWith({ PRM_MAX_CONCURRENT: '1' });
    const results = await Promise.all([101, 102, 103, 104].map((id) => getPartner(connection, id)));
    expect(results.map((r) => r.output.name)).toEqual(['Northwind Cloud', 'Contoso Systems', 'Tailspin Alliances', 'Fabrikam Partners']);
    expect(prm.arrivals).toHaveLength(4);
    expect(prm.peak).toBe(1);
  });

  it('by default keeps at most 5 calls in flight and starts at most 10 in any second, shared by every run', async () => {
    const connection = connectWith();
    const start = clock.now();
    const results = await Promise.all(Array.from({ length: 12 }, () => getPartner(connection, 101)));
    expect(prm.peak).toBe(5);
    expect(prm.arrivals.map((t) => t - start)).toEqual([...Array<number>(10).fill(0), 1000, 1000]);
    // The two runs whose call waited for the next second say so in their step's journal.
    expect(results.map((r) => r.notes.join('\n'))).toEqual([...Array<string>(10).fill(''), 'waited 1.0 s for prm rate budget', 'waited 1.0 s for prm rate budget']);
  });

  it('with PRM_MAX_CALLS_PER_SECOND=2, the third call waits for the window to slide, and its journal says it waited', async () => {
    const connection = connectWith({ PRM_MAX_CALLS_PER_SECOND: '2' });
    const start = clock.now();
    const first = await getPartner(connection, 101);
    const second = await getPartner(connection, 102);
    clock.advance(400);
    const third = await getPartner(connection, 104);
    expect(third.output.name).toBe('Fabrikam Partners');
    expect(prm.arrivals.map((t) => t - start)).toEqual([0, 0, 1000]);
    expect([...first.notes, ...second.notes]).toEqual([]);
    expect(third.notes).toEqual(['waited 0.6 s for prm rate budget']);
  });

  it('gives up waiting for a slot when the step is cancelled, without calling the PRM', async () => {
    const connection = connectWith({ PRM_MAX_CONCURRENT: '1' });
    prm.latencyMs = 100;
    const busy = getPartner(connection, 101);
    const cancel = new AbortController();
    const waiting = getPartner(connection, 102, cancel.signal).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 10));
    cancel.abort(new Error('run cancelled'));
    expect(await waiting).toEqual(new Error('run cancelled'));
    await busy;
    expect(prm.arrivals).toHaveLength(1);
    // The slot the cancelled call gave up goes to the next one.
    await getPartner(connection, 102);
    expect(prm.arrivals).toHaveLength(2);
  });
});

describe('PRM rate limit configuration', () => {
  it('defaults to 10 calls a second and 5 at once, in mock mode and outside it', () => {
    expect(loadConfig({}, { mock: true, connectors: CONNECTORS }).connectors.prm).toMatchObject({ maxCallsPerSecond: 10, maxConcurrent: 5 });
    const production = {
      PUBLIC_BASE_URL: 'https://partnerflow.acme.test',
      PARTNERFLOW_API_TOKEN: 'a-token-of-at-least-16-chars',
      WEBHOOK_SECRET_PRM: 'a-secret-of-at-least-16-chars',
      PRM_BASE_URL: 'https://prm.acme.test/api/objects/v1',
      PRM_API_KEY: 'k',
      PRM_TENANT_ID: '7',
      PRM_MAX_CONCURRENT: '3',
    };
    expect(loadConfig(production, { mock: false, connectors: [prmConnector] }).connectors.prm).toMatchObject({ maxCallsPerSecond: 10, maxConcurrent: 3 });
  });

  it('refuses bad values at start, naming each variable', () => {
    const refusal = (env: Record<string, string>): string[] => {
      try {
        loadConfig(env, { mock: true, connectors: CONNECTORS });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).problems;
      }
      throw new Error('the configuration was accepted');
    };
    expect(refusal({ PRM_MAX_CALLS_PER_SECOND: 'ten', PRM_MAX_CONCURRENT: '0' })).toEqual([
      'PRM_MAX_CALLS_PER_SECOND: must be a whole number (got "ten")',
      'PRM_MAX_CONCURRENT: must be at least 1 (got "0")',
    ]);
    expect(refusal({ PRM_MAX_CALLS_PER_SECOND: '2.5' })).toEqual(['PRM_MAX_CALLS_PER_SECOND: must be a whole number (got "2.5")']);
    expect(refusal({ PRM_MAX_CALLS_PER_SECOND: '-1' })).toEqual(['PRM_MAX_CALLS_PER_SECOND: must be at least 1 (got "-1")']);
    expect(refusal({ PRM_MAX_CONCURRENT: '1000' })).toEqual(['PRM_MAX_CONCURRENT: must be at most 256 (got "1000")']);
  });
});
