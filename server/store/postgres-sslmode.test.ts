import { afterEach, describe, expect, it } from 'vitest';
import { createTestSchema, dropTestSchema, testPostgresUrl } from '../../test/support/test-postgres.ts';
import pg from 'pg';
import { openPostgresStore } from './postgres-store.ts';
import { withLibpqSslmode } from './postgres-sslmode.ts';
import type { KyselyStore } from './kysely-store.ts';

/**
 * README (PARTNERFLOW_DATABASE_URL): libpq parameters pass through, `sslmode` with libpq's meaning. The
 * test server (embedded PostgreSQL) has no SSL: `prefer` and `allow` connect without it as libpq does,
 * `require` and above refuse, saying so, the password masked.
 */
let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function withSslmode(mode: string): Promise<{ url: URL; store?: KyselyStore; message?: string }> {
  const schemaUrl = await createTestSchema();
  cleanups.push(() => dropTestSchema(schemaUrl));
  const url = new URL(schemaUrl);
  url.searchParams.set('sslmode', mode);
  try {
    const store = await openPostgresStore({ url: url.toString(), poolSize: 1 });
    cleanups.push(() => store.close());
    return { url, store };
  } catch (error) {
    return { url, message: (error as Error).message };
  }
}

describe('sslmode in PARTNERFLOW_DATABASE_URL means what it means to libpq', () => {
  for (const mode of ['disable', 'allow', 'prefer']) {
    it(`sslmode=${mode} connects to a server without SSL, and the store works`, async () => {
      const { store, message } = await withSslmode(mode);
      expect(message).toBeUndefined();
      await store!.ping();
      expect(await store!.getRun('run_none' as never)).toBeUndefined();
    });
  }

  it('sslmode=require refuses a server without SSL, naming the server with its password masked', async () => {
    const { url, message } = await withSslmode('require');
    const password = decodeURIComponent(new URL(testPostgresUrl()).password);
    expect(message).toContain(`cannot connect to postgres://${url.username}:***@${url.host}/`);
    expect(message).toContain('The server does not support SSL connections');
    if (password) expect(message).not.toContain(password);
  });
});

describe('sslmode=require on a server with SSL (no such test server: the connection settings pg is given)', () => {
  it('require encrypts without verifying the certificate, as in libpq; verify-full verifies it; an explicit uselibpqcompat and pg\'s own no-verify are left alone', async () => {
    // What a pg client of the store is told to do (pg parses the URL itself, as the pool does).
    const ssl = async (query: string) => (new pg.Client({ connectionString: await withLibpqSslmode(`postgres://app:secret@db.example.com/pf?${query}`) }) as unknown as { connectionParameters: { ssl: unknown } }).connectionParameters.ssl;
    expect(await ssl('sslmode=require')).toEqual({ rejectUnauthorized: false });
    expect(await ssl('sslmode=verify-full')).toEqual({});
    expect(await ssl('sslmode=disable')).toBe(false);
    // pg's own mode, which libpq has not: it keeps pg's meaning (encrypted, certificate not verified).
    expect(await ssl('sslmode=no-verify')).toEqual({ rejectUnauthorized: false });
    expect(await withLibpqSslmode('postgres://app:secret@db.example.com/pf?sslmode=require&uselibpqcompat=false')).toBe('postgres://app:secret@db.example.com/pf?sslmode=require&uselibpqcompat=false');
  });
});
