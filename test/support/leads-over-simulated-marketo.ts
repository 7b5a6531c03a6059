import { useSimulatedSystems } from './simulated-systems-fixture.ts';
import { useTestStore } from './test-store.ts';
import { loadConfig } from '../../server/config.ts';
import type { VirtualClock } from '../../server/engine/clock.ts';
import type { SimulatedSystems } from '../../mocks/simulated-systems.ts';
import { CONNECTORS } from '../../connectors/index.ts';
import { capturingLogger, testDeps } from '../../connectors/kit/action-test-context.ts';
import { marketoConnector } from '../../connectors/marketo/index.ts';
import type { MarketoConfig } from '../../connectors/marketo/marketo-config.ts';
import type { MarketoConnection } from '../../connectors/marketo/marketo-connection.ts';
import type { LeadsConnection } from '../../connectors/leads/leads-connection.ts';

/**
 * The leads connector's connection with Marketo as the simulated Marketo answers it, for one test file:
 * the simulated systems (fresh before each test), a test store (Marketo's rate budget) and the mock
 * configuration. The PRM and Salesforce throw if a leads action reaches for them.
 */
export function useLeadsOverSimulatedMarketo(clock: VirtualClock): { systems: SimulatedSystems; connect(): LeadsConnection } {
  const systems = useSimulatedSystems(clock);
  const store = useTestStore();
  const connect = (): LeadsConnection => {
    const config = loadConfig({}, { mock: true, connectors: CONNECTORS }).connectors;
    const marketo = marketoConnector.connect(config.marketo as MarketoConfig, testDeps(clock, capturingLogger(), store())) as MarketoConnection;
    return { prm: () => { throw new Error('not used'); }, marketo: () => marketo, salesforce: () => { throw new Error('not used'); }, config: config.leads as LeadsConnection['config'] };
  };
  return { systems, connect };
}
