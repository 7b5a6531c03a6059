import { describe, expect, it } from 'vitest';
import { AuthError, findErrorMessage, httpErrorFromStatus, NotFoundError, parseRetryAfter, RateLimitError, redactUrl, ServerError, ValidationError } from './http-errors.ts';

const at = (status: number) => httpErrorFromStatus({ system: 'prm', status, method: 'get', url: 'https://prm.test/api/x/1?fields=a', systemMessage: 'nope' });

describe('httpErrorFromStatus', () => {
  it('maps each status to its kind and says whether a retry may help', () => {
    const kinds = Object.fromEntries([400, 401, 403, 404, 409, 422, 429, 500, 501, 502, 503, 504].map((s) => [s, at(s).name]));
    expect(kinds).toEqual({
      400: 'ValidationError', 401: 'AuthError', 403: 'AuthError', 404: 'NotFoundError', 409: 'ValidationError', 422: 'ValidationError',
      429: 'RateLimitError', 500: 'ServerError', 501: 'ServerError', 502: 'ServerError', 503: 'ServerError', 504: 'ServerError',
    });
    expect(at(401)).toBeInstanceOf(AuthError);
    expect(at(404)).toBeInstanceOf(NotFoundError);
    expect(at(422)).toBeInstanceOf(ValidationError);
    expect(at(429)).toBeInstanceOf(RateLimitError);
    expect(at(503)).toBeInstanceOf(ServerError);
    const retryable = Object.fromEntries([400, 401, 403, 404, 409, 422, 429, 500, 501, 502, 503, 504].map((s) => [s, at(s).retryable]));
    expect(retryable).toEqual({ 400: false, 401: false, 403: false, 404: false, 409: false, 422: false, 429: true, 500: true, 501: false, 502: true, 503: true, 504: true });
  });

  it('names the system, method and path, never the host or query', () => {
    const error = at(404);
    expect(error.message).toBe('prm GET /api/x/1 answered 404: nope');
    expect(error.name).toBe('NotFoundError');
  });

  it('keeps a large body only in part', () => {
    const error = httpErrorFromStatus({ system: 's', status: 500, method: 'GET', url: 'https://s.test/', body: { text: 'x'.repeat(10_000) } });
    expect(typeof error.body).toBe('string');
    expect((error.body as string).length).toBeLessThan(2_100);
    expect(error.body as string).toMatch(/… \(truncated\)$/);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP-dates', () => {
    const now = Date.UTC(2026, 0, 5, 9, 0, 0);
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
    expect(parseRetryAfter(new Date(now - 5_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('findErrorMessage', () => {
  it('finds the message in the shapes the systems use', () => {
    expect(findErrorMessage({ success: false, errors: [{ code: 'NotFound', fields: [], message: 'No such record' }] })).toEqual({ message: 'No such record', code: 'NotFound' });
    expect(findErrorMessage([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }])).toEqual({ message: 'Session expired or invalid', code: 'INVALID_SESSION_ID' });
    expect(findErrorMessage({ ErrorCode: 300, Message: 'Invalid email' })).toEqual({ message: 'Invalid email', code: '300' });
    expect(findErrorMessage({ error: 'invalid_client', error_description: 'invalid client credentials' })).toEqual({ message: 'invalid client credentials', code: 'invalid_client' });
  });
});

describe('redactUrl', () => {
  it('hides secret query values (the shared secret names, and a URL\'s key, code and signatures) and keeps the rest', () => {
    const url = 'https://api.test/x?client_secret=cs&access_token=at&sessionId=s1&key=k&code=c&sig=g&X-Amz-Signature=h&next_page_token=p&token_type=t&author=me&monkey=m&fields=a';
    expect(redactUrl(url)).toBe(
      'https://api.test/x?client_secret=%5Bredacted%5D&access_token=%5Bredacted%5D&sessionId=%5Bredacted%5D&key=%5Bredacted%5D&code=%5Bredacted%5D&sig=%5Bredacted%5D&X-Amz-Signature=%5Bredacted%5D&next_page_token=p&token_type=t&author=me&monkey=m&fields=a',
    );
  });
});
