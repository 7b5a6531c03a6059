import type { Clock } from '../../server/engine/clock.ts';
import { asRunId, idempotencyKeyFor, asStepKey } from '../../server/engine/ids.ts';
import type { Store } from '../../server/store/store.ts';
import type { ActionContext, ConnectorDeps, Logger } from './define-connector.ts';

/** A logger that keeps every line, so a test can check that no secret reached the logs. */
export interface CapturingLogger extends Logger {
  lines: Array<{ level: string; fields: object; message?: string | undefined }>;
  /** Everything logged, as one string to search. */
  text(): string;
}

export function capturingLogger(): CapturingLogger {
  const lines: CapturingLogger['lines'] = [];
  const at = (level: string) => (fields: object, message?: string) => {
    lines.push({ level, fields, message });
  };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => JSON.stringify(lines),
  };
}

/**
 * The dependencies a connector's `connect` gets, for tests that call actions directly. Other
 * connections are absent, and the store too unless given (Marketo keeps its shared rate budget there:
 * test/support/test-store.ts); connectors that need more (email, approval) build their own.
 */
export function testDeps(clock: Clock, log: Logger = capturingLogger(), store?: Store): ConnectorDeps {
  return {
    clock,
    log,
    store: store ?? new Proxy({} as Store, {
      get: (_target, prop) => {
        throw new Error(`testDeps has no store (store.${String(prop)} was used)`);
      },
    }),
    publicBaseUrl: 'http://localhost:3000',
    timezone: 'Europe/Berlin',
    connection: (name) => {
      throw new Error(`testDeps has no connection named ${name}`);
    },
  };
}

/** An action context for one step, with the journal notes it wrote in `notes`. */
export function testContext<Connection>(connection: Connection, clock: Clock, options: { log?: Logger; signal?: AbortSignal; stepKey?: string } = {}) {
  const notes: string[] = [];
  const runId = asRunId('run_test');
  const ctx: ActionContext<Connection> = {
    connection,
    idempotencyKey: idempotencyKeyFor(runId, asStepKey(options.stepKey ?? 'step')),
    runId,
    clock,
    log: options.log ?? capturingLogger(),
    signal: options.signal ?? new AbortController().signal,
    note: (line) => notes.push(line),
  };
  return { ctx, notes };
}
