import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONNECTORS } from '../connectors/index.ts';
import { ConfigError, loadConfig } from './config.ts';

/**
 * Review 5 finding 5: a production start took .env.example's example values (approval links to
 * http://localhost:8080, email from mdf@vendor.example, the PRM at prm.vendor.example, Marketo's sample
 * instance 123-ABC-456), because the check looked for "change-me" and .env.example no longer has one.
 * This reads .env.example itself: every value it ships for a variable a production start requires is
 * refused, with the message README documents, unless it is listed below as a real value anyone may keep.
 */
const root = join(import.meta.dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

/** .env.example as compose reads a `.env`: `NAME=value`, optionally quoted; comments and blank lines skipped. */
const envExample: Record<string, string> = Object.fromEntries(
  read('.env.example')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).replace(/^"(.*)"$/, '$1')]),
);

/** What compose.yaml sets on a replica besides .env (HOST=0.0.0.0, the pool, the lease), the store's URL made real. */
const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, { environment?: Record<string, string> }> };
const replicaEnvironment: Record<string, string> = {
  ...(compose.services['partnerflow-1']!.environment as Record<string, string>),
  PARTNERFLOW_DATABASE_URL: 'postgres://partnerflow:a1b2c3@postgres:5432/partnerflow',
};

/** A deployment's own values for everything .env.example ships empty or as an example. */
const secret = () => randomBytes(32).toString('hex');
const DEPLOYMENT: Record<string, string> = {
  POSTGRES_PASSWORD: 'a1b2c3',
  PUBLIC_BASE_URL: 'https://partnerflow.acme.com',
  PARTNERFLOW_API_TOKEN: secret(),
  APPROVAL_LINK_SECRET: secret(),
  WEBHOOK_SECRET_PRM: secret(),
  PRM_BASE_URL: 'https://prm.acme.com/api/objects/v1',
  PRM_API_KEY: secret(),
  PRM_TENANT_ID: '4711',
  PRM_CLAIM_PORTAL_URL: 'https://partners.acme.com/mdf/claims/{id}',
  SALESFORCE_LOGIN_URL: 'https://acme.my.salesforce.com',
  SALESFORCE_CLIENT_ID: secret(),
  SALESFORCE_CLIENT_SECRET: secret(),
  MARKETO_BASE_URL: 'https://987-XYZ-321.mktorest.com',
  MARKETO_CLIENT_ID: secret(),
  MARKETO_CLIENT_SECRET: secret(),
  EMAIL_FROM: 'Partner Marketing <mdf@acme.com>',
  EMAIL_API_URL: 'https://api.postmarkapp.com',
  EMAIL_SERVER_TOKEN: secret(),
};

/**
 * Values .env.example ships that are real, not examples: a deployment may keep them, and a start takes
 * them. Anything else .env.example gives a required variable must be refused (the test below).
 */
const REAL_VALUES: Record<string, string> = {
  EMAIL_API_URL: 'https://api.postmarkapp.com', // Postmark's API itself
};

/** The variables a production start requires: the runtime's, and each connector's that it cannot default. */
function requiredInProduction(): Set<string> {
  const required = new Set<string>();
  try {
    loadConfig({}, { mock: false, connectors: [] });
  } catch (error) {
    for (const problem of (error as ConfigError).problems) required.add(problem.slice(0, problem.indexOf(':')));
  }
  for (const connector of CONNECTORS) {
    const variables = connector.env as Record<string, string>;
    const parsed = connector.config.safeParse({});
    if (!parsed.success) for (const issue of parsed.error.issues) if (variables[String(issue.path[0])]) required.add(variables[String(issue.path[0])]!);
  }
  return required;
}

function startProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, { mock: false, connectors: CONNECTORS });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
}

/** README "Configuration": the refusal as documented, `<VARIABLE>: still the placeholder of .env.example; …`. */
function documentedRefusal(variable: string): string {
  const readme = read('README.md');
  const section = readme.slice(readme.indexOf('\n## Configuration\n'));
  const documented = /`(<VARIABLE>: still the placeholder of \.env\.example; )…`/.exec(section);
  expect(documented, 'README "Configuration" documents the refusal of .env.example\'s values').not.toBeNull();
  return documented![1]!.replace('<VARIABLE>', variable);
}

describe('.env.example, as a production start reads it (review 5 finding 5)', () => {
  const required = requiredInProduction();
  const shipped = Object.entries(envExample).filter(([name, value]) => value !== '' && required.has(name));

  it('ships example values for the systems and the public address (the rest is left empty)', () => {
    expect(shipped.map(([name]) => name)).toEqual(expect.arrayContaining(['PUBLIC_BASE_URL', 'PRM_BASE_URL', 'PRM_CLAIM_PORTAL_URL', 'MARKETO_BASE_URL', 'EMAIL_FROM']));
  });

  it('refuses every value it ships for a required variable, naming the variable as README documents, unless the value is a real one', () => {
    const base = { ...DEPLOYMENT, ...replicaEnvironment };
    expect(startProblems(base)).toEqual([]);
    for (const [name, value] of shipped) {
      const problems = startProblems({ ...base, [name]: value });
      if (REAL_VALUES[name] === value) expect(problems, `${name}=${value} is a real value`).toEqual([]);
      else expect(problems.filter((p) => p.startsWith(documentedRefusal(name))), `${name}=${value}: ${problems.join(' | ')}`).toHaveLength(1);
    }
  });

  it('refuses .env.example with only its empty values filled in, naming each example value left, in the words a user reads', () => {
    const filledIn = { ...envExample, ...Object.fromEntries(Object.entries(DEPLOYMENT).filter(([name]) => envExample[name] === '')), ...replicaEnvironment };
    let message = '';
    try {
      loadConfig(filledIn, { mock: false, connectors: CONNECTORS });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('PUBLIC_BASE_URL: still the placeholder of .env.example; localhost is this machine, and HOST=0.0.0.0 serves others: approval links are emailed, and would open on each approver\'s own machine; set the address approvers reach: https://<host>[:<port>][/<path>] (or http://)');
    expect(message).toContain('PRM_BASE_URL: still the placeholder of .env.example; prm.vendor.example is an example name (.example is reserved for documentation): set the real value');
    expect(message).toContain('PRM_CLAIM_PORTAL_URL: still the placeholder of .env.example; partners.vendor.example is an example name');
    expect(message).toContain('EMAIL_FROM: still the placeholder of .env.example; vendor.example is an example name');
    expect(message).toContain('MARKETO_BASE_URL: still the placeholder of .env.example; 123-ABC-456 is the sample Munchkin id of Marketo\'s documentation: set your instance\'s REST endpoint (Marketo Admin > Web Services > REST API), without /rest');
    expect(message).not.toContain('EMAIL_API_URL');
  });

  it('stops `partnerflow serve` on it with those lines, exit 1 (what the operator reads)', () => {
    const filledIn = { ...envExample, ...Object.fromEntries(Object.entries(DEPLOYMENT).filter(([name]) => envExample[name] === '')), ...replicaEnvironment };
    const serve = spawnSync(process.execPath, [join(root, 'bin/partnerflow.js'), 'serve'], { cwd: root, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent', ...filledIn }, timeout: 60_000 });
    expect(serve.status).toBe(1);
    expect(serve.stderr).toContain('configuration is not valid:');
    for (const variable of ['PUBLIC_BASE_URL', 'PRM_BASE_URL', 'PRM_CLAIM_PORTAL_URL', 'EMAIL_FROM', 'MARKETO_BASE_URL']) expect(serve.stderr).toContain(`  - ${documentedRefusal(variable)}`);
  });

  it('leaves real defaults alone: ports, pool sizes, leases, a loopback base on a loopback HOST, Postmark', () => {
    expect(startProblems({ ...DEPLOYMENT, ...replicaEnvironment, PORT: '8080', PARTNERFLOW_DATABASE_POOL_SIZE: '10', PARTNERFLOW_LEASE_MS: '60000', PRM_TENANT_ID: '1000' })).toEqual([]);
    // Listening on this machine only, a base on this machine is the only one that works (a trial, the tests).
    expect(startProblems({ ...DEPLOYMENT, HOST: '127.0.0.1', PUBLIC_BASE_URL: 'http://localhost:8080' })).toEqual([]);
    expect(startProblems({ ...DEPLOYMENT, PUBLIC_BASE_URL: 'http://127.0.0.1:3000' })).toEqual([]);
    // A host named like the example in another domain is no example (example.net itself is reserved: below).
    expect(startProblems({ ...DEPLOYMENT, PRM_BASE_URL: 'https://prm.vendor.example.io/api/objects/v1', EMAIL_FROM: 'mdf@example-corp.com' })).toEqual([]);
  });

  it('refuses a loopback PUBLIC_BASE_URL whenever HOST serves other machines, by name or address', () => {
    for (const base of ['http://127.0.0.1:3000', 'http://[::1]:3000/pf']) {
      expect(startProblems({ ...DEPLOYMENT, HOST: '0.0.0.0', PUBLIC_BASE_URL: base })[0]).toMatch(/^PUBLIC_BASE_URL: still the placeholder of \.env\.example; .* is this machine, and HOST=0\.0\.0\.0 serves others/);
    }
    expect(startProblems({ ...DEPLOYMENT, HOST: '10.0.0.5', PUBLIC_BASE_URL: 'http://localhost:3000' })[0]).toContain('HOST=10.0.0.5 serves others');
  });

  it('never quotes a secret: a secret holding an address-like text is not read as one', () => {
    const problems = startProblems({ ...DEPLOYMENT, PRM_API_KEY: 'k3y@vault.example', EMAIL_SERVER_TOKEN: 'https://x.example/t0ken' });
    expect(problems).toEqual([]);
  });

  it('lets mock mode start with example values (nothing real is behind it)', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0', PUBLIC_BASE_URL: envExample.PUBLIC_BASE_URL!, EMAIL_FROM: envExample.EMAIL_FROM! }, { mock: true, connectors: CONNECTORS })).not.toThrow();
  });
});

/** README "Configuration": the refusal of a documentation domain as documented, `<VARIABLE>: an example address; …`. */
function documentedDomainRefusal(variable: string): string {
  const readme = read('README.md');
  const section = readme.slice(readme.indexOf('\n## Configuration\n'));
  const documented = /`(<VARIABLE>: an example address; )…`/.exec(section);
  expect(documented, 'README "Configuration" documents the refusal of example.com addresses').not.toBeNull();
  return documented![1]!.replace('<VARIABLE>', variable);
}

// .env.example's own example names were refused; the documentation domains RFC 2606 reserves as well
// (prm.example.com, mdf@example.org) still started a production runtime that could reach nothing.
describe('addresses under example.com, example.net and example.org', () => {
  it('are refused outside mock mode in the systems\' URLs, EMAIL_FROM and PUBLIC_BASE_URL, naming the variable and the name', () => {
    const given: Record<string, [value: string, name: string, domain: string]> = {
      PUBLIC_BASE_URL: ['https://partnerflow.example.com', 'partnerflow.example.com', 'example.com'],
      PRM_BASE_URL: ['https://prm.vendor.example.net/api/objects/v1', 'prm.vendor.example.net', 'example.net'],
      PRM_CLAIM_PORTAL_URL: ['https://Partners.Example.ORG/mdf/claims/{id}', 'partners.example.org', 'example.org'],
      SALESFORCE_LOGIN_URL: ['https://acme.my.example.com', 'acme.my.example.com', 'example.com'],
      MARKETO_BASE_URL: ['https://mkto.example.com', 'mkto.example.com', 'example.com'],
      EMAIL_FROM: ['Partner Marketing <mdf@mail.example.org>', 'mail.example.org', 'example.org'],
      EMAIL_API_URL: ['https://api.example.net', 'api.example.net', 'example.net'],
    };
    for (const [variable, [value, name, domain]] of Object.entries(given)) {
      expect(startProblems({ ...DEPLOYMENT, [variable]: value }), variable).toEqual([
        `${documentedDomainRefusal(variable)}${name} is under ${domain}, a domain reserved for documentation (RFC 2606) where no system runs: set the real value`,
      ]);
    }
    expect(startProblems({ ...DEPLOYMENT, EMAIL_FROM: 'mdf@example.org' })).toEqual(['EMAIL_FROM: an example address; example.org is a domain reserved for documentation (RFC 2606) where no system runs: set the real value']);
  });

  it('names the host of an SMTP URL, never its password, and leaves secrets alone', () => {
    const smtp = { ...DEPLOYMENT, EMAIL_API_URL: '', EMAIL_SERVER_TOKEN: '', EMAIL_SMTP_URL: 'smtp://partnerflow@smtp.example.com:587', EMAIL_SMTP_PASSWORD: 'hunter2-smtp-secret' };
    expect(startProblems(smtp)).toEqual(['EMAIL_SMTP_URL: an example address; smtp.example.com is under example.com, a domain reserved for documentation (RFC 2606) where no system runs: set the real value']);
    expect(startProblems({ ...DEPLOYMENT, PRM_API_KEY: 'key@vault.example.com' })).toEqual([]);
  });

  it('leaves names that only look alike, .test names and loopback addresses alone', () => {
    expect(startProblems({ ...DEPLOYMENT, PUBLIC_BASE_URL: 'https://example.com.acme.io', PRM_BASE_URL: 'https://prm.myexample.com/api/objects/v1', EMAIL_FROM: 'mdf@example.co' })).toEqual([]);
    expect(startProblems({ ...DEPLOYMENT, HOST: '127.0.0.1', PUBLIC_BASE_URL: 'http://127.0.0.1:3000', PRM_BASE_URL: 'https://prm.acme.test/api/objects/v1', EMAIL_FROM: 'mdf@acme.test' })).toEqual([]);
  });

  it('lets mock mode and the test harness use them', () => {
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'https://partnerflow.example.com', EMAIL_FROM: 'mdf@example.com', PRM_BASE_URL: 'https://prm.example.com/api/objects/v1' }, { mock: true, connectors: CONNECTORS })).not.toThrow();
  });
});

describe('PARTNERFLOW_DB=:memory: (review 5 finding 7)', () => {
  it('is refused outside mock mode, saying that every run would be lost at the next restart and what to set instead', () => {
    expect(startProblems({ ...DEPLOYMENT, PARTNERFLOW_DB: ':memory:' })).toEqual([
      'PARTNERFLOW_DB: :memory: keeps the store in memory only: every run, approval and delivery would be lost when the process stops or restarts; set a file (default ./data/partnerflow.db) or PARTNERFLOW_DATABASE_URL, or start with --mock for a trial',
    ]);
  });

  it('is not read, so not refused, when the store is PostgreSQL; and mock mode may have it', () => {
    expect(startProblems({ ...DEPLOYMENT, ...replicaEnvironment, PARTNERFLOW_DB: ':memory:' })).toEqual([]);
    expect(loadConfig({ PARTNERFLOW_DB: ':memory:' }, { mock: true, connectors: CONNECTORS }).dbPath).toBe(':memory:');
  });
});
