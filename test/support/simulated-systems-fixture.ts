import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createSimulatedSystems, startSimulatedSystems, type SimulatedSystems } from '../../mocks/simulated-systems.ts';
import type { Clock } from '../../server/engine/clock.ts';

/**
 * The simulated PRM, Salesforce, Marketo and email behind MSW for one test file: intercepting from the first
 * test to the last, emptied and seeded with the demo data (no faults pending) before each test.
 */
export function useSimulatedSystems(clock: Clock): SimulatedSystems {
  const systems = createSimulatedSystems({ clock });
  let server: { close(): void } | undefined;
  beforeAll(() => {
    server = startSimulatedSystems(systems);
  });
  afterAll(() => server?.close());
  beforeEach(() => {
    systems.reset();
    systems.seed();
  });
  return systems;
}
