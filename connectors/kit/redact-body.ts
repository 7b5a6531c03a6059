/**
 * Response bodies kept on errors end up in journals, logs and API output. A body that failed to parse
 * or to match its schema can be a token grant's answer, with the very credential the call was for: its
 * secret-looking values are replaced before the error keeps it.
 */

/** The value kept in place of a secret. */
export const REDACTED = '[redacted]';

/** Words in a key that mark its value as a credential: access_token, refresh_token, id_token, client_secret, password, api_key… */
const SECRET_WORD = 'passw(?:or)?d|passphrase|secret|token|api[_-]?key|authorization|credential|private[_-]?key|signature|assertion';
const SECRET_KEY = new RegExp(SECRET_WORD, 'i');

/**
 * A secret in text the body arrived as (invalid JSON, a form-encoded grant, a truncated answer): a quoted
 * JSON key and its value (`"access_token": "…"`, up to the end when the closing quote is cut off), or a
 * form or query pair (`access_token=…`). Only these two shapes: prose such as `invalid_token: expired`
 * is a message worth keeping, not a secret.
 */
const SECRET_IN_TEXT = new RegExp(
  `("[\\w.-]*(?:${SECRET_WORD})[\\w.-]*"\\s*:\\s*)(?:"(?:[^"\\\\]|\\\\.)*"?|[^\\s,}\\]]+)` + `|((?:^|[?&;\\s])[\\w.-]*(?:${SECRET_WORD})[\\w.-]*=)[^&\\s]*`,
  'gi',
);

/** The body with the values of secret-looking keys replaced, at any depth, in parsed JSON and in text. */
export function redactBody(body: unknown): unknown {
  if (typeof body === 'string') return body.replace(SECRET_IN_TEXT, (_match, jsonKey?: string, formKey?: string) => (jsonKey ? `${jsonKey}"${REDACTED}"` : `${formKey}${REDACTED}`));
  if (Array.isArray(body)) return body.map(redactBody);
  if (body !== null && typeof body === 'object') {
    return Object.fromEntries(Object.entries(body).map(([key, value]) => [key, SECRET_KEY.test(key) ? REDACTED : redactBody(value)]));
  }
  return body;
}
