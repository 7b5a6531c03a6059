import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { ConnectorDefinition } from '../connectors/kit/define-connector.ts';
import { MOCK_APPROVAL_LINK_SECRET } from '../connectors/approval/approval-token.ts';
import { isSecretName } from '../connectors/kit/secret-names.ts';
import { DEFAULT_EXPRESSION_LIMITS } from './engine/expression-limits.ts';
import { isLoopbackHost } from './loopback-host.ts';
import { databaseUrlProblem } from './store/database-url.ts';

/**
 * Runtime configuration, read from environment variables once at start. Every bad or missing value is
 * reported together, each by its variable name, and the process refuses to start. In mock mode the
 * connectors point at the simulated systems and no secret is needed. Outside it, a connector none of
 * whose variables is set is "not configured" rather than wrong: only a recipe that uses it stops the
 * start (server/recipes/check-configured-connectors.ts), so a deployment sets only what its recipes use.
 */
export interface RuntimeConfig {
  mock: boolean;
  host: string;
  port: number;
  /** SQLite file of the embedded store. */
  dbPath: string;
  /**
   * The PostgreSQL store (PARTNERFLOW_DATABASE_URL), shared by every replica; unset: the SQLite store
   * at `dbPath`. Never in mock mode, which empties its store at every start. `url` is a secret (its
   * password): show it through redactDatabaseUrl (store/postgres-store.ts).
   */
  database?: { url: string; poolSize: number; statementTimeoutMs: number; preparedStatements: boolean };
  /** Where approval links point; never taken from a request's Host header. */
  publicBaseUrl: string;
  recipesDir: string;
  tablesDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Bearer token for the runs, recipes, timers and metrics API; null leaves them open (mock mode). */
  apiToken: string | null;
  /** HMAC secrets for POST /webhooks/:source, by source; a source without one is refused (404). */
  webhookSecrets: Record<string, string>;
  maxBodyBytes: number;
  workerConcurrency: number;
  /** Most runs executed at once while intake keeps storing runs (the engine's worker-slots.ts). */
  workerMaxConcurrency: number;
  /** Webhooks get 503 while this many runs (or more) are due and not started. */
  maxDueBacklog: number;
  /** Webhooks get 503 while the oldest due run is later than this. */
  maxDueAgeMs: number;
  workerId: string;
  leaseMs: number;
  /** At shutdown, how long a request in progress may take before its connection is closed. */
  shutdownGraceMs: number;
  /** On PostgreSQL, the worker's own poll for due runs: a safety net behind LISTEN/NOTIFY. */
  safetyPollMs: number;
  /** Evaluation steps one recipe expression or email template may take (engine/expression-limits.ts). */
  expressionMaxSteps: number;
  /**
   * TEST ONLY (PARTNERFLOW_TEST_CLOCK_OFFSET_MS): the process runs this far ahead of real time, and
   * `PUT /_test/clock` (API token) moves it further, so that the replica test can advance every
   * process's clock together. Undefined in production: the system clock, which nothing can move.
   */
  testClockOffsetMs?: number;
  /** Per-connector settings, validated by each connector's own schema; configured connectors only. */
  connectors: Record<string, unknown>;
  /**
   * Connectors none of whose variables is set (never in mock mode), each with the variables it needs:
   * they are not connected, and a recipe that uses one stops the start naming them.
   */
  notConfigured: Record<string, string[]>;
}

/** `WEBHOOK_SECRET_PRM`: the variable holding the HMAC secret of a source's webhooks. */
export function webhookSecretVariable(source: string): string {
  return `WEBHOOK_SECRET_${source.toUpperCase()}`;
}

/**
 * What the configuration could read beside its problems: enough to check the recipes it would serve
 * for connectors they need and lack (server/start-problems.ts), so one start names both.
 */
export type SettingsBesideProblems = Pick<RuntimeConfig, 'recipesDir' | 'tablesDir' | 'connectors' | 'notConfigured' | 'webhookSecrets'>;

/**
 * Configuration that cannot start the runtime; `problems` name the variables. `besides`: what was read
 * well enough to check the recipes with (absent when the folders themselves are wrong). It holds
 * connector settings, secrets among them: not enumerable, so a logger serializing the error leaves it out.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  declare readonly besides?: SettingsBesideProblems;
  constructor(
    readonly problems: string[],
    besides?: SettingsBesideProblems,
  ) {
    super(`configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    Object.defineProperty(this, 'besides', { value: besides, enumerable: false });
  }
}

/** Digits only: a coerced number would read "  " as port 0. */
export const Port = z
  .string()
  .trim()
  .regex(/^\d+$/, 'a port number (0 to 65535)')
  .transform(Number)
  .pipe(z.number().max(65_535, 'a port number (0 to 65535)'));
const PositiveInt = z.coerce.number().int().positive();
const Secret = z.string().min(16, 'must be at least 16 characters');
const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
/**
 * How PUBLIC_BASE_URL is written, as its messages give it: the form, not an example address, which an
 * operator would copy (and which is refused, being one: exampleValuesIn).
 */
export const PUBLIC_BASE_URL_FORM = 'https://<host>[:<port>][/<path>] (or http://)';

/**
 * The base approval links are built on (`<base>/approvals/<token>`): a query or a fragment would end up
 * before the path and break every link, and credentials would be mailed to every approver.
 */
const PublicBaseUrl = z
  .url({ protocol: /^https?$/, error: `an http:// or https:// URL: ${PUBLIC_BASE_URL_FORM}` })
  .check((ctx) => {
    // The check above runs first but does not stop this one: a value that is no URL is refused there.
    if (!URL.canParse(ctx.value)) return;
    const url = new URL(ctx.value);
    const refuse = (message: string) => ctx.issues.push({ code: 'custom', message, input: ctx.value });
    if (url.username || url.password) refuse('must not contain a user name or password (approval links are emailed)');
    if (ctx.value.includes('?')) refuse('must not have a query (?...): approval links append their path to it');
    if (ctx.value.includes('#')) refuse('must not have a fragment (#...): approval links append their path to it');
  });

/**
 * Leases are named `<worker id>~<random>`, and a worker frees the leases starting with `<its id>~` at
 * start: with a `~` in an id, worker `a` would free the runs of a live worker `a~b`.
 */
const WorkerId = z.string().min(1).refine((id) => !id.includes('~'), 'must not contain "~" (it separates the worker id from the random part of a lease)');
/**
 * A turn renews its lease every third of PARTNERFLOW_LEASE_MS; a renewal that waits for a busy pool
 * must still land before the lease lapses, or another replica takes a live run over.
 */
const MIN_LEASE_MS = 2000;
/** Earlier versions of .env.example shipped secrets starting so; outside mock mode they are refused (the repository publishes them). */
const PLACEHOLDER = /^change-me/i;
/**
 * The example values .env.example ships for what only a deployment knows (its systems, its public
 * address), as rules: outside mock mode a variable still holding one is refused, README's
 * `<VARIABLE>: still the placeholder of .env.example; …`. server/env-example.test.ts reads .env.example
 * and holds every value it ships for a required variable to one of these (or to its short list of real
 * values, e.g. Postmark's API), so the file and the check cannot drift apart.
 */
const EXAMPLE_VALUES: ReadonlyArray<(value: string) => string | undefined> = [
  // RFC 2606 reserves .example for documentation: prm.vendor.example, mdf@vendor.example never exist.
  (value) => {
    const name = namesIn(value).find((n) => n === 'example' || n.endsWith('.example'));
    return name && `${name} is an example name (.example is reserved for documentation): set the real value`;
  },
  // Marketo's documentation's sample instance, https://123-ABC-456.mktorest.com.
  (value) => (namesIn(value).some((n) => n.startsWith('123-abc-456.')) ? "123-ABC-456 is the sample Munchkin id of Marketo's documentation: set your instance's REST endpoint (Marketo Admin > Web Services > REST API), without /rest" : undefined),
];
/**
 * RFC 2606's second-level names for documentation, and every name under them: no system runs there,
 * so outside mock mode an address on one is refused as the example values are (`prm.example.com`,
 * `mdf@example.org`). Names under `.test` and `.localhost`, and loopback addresses, are taken: a test
 * setup may resolve them (the project's own production-mode tests use `.test` names and 127.0.0.1).
 */
const DOCUMENTATION_DOMAINS = ['example.com', 'example.net', 'example.org'];

/** `<VARIABLE>: an example address; …` for a name under a documentation domain in `value`, else undefined. */
function documentationDomainIn(value: string): string | undefined {
  for (const name of namesIn(value)) {
    const domain = DOCUMENTATION_DOMAINS.find((d) => name === d || name.endsWith(`.${d}`));
    if (domain) return `${name} is ${name === domain ? '' : `under ${domain}, `}a domain reserved for documentation (RFC 2606) where no system runs: set the real value`;
  }
  return undefined;
}

/** Secrets a deployment makes up itself (the others, e.g. PRM_API_KEY, come from a system's admin). */
const GENERATED_SECRETS = new Set(['PARTNERFLOW_API_TOKEN', 'APPROVAL_LINK_SECRET']);

/** The documented variables (README "Configuration"), with their defaults. */
export const RUNTIME_VARIABLES = {
  HOST: { schema: z.string().min(1), default: '127.0.0.1', doc: 'Interface to listen on.' },
  PORT: { schema: Port, default: '3000', doc: 'HTTP port.' },
  PARTNERFLOW_DB: { schema: z.string().min(1), default: './data/partnerflow.db', doc: 'SQLite file of the embedded store (WAL mode).' },
  PUBLIC_BASE_URL: { schema: PublicBaseUrl, default: undefined, doc: 'Base URL of this runtime as approvers reach it (http or https, a path is fine; no query, fragment or credentials); approval links are built on it. Required outside mock mode.' },
  RECIPES_DIR: { schema: z.string().min(1), default: './recipes', doc: 'Where *.recipe.json / *.recipe.ts files are loaded from.' },
  TABLES_DIR: { schema: z.string().min(1), default: './recipes/tables', doc: 'Tables that ops maintain (approvers, leave, business calendar). Default: `<RECIPES_DIR>/tables` when RECIPES_DIR is set.' },
  LOG_LEVEL: { schema: LogLevel, default: 'info', doc: 'pino log level.' },
  PARTNERFLOW_API_TOKEN: { schema: Secret, default: undefined, doc: 'Bearer token for /runs, /recipes, /timers, /metrics. Required outside mock mode.' },
  MAX_BODY_BYTES: { schema: PositiveInt, default: String(1024 * 1024), doc: 'Largest webhook body accepted (413 beyond).' },
  PARTNERFLOW_WORKER_ID: { schema: WorkerId, default: hostname(), doc: 'Names this process in run leases; unique per replica (a start under the id of a running process is refused), stable across restarts (default: the host name), so a restart resumes its runs (at most 6 s after a kill).' },
  PARTNERFLOW_DATABASE_URL: { schema: z.string().min(1), default: undefined, doc: 'PostgreSQL connection URL (postgres://user:password@host:5432/partnerflow). Set: the store is PostgreSQL, shared by every replica. Unset: the embedded SQLite store (PARTNERFLOW_DB).' },
  PARTNERFLOW_DATABASE_POOL_SIZE: { schema: PositiveInt.max(1000), default: '10', doc: 'Connections each process keeps open to PostgreSQL.' },
  PARTNERFLOW_DATABASE_STATEMENT_TIMEOUT_MS: { schema: PositiveInt, default: '30000', doc: 'PostgreSQL cancels a store statement that runs longer than this.' },
  PARTNERFLOW_DATABASE_PREPARED_STATEMENTS: {
    schema: z.enum(['on', 'off']),
    default: 'on',
    doc: 'on: the store\'s statements are prepared once per PostgreSQL connection (named statements). off: each is parsed and planned every time, for a pooler between the replicas and PostgreSQL that does not keep prepared statements (PgBouncer before 1.21 in transaction mode, or with max_prepared_statements = 0).',
  },
  PARTNERFLOW_SAFETY_POLL_MS: { schema: PositiveInt.min(100), default: '30000', doc: 'On PostgreSQL, how often a worker looks for due runs on its own: a safety net, as replicas wake each other by LISTEN/NOTIFY and arm a timer for the end of each lease (a replica that died). SQLite polls every 500 ms.' },
  PARTNERFLOW_LEASE_MS: {
    schema: PositiveInt.min(MIN_LEASE_MS, `at least ${MIN_LEASE_MS} (a turn renews its lease every third of it, and a renewal waiting on a busy database must not let it lapse)`),
    default: '60000',
    doc: `How long a run stays with a process that stopped renewing its lease before another takes it over (at least ${MIN_LEASE_MS}; a turn renews its lease every third of it).`,
  },
  PARTNERFLOW_SHUTDOWN_GRACE_MS: {
    schema: z.coerce.number().int().min(0).max(300_000),
    default: '10000',
    doc: 'At shutdown (SIGTERM), how long a request already in progress may take to be answered before its connection is closed (idle connections close at once). 0 to 300000.',
  },
  WORKER_CONCURRENCY: { schema: PositiveInt.max(256), default: '8', doc: 'Runs executed at once by this process while intake is quiet.' },
  WORKER_MAX_CONCURRENCY: {
    schema: PositiveInt.max(1024),
    default: undefined,
    doc: 'Most runs executed at once: while webhooks keep storing runs, one more for each run stored, so execution keeps pace with intake; while turns wait on a system that does not answer, their slots start the runs due behind them (default: 64, or WORKER_CONCURRENCY if larger; never below it).',
  },
  MAX_DUE_BACKLOG: { schema: PositiveInt, default: '10000', doc: 'Webhooks get 503 with Retry-After, storing nothing, while this many runs are due and not started.' },
  MAX_DUE_AGE_MS: { schema: PositiveInt, default: '5000', doc: 'Webhooks get 503 with Retry-After, storing nothing, while the oldest due run waits longer than this.' },
  PARTNERFLOW_EXPRESSION_MAX_STEPS: {
    schema: PositiveInt.max(Number.MAX_SAFE_INTEGER),
    default: String(DEFAULT_EXPRESSION_LIMITS.maxSteps),
    doc: 'Evaluation steps one recipe expression or email template may take before it is stopped as a runaway (a work limit, not a time limit: a busy machine fails nothing).',
  },
  PARTNERFLOW_TEST_CLOCK_OFFSET_MS: {
    schema: z.coerce.number().int().min(0).max(10 * 365 * 86_400_000),
    default: undefined,
    doc: 'TEST ONLY, never in production: the process runs this many ms ahead of real time, and PUT /_test/clock (with the API token) moves it forward, so the replica test can advance the clock of every replica together. Refused unless HOST is a loopback address, and in mock mode (which has /_mock/clock/advance).',
  },
} as const;

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the configuration; throws ConfigError listing every problem. Every value is read
 * without its surrounding whitespace (see withoutSurroundingWhitespace).
 */
export function loadConfig(environment: Env, options: { mock: boolean; connectors: readonly ConnectorDefinition[]; overrides?: Partial<RuntimeConfig> }): RuntimeConfig {
  const givenEnv = withoutSurroundingWhitespace(environment);
  const env = withFoldersInRecipesDir(givenEnv);
  const problems: string[] = [];
  const read = <K extends keyof typeof RUNTIME_VARIABLES>(name: K): z.output<(typeof RUNTIME_VARIABLES)[K]['schema']> | undefined => {
    const spec = RUNTIME_VARIABLES[name];
    const raw = env[name] === undefined || env[name] === '' ? spec.default : env[name];
    if (raw === undefined) return undefined;
    const parsed = spec.schema.safeParse(raw);
    if (!parsed.success) {
      const secret = name.includes('TOKEN') || name === 'PARTNERFLOW_DATABASE_URL';
      problems.push(`${name}: ${parsed.error.issues[0]!.message}${secret ? '' : ` (got "${withoutCredentials(raw)}")`}`);
      return undefined;
    }
    return parsed.data as never;
  };

  // Every variable is read before the verdict, so one start names every bad value at once.
  const port = read('PORT') ?? 3000;
  const publicBaseUrl = read('PUBLIC_BASE_URL');
  const apiToken = read('PARTNERFLOW_API_TOKEN');
  const host = read('HOST') ?? '127.0.0.1';
  const dbPath = read('PARTNERFLOW_DB');
  const recipesDir = read('RECIPES_DIR');
  const tablesDir = read('TABLES_DIR');
  const logLevel = read('LOG_LEVEL');
  const maxBodyBytes = read('MAX_BODY_BYTES');
  const workerConcurrency = read('WORKER_CONCURRENCY');
  const workerMaxConcurrency = read('WORKER_MAX_CONCURRENCY');
  const maxDueBacklog = read('MAX_DUE_BACKLOG');
  const maxDueAgeMs = read('MAX_DUE_AGE_MS');
  if (workerMaxConcurrency !== undefined && workerConcurrency !== undefined && workerMaxConcurrency < workerConcurrency) {
    problems.push(`WORKER_MAX_CONCURRENCY: must be at least WORKER_CONCURRENCY (${workerConcurrency}) (got "${workerMaxConcurrency}")`);
  }
  const workerId = read('PARTNERFLOW_WORKER_ID');
  const leaseMs = read('PARTNERFLOW_LEASE_MS');
  const shutdownGraceMs = read('PARTNERFLOW_SHUTDOWN_GRACE_MS');
  const safetyPollMs = read('PARTNERFLOW_SAFETY_POLL_MS');
  const expressionMaxSteps = read('PARTNERFLOW_EXPRESSION_MAX_STEPS');
  const databaseUrl = read('PARTNERFLOW_DATABASE_URL');
  // A URL that cannot be a connection's is named with the other settings, not after them at the store's open.
  if (databaseUrl !== undefined && !options.mock) {
    const problem = databaseUrlProblem(databaseUrl);
    if (problem) problems.push(`PARTNERFLOW_DATABASE_URL: ${problem}`);
  }
  const databasePoolSize = read('PARTNERFLOW_DATABASE_POOL_SIZE');
  const databaseStatementTimeoutMs = read('PARTNERFLOW_DATABASE_STATEMENT_TIMEOUT_MS');
  const databasePreparedStatements = read('PARTNERFLOW_DATABASE_PREPARED_STATEMENTS');
  const testClockOffsetMs = read('PARTNERFLOW_TEST_CLOCK_OFFSET_MS');
  // A movable clock in production would let whoever holds the API token time out every approval: it is
  // only ever a test's, on a process nothing but this machine can reach.
  if (testClockOffsetMs !== undefined && options.mock) problems.push('PARTNERFLOW_TEST_CLOCK_OFFSET_MS: not with --mock, whose clock /_mock/clock/advance moves; unset it');
  else if (testClockOffsetMs !== undefined && !isLoopbackHost(host)) {
    problems.push(`PARTNERFLOW_TEST_CLOCK_OFFSET_MS: test only: a movable clock is refused on HOST=${host}, which is not a loopback address (127.0.0.1, ::1, localhost); unset it in production`);
  }
  // Port 0 means "any free port", known only once listening; links built before that would point nowhere.
  if (port === 0 && !publicBaseUrl && !problems.some((p) => p.startsWith('PUBLIC_BASE_URL'))) {
    problems.push('PUBLIC_BASE_URL: required with PORT=0 (a free port is picked at start, and approval links must name the real one)');
  }
  if (!options.mock) {
    if (!publicBaseUrl && !problems.some((p) => p.startsWith('PUBLIC_BASE_URL'))) problems.push(`PUBLIC_BASE_URL: required (the base URL approval links point to: ${PUBLIC_BASE_URL_FORM})`);
    if (!apiToken && !problems.some((p) => p.startsWith('PARTNERFLOW_API_TOKEN'))) problems.push('PARTNERFLOW_API_TOKEN: required outside mock mode (protects the runs API); at least 16 characters');
  }

  // The store in memory is mock mode's (and the tests'): a production start would lose every run at its next restart.
  if (!options.mock && dbPath === ':memory:' && !databaseUrl) {
    problems.push(
      'PARTNERFLOW_DB: :memory: keeps the store in memory only: every run, approval and delivery would be lost when the process stops or restarts; set a file (default ./data/partnerflow.db) or PARTNERFLOW_DATABASE_URL, or start with --mock for a trial',
    );
  }

  const webhookSecrets: Record<string, string> = {};
  // The sources whose secret is set, valid or not (a bad one is a problem of its own, not also a secret
  // "not set"), for ConfigError.besides: which sources have one is all it needs, so no value is kept.
  const webhookSecretsGiven: Record<string, string> = {};
  const connectors: Record<string, unknown> = {};
  const notConfigured: Record<string, string[]> = {};
  for (const connector of options.connectors) {
    if (connector.events && Object.keys(connector.events).length > 0) {
      const variable = webhookSecretVariable(connector.name);
      const raw = env[variable];
      if (raw) {
        webhookSecretsGiven[connector.name] = 'set';
        const parsed = Secret.safeParse(raw);
        if (parsed.success) webhookSecrets[connector.name] = parsed.data;
        else problems.push(`${variable}: ${parsed.error.issues[0]!.message}`);
      } else if (options.mock) webhookSecrets[connector.name] = `mock-webhook-secret-${connector.name}`;
      // Unset outside mock mode: the source's webhooks are refused (404), and a recipe that listens to
      // them stops the start, unless the source is optional (web forms: off until its secret is set).
    }
    const needed = options.mock || connector.neededByRuntime ? undefined : variablesToSet(connector, givenEnv);
    if (needed) notConfigured[connector.name] = needed;
    else connectors[connector.name] = readConnectorConfig(connector, env, options.mock, problems);
  }

  // The mock secret is in the source: links derived from it could be forged by anyone who reads it.
  const approval = connectors.approval as { linkSecret?: string } | undefined;
  if (!options.mock && approval?.linkSecret === MOCK_APPROVAL_LINK_SECRET) {
    problems.push('APPROVAL_LINK_SECRET: this is the public mock secret; choose your own (32+ characters, e.g. openssl rand -base64 32)');
  }

  // Last, and only for a variable no other line names: a value that is wrong anyway is reported once.
  if (!options.mock) {
    const named = new Set(problems.map((problem) => problem.slice(0, problem.indexOf(':'))));
    problems.push(...exampleValuesIn(givenEnv, options.connectors, host).filter((problem) => !named.has(problem.slice(0, problem.indexOf(':')))));
  }

  if (problems.length > 0) {
    const secretsSet = { ...Object.fromEntries(Object.keys(webhookSecrets).map((source) => [source, 'set'])), ...webhookSecretsGiven };
    const besides = recipesDir !== undefined && tablesDir !== undefined ? { recipesDir: resolvePath(recipesDir), tablesDir: resolvePath(tablesDir), connectors, notConfigured, webhookSecrets: secretsSet } : undefined;
    throw new ConfigError(problems, besides);
  }
  return {
    mock: options.mock,
    host,
    port,
    dbPath: resolvePath(dbPath!),
    publicBaseUrl: (publicBaseUrl ?? defaultBaseUrl(host, port)).replace(/\/+$/, ''),
    recipesDir: resolvePath(recipesDir!),
    tablesDir: resolvePath(tablesDir!),
    logLevel: logLevel!,
    apiToken: apiToken ?? null,
    webhookSecrets,
    maxBodyBytes: maxBodyBytes!,
    workerConcurrency: workerConcurrency!,
    workerMaxConcurrency: workerMaxConcurrency ?? Math.max(64, workerConcurrency!),
    maxDueBacklog: maxDueBacklog!,
    maxDueAgeMs: maxDueAgeMs!,
    workerId: workerId!,
    leaseMs: leaseMs!,
    shutdownGraceMs: shutdownGraceMs!,
    safetyPollMs: safetyPollMs!,
    expressionMaxSteps: expressionMaxSteps!,
    // Mock mode empties its store at every start: it never runs on a database named for production.
    ...(databaseUrl && !options.mock ? { database: { url: databaseUrl, poolSize: databasePoolSize!, statementTimeoutMs: databaseStatementTimeoutMs!, preparedStatements: databasePreparedStatements === 'on' } } : {}),
    ...(testClockOffsetMs !== undefined ? { testClockOffsetMs } : {}),
    connectors,
    notConfigured,
    ...options.overrides,
  };
}

/**
 * A problem for each variable of the runtime or a connector still set to an example value of
 * .env.example (EXAMPLE_VALUES), or to a change-me placeholder of its earlier versions, or holding an
 * address under a documentation domain (DOCUMENTATION_DOMAINS); and for a PUBLIC_BASE_URL on this
 * machine while HOST serves others. Only names are shown, never a secret.
 */
function exampleValuesIn(env: Env, connectors: readonly ConnectorDefinition[], host: string): string[] {
  const secretVariables = new Set(connectors.filter((c) => c.events && Object.keys(c.events).length > 0).map((c) => webhookSecretVariable(c.name)));
  const variables = [...Object.keys(RUNTIME_VARIABLES), ...secretVariables, ...connectors.flatMap((c) => Object.values(c.env as Record<string, string>))];
  const still = (variable: string, what: string) => `${variable}: still the placeholder of .env.example; ${what}`;
  const problems: string[] = [];
  for (const variable of new Set(variables)) {
    const value = env[variable];
    if (!value) continue;
    if (PLACEHOLDER.test(value)) {
      problems.push(still(variable, GENERATED_SECRETS.has(variable) || secretVariables.has(variable) ? 'set your own secret (e.g. openssl rand -hex 32)' : 'set the real value'));
      continue;
    }
    // A secret is never an address, and what a rule would quote of it must not be shown.
    if (isSecretName(variable)) continue;
    const example = EXAMPLE_VALUES.map((rule) => rule(value)).find((found) => found !== undefined);
    if (example) {
      problems.push(still(variable, example));
      continue;
    }
    const documentation = documentationDomainIn(value);
    if (documentation) problems.push(`${variable}: an example address; ${documentation}`);
  }
  // Approval links are emailed: a base on this machine opens on the approver's own. Fine when only this
  // machine can reach the runtime anyway (a trial, the tests); not when HOST serves others.
  const base = env.PUBLIC_BASE_URL;
  if (base && URL.canParse(base) && isLoopbackHost(new URL(base).hostname) && !isLoopbackHost(host) && !problems.some((p) => p.startsWith('PUBLIC_BASE_URL:'))) {
    problems.push(
      still('PUBLIC_BASE_URL', `${new URL(base).hostname} is this machine, and HOST=${host} serves others: approval links are emailed, and would open on each approver's own machine; set the address approvers reach: ${PUBLIC_BASE_URL_FORM}`),
    );
  }
  return problems;
}

/**
 * The host names a value holds, in lower case: the host of each URL (`https://prm.vendor.example/…`)
 * and the domain of each email address (`Partner Marketing <mdf@vendor.example>`).
 */
function namesIn(value: string): string[] {
  const names = [
    ...[...value.matchAll(/[a-z][a-z0-9+.-]*:\/\/(?:[^/?#@\s]*@)?([^/?#:@\s[\]]+)/gi)].map((m) => m[1]!),
    ...[...value.matchAll(/[^\s<>@:/]+@([a-z0-9.-]+)/gi)].map((m) => m[1]!),
  ];
  return names.map((name) => name.toLowerCase().replace(/\.+$/, ''));
}

/**
 * The environment with each value's leading and trailing whitespace removed. A secret read from a file
 * (Kubernetes `--from-file`, Docker secrets, `echo x > file`, an env file) mostly ends in a newline that
 * is not part of it: kept, every signature and bearer token made with the real secret would be refused
 * (401) while the start looked fine. No value of ours means anything by surrounding whitespace, so one
 * rule holds for all of them; a value of whitespace only is then empty, i.e. not set.
 */
function withoutSurroundingWhitespace(env: Env): Env {
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value?.trim()]));
}

/**
 * RECIPES_DIR set alone moves the folders that live beside the recipes with it: TABLES_DIR defaults
 * to `<RECIPES_DIR>/tables` and EMAIL_TEMPLATES_DIR to `<RECIPES_DIR>/email-templates`. Without it they
 * would stay `./recipes/...` of the current folder, which outside the project does not exist.
 */
function withFoldersInRecipesDir(env: Env): Env {
  const recipesDir = env.RECIPES_DIR;
  if (!recipesDir) return env;
  return {
    ...env,
    TABLES_DIR: env.TABLES_DIR || join(recipesDir, 'tables'),
    EMAIL_TEMPLATES_DIR: env.EMAIL_TEMPLATES_DIR || join(recipesDir, 'email-templates'),
  };
}

/**
 * The variables a connector needs, when none of its variables is set and it cannot run on defaults
 * alone (it is then "not configured"); undefined when it is configured, or half-configured, which
 * readConnectorConfig reports variable by variable. `env` is the environment as given: a folder
 * derived from RECIPES_DIR (EMAIL_TEMPLATES_DIR) does not make a connector configured.
 */
function variablesToSet(connector: ConnectorDefinition, env: Env): string[] | undefined {
  const variables = connector.env as Record<string, string>;
  if (Object.values(variables).some((variable) => env[variable] !== undefined && env[variable] !== '')) return undefined;
  const parsed = connector.config.safeParse({});
  if (parsed.success) return undefined;
  const keys = new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? '')));
  return Object.entries(variables).flatMap(([key, variable]) => (keys.has(key) ? [variable] : []));
}

function readConnectorConfig(connector: ConnectorDefinition, env: Env, mock: boolean, problems: string[]): unknown {
  const raw: Record<string, unknown> = { ...(mock ? (connector.mockConfig as object | undefined) : {}) };
  const variables = connector.env as Record<string, string>;
  for (const [key, variable] of Object.entries(variables)) {
    const value = env[variable];
    // In mock mode the connector points at the simulated system: only explicit settings override it.
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = connector.config.safeParse(raw);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0] ?? '');
    const variable = variables[key] ?? key;
    // A rule of the connector's own (`custom`, e.g. email's one transport) says in words what to set.
    const missing = raw[key] === undefined && issue.code !== 'custom';
    // A value that should be a number is never a secret: echo it, as the runtime variables' are.
    const numeric = (issue.code === 'invalid_type' && (issue.expected === 'number' || issue.expected === 'int')) || ((issue.code === 'too_small' || issue.code === 'too_big') && issue.origin === 'number');
    const got = numeric && typeof raw[key] === 'string' ? ` (got "${raw[key]}")` : '';
    problems.push(`${variable}: ${missing ? `required by the ${connector.name} connector` : issue.message + got}`);
  }
  return undefined;
}

/** This runtime as a browser on the same machine reaches it: a wildcard host is reached as localhost, an IPv6 address in brackets. */
function defaultBaseUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${reachable}:${port}`;
}

/** A value as it may be echoed: the password of a URL (`https://user:secret@host`) left out. */
function withoutCredentials(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1***@');
}

function resolvePath(path: string): string {
  return path === ':memory:' ? path : resolve(path);
}
