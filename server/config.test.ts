import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../connectors/index.ts';
import { ConfigError, loadConfig } from './config.ts';

/** What a start with this PUBLIC_BASE_URL says: the configuration error's text, or the base it keeps. */
function publicBaseUrl(value: string): string {
  try {
    return loadConfig({ PUBLIC_BASE_URL: value }, { mock: true, connectors: CONNECTORS }).publicBaseUrl;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('PUBLIC_BASE_URL (approval links are built on it)', () => {
  it('refuses a query or a fragment at start, which would break every approval link', () => {
    expect(publicBaseUrl('https://partnerflow.example.com/?tenant=emea')).toContain(
      'PUBLIC_BASE_URL: must not have a query (?...): approval links append their path to it (got "https://partnerflow.example.com/?tenant=emea")',
    );
    expect(publicBaseUrl('https://partnerflow.example.com?')).toContain('PUBLIC_BASE_URL: must not have a query');
    expect(publicBaseUrl('https://partnerflow.example.com/#top')).toContain('PUBLIC_BASE_URL: must not have a fragment (#...)');
  });

  it('refuses credentials without echoing the password', () => {
    const message = publicBaseUrl('https://ops:hunter2-secret@partnerflow.example.com');
    expect(message).toContain('PUBLIC_BASE_URL: must not contain a user name or password (approval links are emailed) (got "https://***@partnerflow.example.com")');
    expect(message).not.toContain('hunter2-secret');
  });

  it('refuses a scheme other than http or https', () => {
    for (const value of ['ftp://partnerflow.example.com', 'javascript:alert(1)', 'partnerflow.example.com']) {
      expect(publicBaseUrl(value)).toContain('PUBLIC_BASE_URL: an http:// or https:// URL: https://<host>[:<port>][/<path>] (or http://)');
    }
  });

  it('review 9 F5: says how the value is written (its form), not an example address to copy, when it is missing or not a URL, and when it is this machine', () => {
    const FORM = 'https://<host>[:<port>][/<path>] (or http://)';
    const problems = (env: Record<string, string>): string[] => {
      try {
        loadConfig({ PARTNERFLOW_API_TOKEN: 'a-token-of-at-least-16-chars', ...env }, { mock: false, connectors: [] });
        return [];
      } catch (error) {
        return (error as ConfigError).problems.filter((p) => p.startsWith('PUBLIC_BASE_URL'));
      }
    };
    expect(problems({})).toEqual([`PUBLIC_BASE_URL: required (the base URL approval links point to: ${FORM})`]);
    expect(problems({ PUBLIC_BASE_URL: 'partnerflow.acme.test' })).toEqual([`PUBLIC_BASE_URL: an http:// or https:// URL: ${FORM} (got "partnerflow.acme.test")`]);
    expect(problems({ PUBLIC_BASE_URL: 'http://localhost:3000', HOST: '0.0.0.0' })).toEqual([
      `PUBLIC_BASE_URL: still the placeholder of .env.example; localhost is this machine, and HOST=0.0.0.0 serves others: approval links are emailed, and would open on each approver's own machine; set the address approvers reach: ${FORM}`,
    ]);
  });

  it('review 9 F5, F8: a PARTNERFLOW_DATABASE_URL that cannot connect is named with the other settings, its password never shown', () => {
    let problems: string[] = [];
    try {
      loadConfig({ PARTNERFLOW_API_TOKEN: 'a-token-of-at-least-16-chars', PARTNERFLOW_DATABASE_URL: 'postgres://app:Sec/ret-41@db.acme.test:5432/pf' }, { mock: false, connectors: [] });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems.join('\n')).not.toContain('ret-41');
    expect(problems).toEqual([
      'PARTNERFLOW_DATABASE_URL: "postgres://app:***@db.acme.test:5432/pf": the user name or password holds a character a URL reserves, which makes it no URL: percent-encode the password in the URL (@ as %40, : as %3A, / as %2F, ? as %3F, # as %23, % as %25, a space as %20)',
      'PUBLIC_BASE_URL: required (the base URL approval links point to: https://<host>[:<port>][/<path>] (or http://))',
    ]);
  });

  it('keeps a plain base, with or without a path', () => {
    expect(publicBaseUrl('https://partnerflow.example.com/')).toBe('https://partnerflow.example.com');
    expect(publicBaseUrl('http://intranet.example.com:8080/partnerflow/')).toBe('http://intranet.example.com:8080/partnerflow');
  });
});

/** What a start outside mock mode with these variables says: the configuration error's text, or '' when it starts. */
function startMessage(env: Record<string, string>): string {
  const base = { PUBLIC_BASE_URL: 'https://partnerflow.acme.test', PARTNERFLOW_API_TOKEN: 'a1b2c3d4e5f6a7b8c9d0e1f2', APPROVAL_LINK_SECRET: 'f0e1d2c3b4a5968778695a4b3c2d1e0f' };
  try {
    loadConfig({ ...base, ...env }, { mock: false, connectors: CONNECTORS });
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('PARTNERFLOW_LEASE_MS (leases are renewed every third of it)', () => {
  it('refuses a lease shorter than 2 s, saying why', () => {
    expect(startMessage({ PARTNERFLOW_LEASE_MS: '1000' })).toContain(
      'PARTNERFLOW_LEASE_MS: at least 2000 (a turn renews its lease every third of it, and a renewal waiting on a busy database must not let it lapse) (got "1000")',
    );
    expect(startMessage({ PARTNERFLOW_LEASE_MS: '2000' })).toBe('');
  });
});

describe('PARTNERFLOW_WORKER_ID (leases are named <worker id>~<random>)', () => {
  it('refuses a "~", which would let worker "a" free the leases of worker "a~b" at its start', () => {
    expect(startMessage({ PARTNERFLOW_WORKER_ID: 'a~b' })).toContain(
      'PARTNERFLOW_WORKER_ID: must not contain "~" (it separates the worker id from the random part of a lease) (got "a~b")',
    );
    expect(startMessage({ PARTNERFLOW_WORKER_ID: 'partnerflow-1' })).toBe('');
  });
});

describe('PARTNERFLOW_DATABASE_PREPARED_STATEMENTS (a pooler that does not keep prepared statements)', () => {
  const database = (env: Record<string, string>) =>
    loadConfig(
      { PUBLIC_BASE_URL: 'https://partnerflow.acme.test', PARTNERFLOW_API_TOKEN: 'a1b2c3d4e5f6a7b8c9d0e1f2', APPROVAL_LINK_SECRET: 'f0e1d2c3b4a5968778695a4b3c2d1e0f', PARTNERFLOW_DATABASE_URL: 'postgres://app:pw@db:5432/partnerflow', ...env },
      { mock: false, connectors: CONNECTORS },
    ).database;

  it('prepares statements unless told off', () => {
    expect(database({})?.preparedStatements).toBe(true);
    expect(database({ PARTNERFLOW_DATABASE_PREPARED_STATEMENTS: 'off' })?.preparedStatements).toBe(false);
  });

  it('refuses anything but on or off, naming the variable', () => {
    expect(startMessage({ PARTNERFLOW_DATABASE_PREPARED_STATEMENTS: 'false' })).toMatch(/PARTNERFLOW_DATABASE_PREPARED_STATEMENTS: .*"on".*"off"/);
  });
});

describe('placeholders of .env.example (change-me…) are never a production secret', () => {
  it('refuses a value starting with "change-me", naming each variable, without echoing it', () => {
    const message = startMessage({
      PARTNERFLOW_API_TOKEN: 'change-me-api-token-0123456789',
      APPROVAL_LINK_SECRET: 'change-me-approval-link-secret-0123456789abcdef',
      WEBHOOK_SECRET_PRM: 'change-me-prm-webhook-secret-0123',
      PRM_BASE_URL: 'https://prm.vendor.example/api/objects/v1',
      PRM_API_KEY: 'change-me',
      PRM_TENANT_ID: '1000',
      PRM_CLAIM_PORTAL_URL: 'https://partners.vendor.example/mdf/claims/{id}',
    });
    for (const variable of ['PARTNERFLOW_API_TOKEN', 'APPROVAL_LINK_SECRET', 'WEBHOOK_SECRET_PRM']) {
      expect(message).toContain(`${variable}: still the placeholder of .env.example; set your own secret (e.g. openssl rand -hex 32)`);
    }
    expect(message).toContain('PRM_API_KEY: still the placeholder of .env.example; set the real value');
    expect(message).not.toContain('change-me-api-token');
  });

  it('lets mock mode start with them (nothing real is behind it)', () => {
    expect(() => loadConfig({ PARTNERFLOW_API_TOKEN: 'change-me-api-token-0123456789' }, { mock: true, connectors: CONNECTORS })).not.toThrow();
  });
});

describe('a connector variable that is not a number', () => {
  it('is named with the value it got, as the runtime variables are (a number is never a secret)', () => {
    const prm = { PRM_BASE_URL: 'https://prm.acme.test/api/objects/v1', PRM_API_KEY: 'prm-key-0123' };
    expect(startMessage({ ...prm, PRM_TENANT_ID: 'abc' })).toContain('PRM_TENANT_ID: Invalid input: expected number, received NaN (got "abc")');
    expect(startMessage({ ...prm, PRM_TENANT_ID: '1000', PRM_MAX_CALLS_PER_SECOND: 'ten' })).toContain('PRM_MAX_CALLS_PER_SECOND: must be a whole number (got "ten")');
  });
});
