import type { ApprovalConnection } from '../connectors/approval/approval-connection.ts';
import { setMaxListeners } from 'node:events';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { CONNECTORS } from '../connectors/index.ts';
import type { Logger } from '../connectors/kit/define-connector.ts';
import type { SimulatedSystems } from '../mocks/simulated-systems.ts';
import type { Recipe } from '../schemas/recipe.ts';
import type { RuntimeConfig } from './config.ts';
import { advanceTime } from './engine/advance-time.ts';
import { addIsoDuration } from './engine/business-calendar.ts';
import { OffsetClock, systemClock, type Clock } from './engine/clock.ts';
import { setExpressionLimits } from './engine/expression-limits.ts';
import { ConnectorCatalog } from './engine/connector-registry.ts';
import { Engine } from './engine/engine.ts';
import { loadedRecipe, RecipeSet } from './engine/recipe-set.ts';
import { loadTables, TableError, type Tables } from './engine/tables.ts';
import { recipeTableProblems } from './engine/table-keys.ts';
import { createApp } from './http/app.ts';
import { logLifecycle } from './lifecycle-log.ts';
import { createConsoleLogger } from './log.ts';
import { checkConfiguredConnectors } from './recipes/check-configured-connectors.ts';
import { loadRecipes, RecipeLoadError } from './recipes/load-recipes.ts';
import { checkRecipeFiles } from './recipes/check-recipe-files.ts';
import { checkTableFiles } from './recipes/check-table-files.ts';
import { findRecipeFiles } from './find-files.ts';
import { openRuntimeStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';
import { startSafePoint, StartStoppedError, type OnStartPhase } from './start-stop.ts';

export interface RuntimeOptions {
  config: RuntimeConfig;
  log?: Logger;
  /** Mock mode defaults to a clock that runs in real time and can be moved forward. */
  clock?: Clock & { advance?(ms: number): void };
  store?: Store;
  /** Recipes given directly (harness); otherwise loaded from `config.recipesDir`. */
  recipes?: Array<{ definition: Recipe; file: string }>;
  tables?: Tables;
  /** Simulated systems to use in mock mode; created and seeded with demo data when omitted. */
  systems?: SimulatedSystems;
  /** Whether mock mode installs the MSW interceptor itself (the harness installs it once per process). */
  interceptNetwork?: boolean;
  /**
   * serve's SIGTERM/SIGINT before it listens: the start stops at its next safe point (recipes read, the
   * store's migrations committed, a wait for another replica's migration lock abandoned), closes what it
   * opened and rejects with StartStoppedError.
   */
  startSignal?: AbortSignal;
  /** Told each phase of the start as it begins (what serve names when a signal stops it). */
  onStartPhase?: OnStartPhase;
  /** Told the migrations the store's open applied (none when the schema was current). */
  onMigrated?: (names: string[]) => void;
}

/** Everything a running Partnerflow is made of, wired together. The CLI, the harness and tests build one. */
export interface Runtime {
  config: RuntimeConfig;
  log: Logger;
  clock: Clock;
  store: Store;
  engine: Engine;
  app: Hono;
  catalog: ConnectorCatalog;
  systems: SimulatedSystems | null;
  /**
   * Starts the worker loop (not the HTTP server). Resolves once the worker id is this process's and the
   * loop runs (up to 6 s after a kill of the process that held it, or once the store answers again); rejects with WorkerIdInUseError when
   * a live process holds PARTNERFLOW_WORKER_ID (engine/worker-id-claim.ts).
   */
  start(): Promise<void>;
  /** Serves HTTP on config.host:port; resolves once listening; rejects if close() comes first. */
  listen(): Promise<{ port: number }>;
  close(): Promise<void>;
}

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, startSignal } = options;
  const log = options.log ?? (await createConsoleLogger(config.logLevel));
  options.onStartPhase?.('loading the recipes and tables');
  // Process-wide: every expression and email template of this process works under it.
  setExpressionLimits({ maxSteps: config.expressionMaxSteps });
  const catalog = new ConnectorCatalog(CONNECTORS);
  const tables = options.tables ?? loadTables(config.tablesDir);
  const definitions = options.recipes ?? (await loadRecipes(config.recipesDir, { catalog, tables: tables.names(), tablesDir: options.tables ? undefined : config.tablesDir, connectorConfigs: config.connectors, tableRows: tables }));
  // One row per key a lookup reads a table by, each offset day once: a start on such a table would
  // leave a row ops added ignored without a word.
  const tableProblems = recipeTableProblems(definitions, tables, options.tables ? 'tables' : config.tablesDir);
  if (tableProblems.length > 0) throw new TableError(tableProblems.join('\n'));
  // Before anything is opened: a recipe that uses a connector this deployment has not configured could
  // only fail at that step of every run, so the start names the recipe, its use and the variables to set.
  const unconfigured = definitions.flatMap((r) => checkConfiguredConnectors(r.definition, r.file, catalog, config));
  if (unconfigured.length > 0) throw new RecipeLoadError(unconfigured);
  // TEST ONLY: the replica test's movable clock (the configuration refuses it off loopback and in mock mode).
  const testClock = !options.clock && !config.mock && config.testClockOffsetMs !== undefined ? new OffsetClock(config.testClockOffsetMs) : undefined;
  const clock = options.clock ?? testClock ?? (config.mock ? new OffsetClock() : systemClock);
  if (testClock) log.warn({ offsetMs: testClock.offsetMs, now: new Date(testClock.now()).toISOString() }, 'TEST CLOCK: this process runs ahead of real time and PUT /_test/clock moves it (PARTNERFLOW_TEST_CLOCK_OFFSET_MS); never in production');
  await startSafePoint(startSignal);
  options.onStartPhase?.('opening the store');
  const store = options.store ?? (await openRuntimeStore(config, log, { signal: startSignal, onPhase: options.onStartPhase, onMigrated: options.onMigrated }));

  let systems: SimulatedSystems | null = null;
  let stopInterceptor: (() => void) | null = null;
  if (config.mock) {
    // Loaded only in mock mode: a production runtime never loads MSW or the simulated systems.
    const { createSimulatedSystems, startSimulatedSystems } = await import('../mocks/simulated-systems.ts');
    systems = options.systems ?? createSimulatedSystems({ clock });
    if (!options.systems) systems.seed();
    if (options.interceptNetwork !== false) stopInterceptor = startSimulatedSystems(systems).close;
  }

  const recipes = new RecipeSet(
    definitions.map((r) => loadedRecipe(r.definition, r.file)),
    store,
  );
  options.onStartPhase?.('storing the recipe versions');
  await recipes.persist(clock.now());
  // The last safe point before the runtime exists: what the start opened is closed again (its own store only).
  try {
    await startSafePoint(startSignal);
  } catch (error) {
    if (!(error instanceof StartStoppedError)) throw error;
    stopInterceptor?.();
    if (!options.store) await store.close();
    throw error;
  }
  // runs.start creates runs through the engine, which needs the connectors first: bound at call time.
  let engineRef: Engine | undefined;
  const startRun = (recipe: string, data: unknown, o: { dedupKey: string; startedBy?: string; businessKey?: string }) =>
    engineRef!.startRun(recipe, data, { dedupKey: o.dedupKey, type: 'run', startedBy: o.startedBy, ...(o.businessKey === undefined ? {} : { correlationKey: o.businessKey }) });
  // runs.announce_write: the runtime's own write, delivered as the event its system may or may not echo.
  const announceWrite = (source: string, event: string, data: unknown, deliveryId: string) => engineRef!.deliver({ source, event, data, deliveryId });
  // Aborted at close (SIGTERM): the connectors' HTTP clients start no further attempt and no retry wait.
  const stopping = new AbortController();
  // Every call under way listens on it until it ends (up to WORKER_MAX_CONCURRENCY turns and the polls at once,
  // each listener removed when its call ends): more than Node's default of 10 is expected, not a leak.
  setMaxListeners(0, stopping.signal);
  const connectors = catalog.connect(config.connectors, { clock, log, store, publicBaseUrl: config.publicBaseUrl, timezone: tables.calendar.timezone, startRun, announceWrite, stopping: stopping.signal }, config.notConfigured);
  const engine = (engineRef = new Engine({ store, clock, recipes, connectors, tables, log, concurrency: config.workerConcurrency, maxConcurrency: config.workerMaxConcurrency, workerId: config.workerId, leaseMs: config.leaseMs, ...(store.listenForWakeups ? { pollMs: config.safetyPollMs } : {}),
    // Without info lines to write, the engine builds no events (and still logs a failed run at warn).
    onLifecycle: log.isLevelEnabled?.('info') === false ? undefined : logLifecycle(log),
  }));

  const movable = clock as Clock & { advance?(ms: number): void };
  const app = createApp({
    engine,
    config,
    log,
    approvalLinks: connectors.connections.get('approval') as ApprovalConnection,
    // The console's recipes page: the files as they are on disk now, checked as this start checked them.
    ...(options.recipes === undefined && { checkRecipeFiles: (onDisk?: Pick<Tables, 'rows'>) => checkRecipeFiles(findRecipeFiles([config.recipesDir]), { catalog, tables: tables.names(), tablesDir: options.tables ? undefined : config.tablesDir, connectorConfigs: config.connectors, tableRows: onDisk ?? tables }) }),
    // And its table files, read at start and never again: an edit on disk is checked as the next start would check it.
    ...(options.tables === undefined && { tableFiles: { dir: config.tablesDir, check: (recipes: readonly { definition: Recipe; file: string }[]) => checkTableFiles(config.tablesDir, recipes) } }),
    ...(testClock && { testClock }),
    mock:
      systems && movable.advance
        ? {
            systems,
            clock: movable as Clock & { advance(ms: number): void },
            advance: (iso: string) => advanceTime(engine, movable as Clock & { advance(ms: number): void }, addIsoDuration(movable.now(), iso) - movable.now()),
          }
        : undefined,
  });

  let server: ServerType | null = null;
  /** A listen() not answered yet: close() settles it. */
  let pendingListen: { reject(error: Error): void } | null = null;
  // Requests whose handler has not answered yet: at close, the store stays open until they end (or a bound passes).
  const handling = new Set<Promise<unknown>>();
  const fetch = (request: Request, env: unknown): Response | Promise<Response> => {
    const answer = app.fetch(request, env);
    if (!(answer instanceof Promise)) return answer;
    const settled = answer.then(
      () => {},
      () => {},
    );
    handling.add(settled);
    void settled.then(() => handling.delete(settled));
    return answer;
  };
  return {
    config,
    log,
    clock,
    store,
    engine,
    app,
    catalog,
    systems,
    start: () => engine.start(),
    listen: () =>
      new Promise((resolve, reject) => {
        pendingListen = { reject };
        server = serve({ fetch, hostname: config.host, port: config.port }, (info) => {
          pendingListen = null;
          resolve({ port: info.port });
        });
        server.once('error', (error) => {
          pendingListen = null;
          reject(error);
        });
      }),
    async close() {
      // At once, together: no claim, no connector retry, no new connection; the HTTP server's requests in
      // progress get config.shutdownGraceMs (webhooks then still store their runs, for any replica to run).
      stopping.abort();
      // A listen under way may never be answered once its server closes: it rejects now instead.
      pendingListen?.reject(new Error('the runtime closed before its HTTP server was listening'));
      pendingListen = null;
      const httpClosed = closeHttp(server, config.shutdownGraceMs, handling);
      await Promise.all([engine.stop({ intakeClosed: httpClosed }), httpClosed]);
      stopInterceptor?.();
      await store.close();
    },
  };
}

/** How long a request's handler may run on after its connection was closed at the end of the grace (a store write finishing). */
const HANDLER_SETTLE_MS = 2000;

/**
 * Closes the HTTP server for a shutdown: no new connection; idle keep-alive connections closed now; a
 * connection with a request in progress (or half a request: a slow or stalled client) closed once it is
 * answered or `graceMs` has passed, whichever is first. Resolves once every connection is closed and the
 * handlers still running have ended (at most HANDLER_SETTLE_MS later): then nothing uses the store.
 */
async function closeHttp(server: ServerType | null, graceMs: number, handling: ReadonlySet<Promise<unknown>>): Promise<void> {
  if (!server) return;
  const http = server as ServerType & { closeIdleConnections?(): void; closeAllConnections?(): void };
  const grace = setTimeout(() => http.closeAllConnections?.(), graceMs);
  try {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      http.closeIdleConnections?.();
    });
  } finally {
    clearTimeout(grace);
  }
  let bound: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all([...handling]), new Promise((resolve) => (bound = setTimeout(resolve, HANDLER_SETTLE_MS)))]);
  clearTimeout(bound);
}
