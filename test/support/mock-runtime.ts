import { afterEach } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { loadConfig } from '../../server/config.ts';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../server/runtime.ts';

/**
 * The runtime `npm start` builds (mock mode: the shipped recipes and tables, the demo data), on an
 * in-memory store, for the tests of one file: each call starts one, closed after its test.
 */
export function useMockRuntime(): (options?: Omit<RuntimeOptions, 'config'>) => Promise<Runtime> {
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
  });
  return async (options = {}) => {
    const config = loadConfig({}, { mock: true, connectors: CONNECTORS, overrides: { dbPath: ':memory:', logLevel: 'silent' } });
    return (runtime = await createRuntime({ ...options, config }));
  };
}
