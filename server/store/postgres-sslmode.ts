import pg from 'pg';
import { LIBPQ_SSLMODES } from './database-url.ts';

/**
 * `sslmode` in PARTNERFLOW_DATABASE_URL with libpq's meaning, as README promises for libpq parameters.
 * pg reads it its own way: `require` and `verify-ca` verify the certificate and host name as
 * `verify-full` does, and no mode falls back to a plain connection, so `prefer` and `allow` fail
 * against a server without SSL. Unless the URL chooses for itself (`uselibpqcompat=`), it is given
 * `uselibpqcompat=true` (pg-connection-string's libpq semantics: `require` encrypts without verifying,
 * `verify-ca` checks the CA, `verify-full` also the host name). `prefer` and `allow`, which libpq
 * settles per connection, are settled once at open by a probe connection, for every connection of the
 * process: `prefer` tries SSL first, `allow` a plain connection first, each falling back to the other.
 */
export async function withLibpqSslmode(url: string): Promise<string> {
  const parsed = new URL(url);
  const names = [...parsed.searchParams.keys()].map((name) => name.toLowerCase());
  const mode = parsed.searchParams.get('sslmode');
  // A mode libpq does not have (pg's own `no-verify`) keeps pg's meaning: in libpq semantics pg
  // would not know it and would verify the certificate.
  if (mode === null || !LIBPQ_SSLMODES.includes(mode) || names.includes('uselibpqcompat')) return url;
  const as = (sslmode: string): string => {
    const next = new URL(url);
    next.searchParams.set('sslmode', sslmode);
    next.searchParams.set('uselibpqcompat', 'true');
    return next.toString();
  };
  if (mode !== 'prefer' && mode !== 'allow') return as(mode);
  const [first, second] = mode === 'prefer' ? [as('require'), as('disable')] : [as('disable'), as('require')];
  if (await connects(first)) return first;
  // Neither works: the store's open reports the first attempt's failure, as libpq reports it.
  return (await connects(second)) ? second : first;
}

async function connects(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: 'partnerflow-sslmode' });
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
