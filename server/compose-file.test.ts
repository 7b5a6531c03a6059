import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONNECTORS } from '../connectors/index.ts';
import { loadConfig, RUNTIME_VARIABLES, webhookSecretVariable } from './config.ts';
import { ConnectorCatalog } from './engine/connector-registry.ts';
import { loadTables } from './engine/tables.ts';
import { checkConfiguredConnectors } from './recipes/check-configured-connectors.ts';
import { loadRecipes } from './recipes/load-recipes.ts';

/**
 * Issue 14: the compose.yaml of README "Running several replicas" (PostgreSQL, two replicas, nginx)
 * cannot drift from the runtime. No Docker runs here: the file is parsed, every variable it sets on a
 * replica (and every one in .env.example, which it reads as `.env`) is one the runtime reads, with a
 * value its schema takes, and together, once the secrets .env.example leaves empty are filled in, they
 * are a configuration the runtime starts with; as shipped they are not (no secret is published).
 */
const root = join(import.meta.dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

interface Service {
  build?: unknown;
  image?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: string | string[] | Array<{ path: string }>;
  depends_on?: unknown;
}
const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service> };
const replicas = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);

/** .env.example as compose reads a `.env`: `NAME=value`, optionally quoted; comments and blank lines skipped. */
const envExample: Record<string, string> = Object.fromEntries(
  read('.env.example')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const cut = line.indexOf('=');
      return [line.slice(0, cut), line.slice(cut + 1).replace(/^"(.*)"$/, '$1')];
    }),
);

/** The variables .env.example leaves empty (the secrets, and the keys other systems' admins hand out). */
const leftToFill = Object.keys(envExample).filter((name) => envExample[name] === '');

/**
 * A deployment's own values for what .env.example leaves to it besides the secrets: the systems'
 * settings its admins give, and its addresses in place of the examples, which a replica refuses
 * (server/env-example.test.ts).
 */
const deployment: Record<string, string> = {
  PUBLIC_BASE_URL: 'https://partnerflow.acme.com',
  PRM_BASE_URL: 'https://prm.acme.com/api/objects/v1',
  PRM_TENANT_ID: '4711',
  PRM_CLAIM_PORTAL_URL: 'https://partners.acme.com/mdf/claims/{id}',
  SALESFORCE_LOGIN_URL: 'https://acme.my.salesforce.com',
  MARKETO_BASE_URL: 'https://987-XYZ-321.mktorest.com',
  EMAIL_FROM: 'Partner Marketing <mdf@acme.com>',
};

/** .env as a user fills it in: each empty secret set, as `openssl rand -hex 32` makes one, and the deployment's own values. */
const filledIn: Record<string, string> = { ...envExample, ...Object.fromEntries(leftToFill.map((name) => [name, randomBytes(32).toString('hex')])), ...deployment };

/** Compose's `${NAME}`, `${NAME:?message}` and `${NAME:-default}`, filled from the env file. */
function interpolate(value: string, envFile: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([?-])([^}]*))?\}/g, (_all, name: string, kind?: string, rest?: string) => {
    const given = envFile[name];
    if (given !== undefined && given !== '') return given;
    if (kind === '-') return rest ?? '';
    throw new Error(`compose.yaml needs ${name}${kind === '?' ? `: ${rest}` : ''}`);
  });
}

/** The variables a replica gets from compose.yaml itself, interpolated from .env (filled in unless told). */
function environmentOf(service: Service, envFile: Record<string, string> = filledIn): Record<string, string> {
  const env = service.environment ?? {};
  const pairs = Array.isArray(env) ? env.map((entry) => entry.split(/=(.*)/s).slice(0, 2) as [string, string]) : Object.entries(env).map(([k, v]) => [k, String(v ?? '')] as [string, string]);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v, envFile)]));
}

/** Every variable the runtime reads: its own, each connector's, and the webhook secrets of the sources. */
const runtimeVariables = new Set<string>([
  ...Object.keys(RUNTIME_VARIABLES),
  ...CONNECTORS.flatMap((connector) => Object.values(connector.env as Record<string, string>)),
  ...CONNECTORS.filter((connector) => connector.events && Object.keys(connector.events).length > 0).map((connector) => webhookSecretVariable(connector.name)),
]);

/** Variables of .env.example that only compose.yaml reads (interpolated into it), not the runtime. */
const composeOnly = new Set([...read('compose.yaml').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!));

describe('compose.yaml (README "Running several replicas")', () => {
  it('runs PostgreSQL and at least two replicas of the runtime built from this repository, behind a load balancer', () => {
    expect(compose.services.postgres?.image).toMatch(/^postgres:\d+/);
    expect(replicas.length).toBeGreaterThanOrEqual(2);
    expect(read('Dockerfile')).toMatch(/^FROM node:20\b/m);
    expect(read('Dockerfile')).toContain('RUN npm ci');
    expect(read('Dockerfile')).toContain('CMD ["node", "bin/partnerflow.js", "serve"]');
    // nginx sends to every replica, on the port it listens on.
    const upstreams = [...read('deploy/nginx.conf').matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(upstreams.sort()).toEqual(replicas.map(([name, service]) => `${name}:${environmentOf(service).PORT}`).sort());
    expect(JSON.stringify(compose.services.lb)).toContain('./deploy/nginx.conf');
  });

  it('gives each replica its own PARTNERFLOW_WORKER_ID (leases are named by it)', () => {
    const ids = replicas.map(([, service]) => environmentOf(service).PARTNERFLOW_WORKER_ID);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(replicas.length);
  });

  it('points every replica at the postgres service, as its user and database', () => {
    const postgres = environmentOf(compose.services.postgres!);
    for (const [, service] of replicas) {
      const url = new URL(environmentOf(service).PARTNERFLOW_DATABASE_URL!);
      expect(url.protocol).toBe('postgres:');
      expect(url.hostname).toBe('postgres');
      expect(decodeURIComponent(url.username)).toBe(postgres.POSTGRES_USER);
      expect(decodeURIComponent(url.password)).toBe(postgres.POSTGRES_PASSWORD);
      expect(url.pathname).toBe(`/${postgres.POSTGRES_DB}`);
    }
  });

  it('sets on the replicas only variables the runtime reads, each with a value its schema takes', () => {
    for (const [name, service] of replicas) {
      for (const [variable, value] of Object.entries(environmentOf(service))) {
        expect(runtimeVariables.has(variable), `${name}: ${variable} is not a variable of the runtime (server/config.ts, the connectors' env)`).toBe(true);
        const spec = (RUNTIME_VARIABLES as Record<string, { schema: { safeParse(v: unknown): { success: boolean } } }>)[variable];
        if (spec) expect(spec.schema.safeParse(value).success, `${name}: ${variable}=${value}`).toBe(true);
      }
    }
  });

  it('reads its secrets from .env, which git ignores; .env.example names only variables of the runtime or of compose.yaml', () => {
    for (const [, service] of replicas) expect([service.env_file].flat()).toEqual(['.env']);
    expect(read('.gitignore').split('\n')).toContain('.env');
    for (const variable of Object.keys(envExample)) {
      expect(runtimeVariables.has(variable) || composeOnly.has(variable), `.env.example: ${variable} is read by neither the runtime nor compose.yaml`).toBe(true);
    }
  });

  it('ships no secret: .env.example leaves them empty, and as shipped compose stops on POSTGRES_PASSWORD and a replica names every secret still to set', () => {
    expect(leftToFill).toEqual(expect.arrayContaining(['POSTGRES_PASSWORD', 'PARTNERFLOW_API_TOKEN', 'APPROVAL_LINK_SECRET', 'WEBHOOK_SECRET_PRM', 'PRM_API_KEY', 'SALESFORCE_CLIENT_SECRET', 'MARKETO_CLIENT_SECRET', 'EMAIL_SERVER_TOKEN']));
    expect(Object.values(envExample).filter((value) => /^change-me/i.test(value))).toEqual([]);
    const [, service] = replicas[0]!;
    expect(() => environmentOf(service, envExample)).toThrow('compose.yaml needs POSTGRES_PASSWORD: set POSTGRES_PASSWORD in .env (copy .env.example)');
    const asShipped = { ...envExample, ...environmentOf(service, { ...envExample, POSTGRES_PASSWORD: 'a1b2c3' }) };
    expect(() => loadConfig(asShipped, { mock: false, connectors: CONNECTORS })).toThrow(/PARTNERFLOW_API_TOKEN: required outside mock mode[\s\S]*APPROVAL_LINK_SECRET: required by the approval connector/);
    expect(() => loadConfig(asShipped, { mock: false, connectors: CONNECTORS })).toThrow('PRM_API_KEY: required by the prm connector');
  });

  it('refuses the placeholders earlier versions of .env.example shipped (change-me…), naming each variable', () => {
    const [, service] = replicas[0]!;
    const placeholders = { PARTNERFLOW_API_TOKEN: 'change-me-api-token-0123456789', APPROVAL_LINK_SECRET: 'change-me-approval-link-secret-0123456789abcdef', WEBHOOK_SECRET_PRM: 'change-me-prm-webhook-secret-0123' };
    let message = '';
    try {
      loadConfig({ ...filledIn, ...environmentOf(service), ...placeholders }, { mock: false, connectors: CONNECTORS });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const variable of Object.keys(placeholders)) expect(message).toContain(`${variable}: still the placeholder of .env.example; set your own secret (e.g. openssl rand -hex 32)`);
  });

  it('is, with .env.example filled in (its secrets, and its example addresses replaced), a configuration each replica starts with (outside mock mode)', () => {
    expect(Object.keys(deployment).filter((name) => !(name in envExample))).toEqual([]);
    for (const [, service] of replicas) {
      const env = { ...filledIn, ...environmentOf(service) };
      const config = loadConfig(env, { mock: false, connectors: CONNECTORS });
      expect(config.workerId).toBe(env.PARTNERFLOW_WORKER_ID);
      expect(config.host).toBe('0.0.0.0');
      // The replica test's movable clock is test only (and refused on 0.0.0.0): a deployment has none.
      expect(config.testClockOffsetMs).toBeUndefined();
    }
  });

  it('configures every connector the shipped recipes (the image\'s recipes/) use, so a replica started on .env.example loads them all', async () => {
    const [, service] = replicas[0]!;
    const config = loadConfig({ ...filledIn, ...environmentOf(service) }, { mock: false, connectors: CONNECTORS });
    const catalog = new ConnectorCatalog(CONNECTORS);
    const recipes = await loadRecipes(config.recipesDir, { catalog, tables: loadTables(config.tablesDir).names(), connectorConfigs: config.connectors });
    expect(recipes.length).toBeGreaterThan(0);
    expect(recipes.flatMap((r) => checkConfiguredConnectors(r.definition, r.file, catalog, config))).toEqual([]);
  });
});
