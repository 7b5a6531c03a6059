import { randomBytes } from 'node:crypto';
import { HttpResponse } from 'msw';

/** Marketo's request id, e.g. `e42b#14272d07d78`. */
function requestId(): string {
  return `${randomBytes(2).toString('hex')}#${randomBytes(6).toString('hex').slice(0, 11)}`;
}

/** A business error: HTTP 200, `success: false`, the code as a string (as Marketo sends it). */
export function marketoError(code: string, message: string): Response {
  return HttpResponse.json({ requestId: requestId(), success: false, errors: [{ code, message }] });
}

/** A successful answer: the envelope with `result` and whatever paging fields the call has. */
export function marketoOk(result: unknown[] | undefined, extra: Record<string, unknown> = {}): Response {
  return HttpResponse.json({ requestId: requestId(), success: true, ...(result ? { result } : {}), ...extra });
}

/** Marketo's messages for the codes the simulated instance answers. */
export const MESSAGES: Record<string, string> = {
  '600': 'Access token not specified',
  '601': 'Access token invalid',
  '602': 'Access token expired',
  '606': 'Max rate limit \'100\' exceeded with in \'20\' secs',
  '607': 'Daily quota reached',
  '609': 'Invalid JSON',
  '615': 'Concurrent access limit reached',
};

/** A paging token: opaque to the caller, a position to us. */
export function encodeToken(position: object): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeToken<T>(token: string | null): T | undefined {
  if (!token) return undefined;
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
