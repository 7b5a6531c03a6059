import { Writable } from 'node:stream';
import { CONNECTORS } from '../../connectors/index.ts';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/log.ts';
import { createRuntime, type Runtime } from '../../server/runtime.ts';

/** A log line as pino writes it: JSON with at least its message. */
export type LogLine = Record<string, unknown> & { msg: string };

/**
 * The runtime `serve --mock` builds (in-memory store), logging at `info` into `lines`, parsed from pino's
 * JSON, for tests of what an operator reads in the log. The caller closes the runtime.
 */
export async function createLoggedRuntime<L extends LogLine = LogLine>(): Promise<{ runtime: Runtime; lines: L[] }> {
  const lines: L[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as L);
      done();
    },
  });
  const config = loadConfig({}, { mock: true, connectors: CONNECTORS, overrides: { dbPath: ':memory:', logLevel: 'info' } });
  const runtime = await createRuntime({ config, log: createLogger('info', destination) });
  return { runtime, lines };
}
