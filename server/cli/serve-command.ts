import { ConfigError, loadConfig, Port, type RuntimeConfig } from '../config.ts';
import { CONNECTORS } from '../../connectors/index.ts';
import { displayPath } from '../find-files.ts';
import { createRuntime } from '../runtime.ts';
import type { Command } from './main.ts';
import { MOCK_DB, startFreshMockStore } from './mock-store.ts';
import { keepHeapSmall, youngGenerationCapFor } from './small-heap.ts';
import { describeStartupError } from './startup-error.ts';
import { configErrorWithUnconfiguredConnectors } from '../start-problems.ts';
import { describeStoreLocation } from '../store/open-store.ts';
import { createConsoleLogger } from '../log.ts';
import type { Runtime } from '../runtime.ts';
import { StartStoppedError, type StartPhase } from '../start-stop.ts';
import { isLoopbackHost } from '../loopback-host.ts';

/** After the runtime closed, how long the process may take to end on its own before it is ended. */
const EXIT_BACKSTOP_MS = 1000;

export const serveCommand: Command = {
  usage: `Usage: partnerflow serve [--mock [--allow-remote-mock]] [--port <n>] [--host <addr>] [--db <file>]

Runs the webhook runtime: POST /webhooks/<source>, approval links, the runs API.
  --mock         use simulated PRM, Salesforce, Marketo and email with demo data, and a clock that
                 /_mock/clock/advance can move forward; no credentials needed. Only on a
                 loopback host (127.0.0.1, ::1, localhost): the runs API is open in mock mode
  --allow-remote-mock
                 let --mock listen on another interface (HOST or --host), exposing the open
                 runs API and /_mock/* to that network; a warning is printed at start
  --port <n>     HTTP port (default: PORT or 3000)
  --host <addr>  interface (default: HOST or 127.0.0.1)
  --db <file>    SQLite file of the store (default: PARTNERFLOW_DB or ./data/partnerflow.db;
                 with --mock: ./data/mock.db, never PARTNERFLOW_DB); PostgreSQL when
                 PARTNERFLOW_DATABASE_URL is set, unless --db or --mock is given

Mock mode starts fresh each time: the simulated systems start with the demo data only, and so does
its store, which is emptied at every start (runs of an earlier start are gone). It only ever
empties a file it created itself; a --db naming any other existing file is refused.

Configuration comes from environment variables (README, "Configuration"). A missing or bad value
stops the start with a message naming each variable.`,
  options: {
    mock: { type: 'boolean' },
    'allow-remote-mock': { type: 'boolean' },
    port: { type: 'string' },
    host: { type: 'string' },
    db: { type: 'string' },
  },
  async run({ values }) {
    // The flags stand in for their variables, so everything built from a variable (the approval
    // links' base URL from PORT and HOST) follows the flag too.
    const env: Record<string, string | undefined> = { ...process.env };
    // An empty flag would read as "unset" and quietly fall back to the default (another database file).
    for (const flag of ['host', 'db', 'port'] as const) {
      if (values[flag] === '') {
        console.error(`partnerflow serve: --${flag} needs a value`);
        return 2;
      }
    }
    if (values['allow-remote-mock'] === true && values.mock !== true) {
      console.error('partnerflow serve: --allow-remote-mock only applies with --mock');
      return 2;
    }
    if (typeof values.host === 'string') env.HOST = values.host;
    // --db names a SQLite file: it wins over a PostgreSQL store set in the environment.
    if (typeof values.db === 'string') {
      env.PARTNERFLOW_DB = values.db;
      delete env.PARTNERFLOW_DATABASE_URL;
    }
    // The simulated systems start empty; so must the store beside them, and never on the production one.
    // (Mock mode never opens PARTNERFLOW_DATABASE_URL either: loadConfig leaves it out.)
    else if (values.mock === true) env.PARTNERFLOW_DB = MOCK_DB;
    if (typeof values.port === 'string') {
      if (!Port.safeParse(values.port).success) {
        console.error(`partnerflow serve: --port must be a port number, got "${values.port}"`);
        return 2;
      }
      env.PORT = values.port;
    }
    let config: RuntimeConfig;
    try {
      config = loadConfig(env, { mock: values.mock === true, connectors: CONNECTORS });
    } catch (error) {
      if (error instanceof ConfigError) {
        // With the connectors the served recipes need and lack: one round of fixes, not one per start.
        console.error(await configErrorWithUnconfiguredConnectors(error));
        return 1;
      }
      throw error;
    }
    keepHeapSmall({ youngGenerationCapBytes: youngGenerationCapFor(config.database ? 'postgres' : 'sqlite') });
    // Mock mode has no API token and serves /_mock/* (which moves the clock and sends webhooks): fine
    // on this machine, an open door on a network.
    if (config.mock && !isLoopbackHost(config.host)) {
      const exposed = config.apiToken ? '/_mock/*' : 'the runs API without a token (no PARTNERFLOW_API_TOKEN) and /_mock/*';
      if (values['allow-remote-mock'] !== true) {
        console.error(
          `partnerflow serve: --mock refuses to listen on ${config.host} (HOST or --host), which would serve ${exposed} to the network; ` +
            'listen on 127.0.0.1, or add --allow-remote-mock if that network may have them',
        );
        return 1;
      }
      console.error(`partnerflow serve: WARNING: mock mode on ${config.host} (--allow-remote-mock) serves ${exposed} to every host that can reach this one`);
    }
    const log = await createConsoleLogger(config.logLevel);
    // SIGTERM / SIGINT from here on, in every phase. Before the HTTP server listens (recipes and tables
    // being loaded, the store opened and migrated, on PostgreSQL maybe after another replica's migration
    // lock) the start stops at its next safe point (startStop: a lock wait is abandoned, a migration under
    // way commits first), closes what it opened and exits 0, logging the phase. From the listen on, the
    // start may wait long for its worker id (a holder's heartbeat, a store that fails) while the HTTP
    // server already stores webhooks, and a signal then must not end the process mid-answer (Node's
    // default): the runtime's close stops the wait and answers the requests in progress. The first
    // signal stops gracefully; a second one (no listener any more) ends the process at once, as Node does.
    const startStop = new AbortController();
    let phase: StartPhase | 'taking the worker id' = 'loading the recipes and tables';
    let stopSignal: string | undefined;
    let stoppingAt = 0;
    let runtime: Runtime | undefined;
    let exitWith!: (code: number) => void;
    const exited = new Promise<number>((resolve) => (exitWith = resolve));
    // Whether the start failed (it closes the runtime itself and exits 1) or is over ("ready" said).
    let failed = false;
    let ready = false;
    let closing = false;
    const exit = (code: number) => {
      exitWith(code);
      // Everything of the runtime is closed; something left behind (a shared token request still waiting
      // for its answer) must not hold the exit: the process ends a moment later even so.
      setTimeout(() => process.exit(code), EXIT_BACKSTOP_MS).unref();
    };
    const shutdown = (signal: string) => {
      // A start that failed closes the runtime itself and exits 1.
      if (closing || failed) return;
      closing = true;
      // Whichever signal comes next (SIGTERM or SIGINT) finds no listener: Node ends the process at once.
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
      stopSignal = signal;
      stoppingAt = performance.now();
      // Not listening yet: the start stops at its next safe point (createRuntime rejects with StartStoppedError).
      if (!runtime) {
        startStop.abort();
        return;
      }
      const running = runtime;
      running.log.info({ signal, graceMs: config.shutdownGraceMs, ...(!ready && { duringStart: true, phase }) }, 'shutting down: claiming no more runs, finishing the turns in flight');
      // A start still waiting for its worker id stops waiting (the engine's stop aborts the take).
      running.close().then(
        () => {
          releaseMockStore();
          running.log.info({ signal, ms: Math.round(performance.now() - stoppingAt) }, 'stopped');
          exit(0);
        },
        (error: unknown) => {
          running.log.error({ error: (error as Error).message }, 'shutdown failed');
          exit(1);
        },
      );
    };
    const onSigint = () => shutdown('SIGINT');
    const onSigterm = () => shutdown('SIGTERM');
    process.once('SIGINT', onSigint);
    process.once('SIGTERM', onSigterm);
    /** The one line of a start a signal stopped before it listened, with the migrations it let commit first. */
    const stoppedBeforeListening = (migrated: string[], error?: string): number => {
      releaseMockStore();
      log.info(
        { signal: stopSignal, phase, ms: Math.round(performance.now() - stoppingAt), ...(migrated.length > 0 && { migrated }), ...(error !== undefined && { error }) },
        `stopped during the start, while ${phase}: nothing was served`,
      );
      exit(0);
      return 0;
    };

    // Mock mode's store is locked to this process from its erasing until the runtime has closed it.
    let releaseMockStore = () => {};
    let migrated: string[] = [];
    try {
      if (config.mock) releaseMockStore = startFreshMockStore(config.dbPath);
      runtime = await createRuntime({
        config,
        log,
        startSignal: startStop.signal,
        // The phase a signal finds the start in is the one the log names.
        onStartPhase: (next) => {
          if (!closing) phase = next;
        },
        onMigrated: (names) => (migrated = names),
      });
    } catch (error) {
      if (error instanceof StartStoppedError) return stoppedBeforeListening(migrated);
      // Asked to stop while a step of the start could not be cut short (a connection that waits for its
      // timeout): the step failing after the signal is not a failed start; its error is on the stop line.
      if (startStop.signal.aborted) return stoppedBeforeListening(migrated, describeStartupError(error, { dbSetting: typeof values.db === 'string' ? '--db' : 'PARTNERFLOW_DB' }));
      releaseMockStore();
      console.error(describeStartupError(error, { dbSetting: typeof values.db === 'string' ? '--db' : 'PARTNERFLOW_DB' }));
      return 1;
    }
    // A signal the last safe point did not see (none comes between it and here; kept for safety).
    if (closing) {
      await runtime.close();
      return stoppedBeforeListening(migrated);
    }
    phase = 'taking the worker id';
    const started = runtime;
    const failStart = async (say: () => void): Promise<number> => {
      failed = true;
      await started.close();
      releaseMockStore();
      say();
      return 1;
    };

    let port: number;
    try {
      ({ port } = await runtime.listen());
      if (closing) return exited;
    } catch (error) {
      // A signal as the server started listening: the runtime's close rejected the listen, and decides the exit.
      if (closing) return exited;
      const code = (error as NodeJS.ErrnoException).code;
      return failStart(() => {
        if (code === 'EADDRINUSE') console.error(`partnerflow: cannot start: ${config.host}:${config.port} is already in use (another partnerflow?); choose another with --port or PORT`);
        else if (code === 'EACCES') console.error(`partnerflow: cannot start: not allowed to listen on ${config.host}:${config.port}; choose a port above 1023 with --port or PORT`);
        else console.error(`partnerflow: cannot start: listening on ${config.host}:${config.port} failed: ${(error as Error).message}`);
      });
    }
    try {
      await runtime.start();
    } catch (error) {
      // Shutting down already: the runtime's close is under way and decides the exit.
      if (closing) return exited;
      // Another live process holds PARTNERFLOW_WORKER_ID (engine/worker-id-claim.ts): its runs stay its own.
      return failStart(() => console.error(`partnerflow: cannot start: ${(error as Error).message}`));
    }
    // A signal during the start: it resolved without running (the stop ended its wait); never "ready".
    if (closing) return exited;
    ready = true;
    const readyMs = Math.round(performance.now());
    runtime.log.info(
      { port, mock: config.mock, recipes: runtime.engine.recipes.list().map((r) => r.definition.name), readyMs, store: runtime.store.kind, db: describeStoreLocation(config) },
      `partnerflow ready on http://${config.host}:${port}${config.mock ? ` (mock mode: simulated PRM, Salesforce, Marketo and email with the demo data, and an empty store in ${displayPath(config.dbPath)}; all of it starts fresh at every start)` : ''}`,
    );
    return exited;
  },
};
