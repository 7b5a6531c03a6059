import { Hono, type Context } from 'hono';
import type { BlankEnv } from 'hono/types';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import type { RuntimeConfig } from '../config.ts';
import type { OffsetClock } from '../engine/clock.ts';
import type { Engine } from '../engine/engine.ts';
import type { Recipe } from '../../schemas/recipe.ts';
import type { Tables } from '../engine/tables.ts';
import type { RecipeFileCheck } from '../recipes/check-recipe-files.ts';
import type { TableFilesCheck } from '../recipes/check-table-files.ts';
import { approvalRoutes } from './approvals.ts';
import { errorHandler, notFoundHandler, pathForLog } from './errors.ts';
import { storeRefusalLog } from './store-refusal-log.ts';
import { healthAndMetricsRoutes } from './health-and-metrics.ts';
import { mockRoutes } from './mock-routes.ts';
import { testClockRoutes } from './test-clock-routes.ts';
import { outboxRoutes } from './outbox.ts';
import { openapiRoutes } from './openapi.ts';
import { recipeAndTimerRoutes } from './recipes-and-timers.ts';
import { requestId } from './request-id.ts';
import { runRoutes } from './runs.ts';
import { leadImportRoutes } from './lead-imports.ts';
import { webhookRoutes } from './webhooks.ts';

/** What `serve --mock` adds: the simulated systems and a clock that can be moved forward. */
export interface MockDeps {
  systems: {
    /** Every simulated system's records (`GET /_mock/records`). */
    snapshot(): unknown;
    email: { messages(): readonly unknown[] };
    /** The simulated PRM's MDF requests and claims, which `POST /_mock/prm/webhooks` sends as the PRM would. */
    prm: {
      findMdfRequest(mdfNumber: string): unknown;
      /** `PATCH /_mock/prm/mdf_requests/:mdf_number`: ops change a request; undefined when there is none. */
      updateMdfRequest(mdfNumber: string, set: Record<string, unknown>): unknown;
      mdfClaims(): Array<{ id: number }>;
      /** The claims with exactly this title, lowest id first. */
      findMdfClaimsByTitle(title: string): unknown[];
      /** `POST /_mock/prm/claims`: a partner submits a claim. */
      addMdfClaim(claim: { mdfNumber: string } & Record<string, unknown>): unknown;
      /** `PATCH /_mock/prm/claims/:id`: ops change a claim; undefined when there is none. */
      updateMdfClaim(id: number, set: Record<string, unknown>): unknown;
      /** The partner-facing leads (`PATCH /_mock/prm/leads/:id`). */
      leads(): Array<Record<string, unknown>>;
      /** `PATCH /_mock/prm/leads/:id`: a partner works a lead; bumps its updated. */
      updateLead(id: number, set: Record<string, unknown>): Record<string, unknown> | undefined;
    };
    /** The simulated org, which `PATCH /_mock/salesforce/...` edits as a person in finance or ops does. */
    salesforce: {
      records(object: string): Array<Record<string, unknown>>;
      objects(): string[];
      /** A checked update made by a person (not the integration user), so the Salesforce poll sees it. */
      update(object: string, id: string, set: Record<string, unknown>): { ok: true } | { ok: false; errors: string[] };
    };
  };
  clock: { now(): number };
  /** Moves virtual time forward by an ISO 8601 duration and runs the work that falls due on the way. */
  advance(isoDuration: string): Promise<void>;
}

export interface AppDeps {
  engine: Engine;
  config: RuntimeConfig;
  log: Logger;
  /**
   * What the approval pages need from the approval connector: the secret tokens are checked against
   * (APPROVAL_LINK_SECRET) and the business calendar's zone, in which every time on a page is written.
   */
  approvalLinks: { linkSecret: string; timezone: string };
  /** Present in mock mode only; without it the `/_mock` routes do not exist. */
  mock?: MockDeps;
  /**
   * Real time in ms (performance.now() by default), with which the logs of a store outage (the health
   * check's, the webhooks refused 503) count their minutes; a test passes its own to let an hour pass.
   * Not the engine's clock, which may be virtual and stand still.
   */
  realNow?: () => number;
  /** TEST ONLY (PARTNERFLOW_TEST_CLOCK_OFFSET_MS): the clock `PUT /_test/clock` moves; without it the route does not exist. */
  testClock?: OffsetClock;
  /**
   * Checks the recipe files as they are on disk now, as a start would (the console's recipes page shows
   * a broken edit before it is deployed); absent when the recipes were given in code. `tableRows`: the
   * table rows as they are on disk now (a template name a table column gives is checked against them,
   * as the next start would); without them, the rows read at start.
   */
  checkRecipeFiles?: (tableRows?: Pick<Tables, 'rows'>) => Promise<RecipeFileCheck[]>;
  /**
   * The folder the runtime read its tables from at start (TABLES_DIR), and a check of its files as they
   * are on disk now against the given recipes, as `validate` and a start check them (the console's
   * recipes page shows an edit's problem before a restart is refused); absent when the tables were given in code.
   */
  tableFiles?: { dir: string; check(recipes: readonly { definition: Recipe; file: string }[]): TableFilesCheck };
}

/** `c.get('requestId')` is typed by request-id.ts's augmentation of ContextVariableMap. */
export type AppEnv = BlankEnv;

/**
 * The HTTP face of the runtime, a thin layer over the engine: each concern is its own file and its
 * own little Hono app, composed here. Requests carry an `X-Request-Id` (taken from the caller when
 * it sends a sane one) that the logs and error answers repeat.
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono<AppEnv>();
  // Requests refused because the store cannot serve, said at most once a minute whichever route refused them.
  const storeRefused = storeRefusalLog(deps.log, deps.realNow);
  app.use(requestId());
  // A line per request is for debugging; at other levels the middleware is not installed at all.
  if (deps.log.isLevelEnabled?.('debug') ?? true) {
    app.use(async (c, next) => {
      const started = performance.now();
      await next();
      deps.log.debug({ requestId: c.get('requestId'), method: c.req.method, path: pathForLog(c.req.path), status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
    });
  }

  // The ops console (HTML, not part of the JSON API and its OpenAPI document), loaded on its first
  // request: a runtime nobody looks at never loads its pages. `/` is the console's: it redirects there.
  let consoleApp: Promise<{ fetch: (request: Request, env: { requestId: string }) => Response | Promise<Response> }> | undefined;
  const openConsole = (c: Context) =>
    (consoleApp ??= import('../console/console-routes.ts').then((m) => m.consoleRoutes(deps, storeRefused))).then((a) => a.fetch(c.req.raw, { requestId: c.get('requestId') }));
  app.all('/', openConsole);
  app.all('/console', openConsole);
  app.all('/console/*', openConsole);

  app.route('/', webhookRoutes(deps));
  app.route('/', approvalRoutes(deps, storeRefused));
  app.route('/', runRoutes(deps));
  app.route('/', outboxRoutes(deps));
  app.route('/', leadImportRoutes(deps));
  app.route('/', recipeAndTimerRoutes(deps));
  app.route('/', healthAndMetricsRoutes(deps));
  app.route('/', openapiRoutes({ mock: deps.mock !== undefined, serverUrl: deps.config.publicBaseUrl }));
  if (deps.mock) {
    // The simulated PRM's outbound webhook goes through the real webhook route: signed, validated, deduplicated.
    const prmSecret = deps.config.webhookSecrets.prm;
    app.route('/', mockRoutes(deps.mock, { dispatch: (request) => app.fetch(request), prmWebhookSecret: prmSecret }));
  }

  if (deps.testClock) app.route('/', testClockRoutes(deps, deps.testClock));

  app.onError(errorHandler(deps.log, storeRefused));
  app.notFound(notFoundHandler);
  return app;
}
