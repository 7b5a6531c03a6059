/**
 * The one rule for "does this name label a secret": JSON keys and XML elements in HTTP error bodies
 * (`redact-body.ts`), query parameters of URLs kept on errors and logs (`http-errors.ts`), and the keys
 * of journaled step inputs and outputs (`server/engine/redact.ts`).
 *
 * A name is split into lowercase words (`X-Api-Key`, `apiKey`, `api_key` → `api key`) and read whole:
 * `access_token`, `sessionId` and `X-Postmark-Server-Token` are secrets; `token_type`, `next_page_token`,
 * `tokens_used`, `secretary` and `signature` are not.
 */

/** The value kept in place of a secret. */
export const REDACTED = '[redacted]';

/**
 * Endings of the name with its words run together: `client_secret`, `refresh_token`, `X-Api-Key`,
 * `jsessionid`, `Authorization`, `client_assertion`, `prm-key`.
 */
const SECRET_ENDINGS = [
  'token', 'secret', 'secrets', 'password', 'passwd', 'passphrase', 'credential', 'credentials', 'authorization', 'assertion',
  'apikey', 'privatekey', 'secretkey', 'accesskey', 'signingkey', 'sessionkey', 'encryptionkey', 'prmkey',
  'sessionid', 'sessid', 'authcode', 'authorizationcode',
];

/** Tokens that page through results rather than grant access: `next_page_token`, `nextSyncToken`, `$skiptoken`. */
const NOT_SECRET_ENDINGS = ['pagetoken', 'nexttoken', 'continuationtoken', 'synctoken', 'deltatoken', 'skiptoken', 'paginationtoken', 'cursortoken'];

/** Short words that are a secret only as the name's last word: `auth`, `basic_auth`, `{ user, pass }`, `Set-Cookie`, `session`. */
const SECRET_LAST_WORDS = new Set(['auth', 'pass', 'pwd', 'cookie', 'session']);

/** Words that mark a secret anywhere in the name: `password_hash`, `SecretString`, `secret_access_key`. */
const SECRET_WORDS = new Set(['password', 'passwd', 'passphrase', 'secret', 'secrets']);

/** Extra query parameters that carry a credential in a URL only: Google's `key`, OAuth's `code`, a signed URL's `sig` / `X-Amz-Signature`. */
const URL_SECRET_NAMES = new Set(['key', 'code', 'sig']);
const URL_SECRET_ENDINGS = ['signature'];

/** The name's words, lowercase: camelCase, PascalCase, `snake_case`, `kebab-case`, `dot.case` and `ns:prefix` are split. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
}

/**
 * Answers by name, since the journal asks about the same few keys again and again: redacting a step's
 * 100,000 leads asked about their 14 field names 1.4 million times, 9 s of splitting words. Emptied when
 * it holds MAX_REMEMBERED names, so keys that are data (ids as keys) cannot make it grow without end.
 */
const remembered = new Map<string, boolean>();
const MAX_REMEMBERED = 10_000;

/** Whether a key, element or parameter named so holds a secret. */
export function isSecretName(name: string): boolean {
  let secret = remembered.get(name);
  if (secret === undefined) {
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.set(name, (secret = decideSecretName(name)));
  }
  return secret;
}

function decideSecretName(name: string): boolean {
  const words = nameWords(name);
  const joined = words.join('');
  if (SECRET_ENDINGS.some((end) => joined.endsWith(end)) && !NOT_SECRET_ENDINGS.some((end) => joined.endsWith(end))) return true;
  const last = words[words.length - 1];
  if (last !== undefined && SECRET_LAST_WORDS.has(last)) return true;
  return words.some((word) => SECRET_WORDS.has(word));
}

/** Whether a URL query parameter named so holds a secret: the shared rule, plus `key`, `code`, `sig` and `…Signature`. */
export function isSecretQueryParam(name: string): boolean {
  if (isSecretName(name)) return true;
  const joined = nameWords(name).join('');
  return URL_SECRET_NAMES.has(joined) || URL_SECRET_ENDINGS.some((end) => joined.endsWith(end));
}
