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
 * Query parameters that carry a secret: libpq and pg take the password in the query as well as in the
 * userinfo (`?password=…`), and libpq's `sslpassword` unlocks the client key. Matched without regard to
 * case, and by what the name says (`…password`, `…secret`, `…token`), so a driver's next one is covered.
 */
const SECRET_PARAMETER = /pass(word|wd)?$|secret|token/i;

/**
 * The URL as it may be shown: its password (in the userinfo, or a query parameter such as `password`
 * or `sslpassword`) replaced by `***`, the other parameters as given. Anything but a postgres:// URL is
 * shown by its scheme alone: `user:password@host` parses as a URL of scheme `user:` whose "path" is the
 * password, so only a URL known to be hierarchical can be shown in part.
 */
export function redactDatabaseUrl(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : null;
  if (!parsed || !isPostgresProtocol(parsed.protocol)) return /^[a-z][a-z0-9+.-]*:/i.test(url) && parsed ? `${parsed.protocol}…` : '…';
  if (parsed.password) parsed.password = '***';
  // Pair by pair, so the parameters that stay are shown as written, not re-encoded.
  if (parsed.search) {
    parsed.search = parsed.search
      .slice(1)
      .split('&')
      .map((pair) => {
        const cut = pair.indexOf('=');
        return cut >= 0 && SECRET_PARAMETER.test(decodeParameter(pair.slice(0, cut))) ? `${pair.slice(0, cut)}=***` : pair;
      })
      .join('&');
  }
  return parsed.toString();
}

/**
 * Every secret a URL holds, as written and decoded, for taking out of a driver's messages that could
 * quote them: the userinfo password and the values of the secret query parameters.
 */
export function secretsOfDatabaseUrl(url: string): string[] {
  if (!URL.canParse(url)) return [];
  const parsed = new URL(url);
  const written = [parsed.password];
  for (const pair of parsed.search.slice(1).split('&')) {
    const cut = pair.indexOf('=');
    if (cut >= 0 && SECRET_PARAMETER.test(decodeParameter(pair.slice(0, cut)))) written.push(pair.slice(cut + 1));
  }
  const secrets = new Set<string>();
  for (const secret of written.filter((s) => s.length > 0)) {
    secrets.add(secret);
    secrets.add(decodeParameter(secret));
  }
  return [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

/** A URL component decoded (`+` is a space in a query), or as written when it is not valid percent-encoding. */
function decodeParameter(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
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
  // A mode pg does not know is not refused by pg, which then connects as it sees fit (or fails later,
  // "The server does not support SSL connections"): a typo is refused here, before any connection.
  for (const mode of parsed.searchParams.getAll('sslmode')) {
    if (!SSLMODES.includes(mode)) throw new PostgresStoreError(`"${shown}": sslmode "${mode}" is not one of ${SSLMODES_NAMED}`);
  }
}

/** libpq's modes (postgres-sslmode.ts gives them libpq's meaning), and pg's own `no-verify`, which keeps pg's. */
export const LIBPQ_SSLMODES: readonly string[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
const SSLMODES: readonly string[] = [...LIBPQ_SSLMODES, 'no-verify'];
const SSLMODES_NAMED = `${LIBPQ_SSLMODES.join(', ')} (libpq's) or no-verify (pg's: encrypted, certificate not checked)`;

