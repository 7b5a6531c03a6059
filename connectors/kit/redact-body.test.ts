import { describe, expect, it } from 'vitest';
import { redactBody } from './redact-body.ts';

describe('redactBody', () => {
  it('replaces the values of secret-looking keys at any depth and keeps the rest', () => {
    const body = {
      access_token: 'at-1', refresh_token: 'rt-1', id_token: 'it-1', token_type: 'Bearer', instance_url: 'https://org.example',
      nested: [{ client_secret: 'cs-1', Password: 'pw-1', apiKey: 'k-1', name: 'kept' }],
      errors: [{ code: 'NotFound', message: 'No such record' }],
    };
    expect(redactBody(body)).toEqual({
      access_token: '[redacted]', refresh_token: '[redacted]', id_token: '[redacted]', token_type: '[redacted]', instance_url: 'https://org.example',
      nested: [{ client_secret: '[redacted]', Password: '[redacted]', apiKey: '[redacted]', name: 'kept' }],
      errors: [{ code: 'NotFound', message: 'No such record' }],
    });
  });

  it('finds secrets in a body that arrived as text: broken or cut-off JSON, a form-encoded grant', () => {
    expect(redactBody('{"access_token": "at-1", "instance_url": "https://org.example",')).toBe('{"access_token": "[redacted]", "instance_url": "https://org.example",');
    expect(redactBody('{"scope":"api","access_token":"at-1')).toBe('{"scope":"api","access_token":"[redacted]"');
    expect(redactBody('access_token=at-1&expires_in=3600&refresh_token=rt-1')).toBe('access_token=[redacted]&expires_in=3600&refresh_token=[redacted]');
  });

  it('leaves prose and error codes alone', () => {
    expect(redactBody('invalid_token: the access token expired')).toBe('invalid_token: the access token expired');
    expect(redactBody([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }])).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    expect(redactBody(undefined)).toBeUndefined();
  });
});
