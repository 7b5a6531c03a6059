/**
 * Response bodies kept on errors end up in journals, logs and API output. A body that failed to parse
 * or to match its schema can be a token grant's answer, with the very credential the call was for: its
 * secret-named values are replaced before the error keeps it. Which names are secret is decided in one
 * place, `secret-names.ts`.
 */
import { isSecretName, REDACTED } from './secret-names.ts';


/** The body with the values of secret-named keys replaced, at any depth, in parsed JSON and in text. */
export function redactBody(body: unknown): unknown {
  if (typeof body === 'string') return redactText(body);
  if (Array.isArray(body)) return body.map(redactBody);
  if (body !== null && typeof body === 'object') {
    return Object.fromEntries(Object.entries(body).map(([key, value]) => [key, isSecretName(key) ? REDACTED : redactBody(value)]));
  }
  return body;
}

/**
 * Secrets in text the body arrived as (invalid or cut-off JSON, Python-style JSON, XML, a form-encoded
 * grant, an echoed request). Only these shapes: prose such as `invalid_token: expired` is a message worth
 * keeping, not a secret. When the text is cut off inside a secret, everything from it to the end goes.
 */
function redactText(text: string): string {
  return redactCredentials(redactPairs(redactXmlElements(redactQuotedKeys(text))));
}

/** A quoted key and its colon: `"access_token": `, `'session_id':`. */
const QUOTED_KEY = /(["'])([\w.$-]+)\1\s*:\s*/g;

/**
 * `"access_token": "…"`, `'access_token': '…'`, `"pin": 1234`, and a key holding an object or array,
 * which goes whole (`"credentials": {…}` → `"credentials": "[redacted]"`).
 */
function redactQuotedKeys(text: string): string {
  let out = '';
  let kept = 0;
  QUOTED_KEY.lastIndex = 0;
  for (let match = QUOTED_KEY.exec(text); match !== null; match = QUOTED_KEY.exec(text)) {
    if (!isSecretName(match[2]!)) continue;
    const start = match.index + match[0].length;
    const quote = text[start] === "'" || text[start] === '"' ? text[start] : match[1];
    out += `${text.slice(kept, start)}${quote}${REDACTED}${quote}`;
    kept = endOfValue(text, start);
    QUOTED_KEY.lastIndex = kept;
  }
  return out + text.slice(kept);
}

/** Where the JSON-ish value starting at `start` ends: after its closing quote or bracket, or at the end of a cut-off text. */
function endOfValue(text: string, start: number): number {
  const first = text[start];
  if (first === '"' || first === "'") return endOfString(text, start);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      const char = text[i];
      if (char === '"' || char === "'") i = endOfString(text, i) - 1;
      else if (char === '{' || char === '[') depth++;
      else if ((char === '}' || char === ']') && --depth === 0) return i + 1;
    }
    return text.length;
  }
  const scalar = /[^\s,}\]"']*/y;
  scalar.lastIndex = start;
  scalar.exec(text);
  return scalar.lastIndex;
}

/** After the closing quote of the string opening at `start` (backslash escapes honoured), or the end of a cut-off text. */
function endOfString(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i + 1;
  }
  return text.length;
}

/** An XML start tag: its qualified name (`ns:password`), its local name, and whether it closes itself. */
const XML_START_TAG = /<((?:[\w.-]+:)?([\w.-]+))(?:\s[^<>]*?)?(\/?)>/g;

/** `<access_token>…</access_token>`: the whole content goes (child elements too), up to the end of a cut-off text. */
function redactXmlElements(text: string): string {
  let out = '';
  let kept = 0;
  XML_START_TAG.lastIndex = 0;
  for (let match = XML_START_TAG.exec(text); match !== null; match = XML_START_TAG.exec(text)) {
    if (match[3] === '/' || !isSecretName(match[2]!)) continue;
    const start = match.index + match[0].length;
    const close = text.indexOf(`</${match[1]}`, start);
    const end = close === -1 ? text.length : close;
    out += `${text.slice(kept, start)}${REDACTED}`;
    kept = end;
    XML_START_TAG.lastIndex = end;
  }
  return out + text.slice(kept);
}

/**
 * A form, query or attribute pair: `access_token=…` (up to `&`, `;`, a quote, a bracket or a space) or
 * `token="…"`. The name must start the text or follow `?`, `&`, `;` or a space.
 */
const PAIR = /((?:^|[?&;\s])([\w.-]+)=)("[^"]*"?|'[^']*'?|[^&;\s"'<>]*)/g;

function redactPairs(text: string): string {
  return text.replace(PAIR, (match, head: string, name: string, value: string) => {
    if (!isSecretName(name)) return match;
    const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : '';
    return `${head}${quote}${REDACTED}${quote}`;
  });
}

/**
 * The credential after `Bearer` or `prm-key` anywhere, or after any scheme in an `Authorization:` header
 * (`Authorization: Basic …`). A challenge's parameters (`Bearer realm="api"`) and a plain lowercase word
 * (`bearer token expired`, `Basic authentication`) are not credentials.
 */
const CREDENTIAL = /(\b(?:(?:proxy-)?authorization\s*:\s*(?:[A-Za-z][\w-]*\s+)?|(?:bearer|prm-key)\s+))([\w.~+/-]+)(=*)(?![\w.~+/=-])/gi;

function redactCredentials(text: string): string {
  return text.replace(CREDENTIAL, (match, head: string, credential: string, padding: string, offset: number) => {
    const isChallengeParameter = padding === '=' && text[offset + match.length] === '"' && /^[A-Za-z_]+$/.test(credential);
    if (isChallengeParameter || /^[a-z]+$/.test(credential)) return match;
    return `${head}${REDACTED}`;
  });
}
