import { describe, expect, it } from 'vitest';
import { describeStartupError } from '../cli/startup-error.ts';
import { testPostgresUrl } from '../../test/support/test-postgres.ts';
import { loginRefusalHint, redactDatabaseUrl } from './database-url.ts';
import { openPostgresStore } from './postgres-store.ts';

/**
 * Review 5 finding 10: an `sslmode` PostgreSQL does not have (a typo) in PARTNERFLOW_DATABASE_URL was
 * taken, and the start failed later as "The server does not support SSL connections". It is refused
 * before any connection, naming the modes there are, with the password masked.
 */
async function startLine(url: string): Promise<string> {
  try {
    const store = await openPostgresStore({ url, poolSize: 1 });
    await store.close();
    return 'started';
  } catch (error) {
    return describeStartupError(error);
  }
}

const MODES = 'disable, allow, prefer, require, verify-ca, verify-full (libpq\'s) or no-verify (pg\'s: encrypted, certificate not checked)';

describe('sslmode in PARTNERFLOW_DATABASE_URL', () => {
  it('is refused at start when PostgreSQL has no such mode, naming the accepted ones, before any connection', async () => {
    // Port 9 (discard) on loopback: nothing to connect to, so only a check before connecting answers this.
    expect(await startLine('postgres://app:Never-Shown-41@127.0.0.1:9/pf?sslmode=bogus')).toBe(
      `partnerflow: cannot start: PARTNERFLOW_DATABASE_URL: "postgres://app:***@127.0.0.1:9/pf?sslmode=bogus": sslmode "bogus" is not one of ${MODES}`,
    );
    // libpq reads the mode as written: a capital letter is a typo too.
    expect(await startLine('postgresql://app:pw@127.0.0.1:9/pf?sslmode=Require')).toContain('sslmode "Require" is not one of disable, allow');
    expect(await startLine('postgres://app:pw@127.0.0.1:9/pf?sslmode=')).toContain('sslmode "" is not one of disable, allow');
  });

  it('lets every mode there is through to the connection (which then fails here: nothing listens)', async () => {
    for (const mode of ['disable', 'require', 'verify-ca', 'verify-full', 'no-verify']) {
      const line = await startLine(`postgres://app:pw@127.0.0.1:9/pf?sslmode=${mode}`);
      expect(line, mode).toContain('cannot connect to');
      expect(line, mode).not.toContain('is not one of');
    }
  });
});

const ENCODE = 'percent-encode the password in the URL (@ as %40, : as %3A, / as %2F, ? as %3F, # as %23, % as %25, a space as %20)';

/**
 * Review 9 finding 8: a password with a character a URL reserves, written as it is, gave "not a URL"
 * or a connection to the wrong host, and a URL without a password met by a server that wants one gave
 * pg's "client password must be a string". Each now says what to do, and never shows the password.
 */
describe('a password PARTNERFLOW_DATABASE_URL cannot hold as written', () => {
  it('a / ? or # in it (no URL then) is refused before any connection with a hint to percent-encode it, the password never shown', async () => {
    for (const password of ['Sec/ret-41', 'Sec?ret-41', 'Sec#ret-41']) {
      const line = await startLine(`postgres://app:${password}@db.acme.test:5432/pf`);
      expect(line, password).toBe(`partnerflow: cannot start: PARTNERFLOW_DATABASE_URL: "postgres://app:***@db.acme.test:5432/pf": the user name or password holds a character a URL reserves, which makes it no URL: ${ENCODE}`);
      expect(line).not.toContain('ret-41');
    }
  });

  it('one that makes the URL name another host (what precedes the / reads as a port) is refused naming that host, before any connection', async () => {
    for (const password of ['1234/Secret', '1234?Secret', '1234#Secret']) {
      const line = await startLine(`postgres://app:${password}@db.acme.test:5432/pf?sslmode=require`);
      expect(line, password).toBe(
        `partnerflow: cannot start: PARTNERFLOW_DATABASE_URL: "postgres://app:***@db.acme.test:5432/pf?sslmode=require": the user name or password holds a character a URL reserves, which makes the URL name host "app": ${ENCODE}`,
      );
      expect(line).not.toContain('1234');
      expect(line).not.toContain('Secret');
    }
  });

  it('an @ or : in it is read right, and so is an @ in a parameter\'s value: the start goes on to connect (nothing listens here)', async () => {
    for (const url of ['postgres://app:p@ss:w0rd-41@127.0.0.1:9/pf', 'postgres://127.0.0.1:9/pf?user=app&password=p@ss-41']) {
      const line = await startLine(url);
      expect(line, url).toContain('cannot connect to');
      expect(line, url).not.toContain('reserves');
      expect(line, url).not.toMatch(/w0rd|ss-41/);
    }
  });

  it('an @ before the / makes the URL name a piece of the password as host: refused the same way, that piece not named', async () => {
    const line = await startLine('postgres://app:Se@cr/et-41@db.acme.test:5432/pf');
    expect(line).toBe(`partnerflow: cannot start: PARTNERFLOW_DATABASE_URL: "postgres://app:***@db.acme.test:5432/pf": the user name or password holds a character a URL reserves, which makes the URL name another host: ${ENCODE}`);
    expect(line).not.toMatch(/Se|cr|et-41/);
  });

  it('is shown with the password masked wherever the URL is shown', () => {
    expect(redactDatabaseUrl('postgres://app:1234/Secret@db.acme.test/pf?password=x')).toBe('postgres://app:***@db.acme.test/pf?password=***');
    expect(redactDatabaseUrl('postgresql://app:Sec#ret@db.acme.test/pf')).toBe('postgresql://app:***@db.acme.test/pf');
  });
});

describe('a login the server refuses', () => {
  it('a URL without a password, met by a server that asks for one, says the URL has no password', async () => {
    const url = new URL(testPostgresUrl());
    url.password = '';
    const line = await startLine(url.toString());
    expect(line).toContain(`cannot connect to ${url.toString()}: `);
    expect(line).toMatch(/; the URL has no password, and the server asks for one: give it as postgres:\/\/<user>:<password>@<host>\[:<port>\]\/<database>, the password percent-encoded$/);
  });

  it('names pg\'s words for it, and a % in a refused password, never quoting the password', () => {
    const noPassword = '; the URL has no password, and the server asks for one: give it as postgres://<user>:<password>@<host>[:<port>]/<database>, the password percent-encoded';
    expect(loginRefusalHint('postgres://app@db/pf', new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'))).toBe(noPassword);
    expect(loginRefusalHint('postgres://app@db/pf', Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' }))).toBe(noPassword);
    // A password given as a parameter is a password.
    expect(loginRefusalHint('postgres://app@db/pf?password=x', Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' }))).toBe('');
    const percent = loginRefusalHint('postgres://app:50%41off@db/pf', Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' }));
    expect(percent).toBe(`; a % in the password is read as percent-encoding (%41 reads as A): if the password holds a % itself, ${ENCODE}`);
    expect(percent).not.toContain('50%41off');
    // A space the URL parser encoded is no % of the operator's.
    expect(loginRefusalHint('postgres://app:a b@db/pf', Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' }))).toBe('');
    expect(loginRefusalHint('postgres://app:right@db/pf', Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' }))).toBe('');
    expect(loginRefusalHint('postgres://app@db/pf', new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBe('');
  });
});
