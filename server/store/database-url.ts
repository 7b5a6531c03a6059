/** The PostgreSQL connection URL: a secret (its password), checked before use and shown only redacted. */

/**
 * The PostgreSQL database cannot serve as the store: a URL that is not a PostgreSQL URL, a server that
 * cannot be reached or refuses the login, a migration that fails. A setting to fix, not a bug: the
 * CLI shows it in one line naming the variable. Its message never holds the URL's password.
 */
export class PostgresStoreError extends Error {
  override name = 'PostgresStoreError';
}

/**
 * The URL as it may be shown: its password replaced by `***`. Anything but a postgres:// URL is shown
 * by its scheme alone: `user:password@host` parses as a URL of scheme `user:` whose "path" is the
 * password, so only a URL known to be hierarchical can be shown in part.
 */
export function redactDatabaseUrl(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : null;
  if (!parsed || !isPostgresProtocol(parsed.protocol)) return /^[a-z][a-z0-9+.-]*:/i.test(url) && parsed ? `${parsed.protocol}…` : '…';
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

const isPostgresProtocol = (protocol: string) => protocol === 'postgres:' || protocol === 'postgresql:';

/** Throws a PostgresStoreError naming what is wrong with a URL that cannot be a PostgreSQL connection URL. */
export function checkDatabaseUrl(url: string): void {
  const shown = redactDatabaseUrl(url);
  if (!URL.canParse(url)) throw new PostgresStoreError(`"${shown}" is not a URL (expected postgres://user:password@host:5432/database)`);
  const parsed = new URL(url);
  if (!isPostgresProtocol(parsed.protocol)) {
    throw new PostgresStoreError(`"${shown}" is not a PostgreSQL URL: it must start with postgres:// or postgresql://`);
  }
  if (!parsed.hostname) throw new PostgresStoreError(`"${shown}" names no host (expected postgres://user:password@host:5432/database)`);
}

