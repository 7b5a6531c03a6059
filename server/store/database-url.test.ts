import { describe, expect, it } from 'vitest';
import { describeStartupError } from '../cli/startup-error.ts';
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
