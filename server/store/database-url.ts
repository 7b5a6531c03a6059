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
  // A password that cut the URL short: the text after it is the URL meant, shown with the password masked.
  const cut = misreadUserinfo(url);
  if (cut) {
    const rest = redactDatabaseUrl(`${cut.scheme}//${cut.afterAt}`);
    return `${cut.scheme}//${cut.user}:***@${rest.startsWith(`${cut.scheme}//`) ? rest.slice(cut.scheme.length + 2) : '…'}`;
  }
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
  const cut = misreadUserinfo(url);
  if (!URL.canParse(url)) return cut ? withDecoded([cut.password]) : [];
  const parsed = new URL(url);
  const written = [parsed.password, ...(cut ? [cut.password] : [])];
  for (const pair of parsed.search.slice(1).split('&')) {
    const cut = pair.indexOf('=');
    if (cut >= 0 && SECRET_PARAMETER.test(decodeParameter(pair.slice(0, cut)))) written.push(pair.slice(cut + 1));
  }
  return withDecoded(written);
}

/** Secrets as written and decoded, longest first (so a longer one is taken out before a part of it). */
function withDecoded(written: string[]): string[] {
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
  const cut = misreadUserinfo(url);
  if (cut) {
    const host = URL.canParse(url) ? new URL(url).hostname : undefined;
    // The host read is named only when it is the user name: after an @ in the password it is a piece of the password.
    const reading = host === undefined ? 'makes it no URL' : host === cut.user.toLowerCase() ? `makes the URL name host "${host}"` : 'makes the URL name another host';
    throw new PostgresStoreError(`"${shown}": the user name or password holds a character a URL reserves, which ${reading}: ${PERCENT_ENCODE}`);
  }
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

/** What checkDatabaseUrl refuses the URL for, or undefined: for the configuration's list of problems. */
export function databaseUrlProblem(url: string): string | undefined {
  try {
    checkDatabaseUrl(url);
    return undefined;
  } catch (error) {
    if (error instanceof PostgresStoreError) return error.message;
    throw error;
  }
}

/** libpq's modes (postgres-sslmode.ts gives them libpq's meaning), and pg's own `no-verify`, which keeps pg's. */
export const LIBPQ_SSLMODES: readonly string[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
const SSLMODES: readonly string[] = [...LIBPQ_SSLMODES, 'no-verify'];
const SSLMODES_NAMED = `${LIBPQ_SSLMODES.join(', ')} (libpq's) or no-verify (pg's: encrypted, certificate not checked)`;


/** What to do about a password a URL cannot hold as written; the same words wherever it is said. */
const PERCENT_ENCODE = 'percent-encode the password in the URL (@ as %40, : as %3A, / as %2F, ? as %3F, # as %23, % as %25, a space as %20)';

/** `scheme//user:password@rest`, the password up to the last `@` (a password may hold one). */
const WRITTEN_USERINFO = /^(postgres(?:ql)?:)\/\/([^:@/?#]*):(.*)@([^@]*)$/is;

/** The password as written in the URL's text, before any parser read it. */
function writtenPassword(url: string): string | undefined {
  return WRITTEN_USERINFO.exec(url)?.[3];
}

/** The userinfo as written, when the URL parser did not read it as one (misreadUserinfo). */
interface WrittenUserinfo {
  scheme: string;
  user: string;
  password: string;
  /** The text after the userinfo's `@`: the host, port, database and parameters meant. */
  afterAt: string;
}

/**
 * A `user:password@` the URL parser did not read as such: a `/`, `?` or `#` in the password ends the
 * host part early, so the URL is no URL (`postgres://app:pa/ss@db/pf`) or, when what precedes the
 * character reads as a port, names the user as its host and the rest as its path, query or fragment
 * (`postgres://app:12/ss@db/pf`: host "app", port 12). Told from a URL whose host is right by the `@`
 * landing in the path, the fragment or a parameter's name, where no PostgreSQL URL has one (an `@` in
 * a parameter's value, `?password=p@ss`, is fine). `@` and `:` alone in a password are read right.
 */
function misreadUserinfo(url: string): WrittenUserinfo | undefined {
  const written = WRITTEN_USERINFO.exec(url);
  if (!written) return undefined;
  const [, scheme, user, password, afterAt] = written as unknown as [string, string, string, string, string];
  const found = { scheme, user, password, afterAt };
  if (!URL.canParse(url)) return /[/?#]/.test(password) ? found : undefined;
  const parsed = new URL(url);
  const names = parsed.search.slice(1).split('&').map((pair) => pair.split('=')[0]!);
  return parsed.pathname.includes('@') || parsed.hash.includes('@') || names.some((name) => name.includes('@')) ? found : undefined;
}

/**
 * What to add to a refused login's message, from the URL alone (never quoting its password): a URL
 * without a password meeting a server that asks for one (pg: "client password must be a string",
 * "password authentication failed"), or a `%` in the password, which is read as percent-encoding.
 * '' when the URL says nothing more.
 */
export function loginRefusalHint(url: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const passwordAsked = /client password must be a (non-empty )?string/.test(message) || code === '28P01' || /password authentication failed/.test(message);
  if (!passwordAsked || !URL.canParse(url)) return '';
  const parsed = new URL(url);
  const inQuery = [...parsed.searchParams.keys()].some((name) => name.toLowerCase() === 'password');
  if (!parsed.password && !inQuery) return '; the URL has no password, and the server asks for one: give it as postgres://<user>:<password>@<host>[:<port>]/<database>, the password percent-encoded';
  // As written: the parser percent-encodes a space or a bracket itself, which is no % of the operator's.
  if (parsed.password && misreadUserinfo(url) === undefined && /%/.test(writtenPassword(url) ?? '')) return `; a % in the password is read as percent-encoding (%41 reads as A): if the password holds a % itself, ${PERCENT_ENCODE}`;
  return '';
}
