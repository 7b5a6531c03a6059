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
      access_token: '[redacted]', refresh_token: '[redacted]', id_token: '[redacted]', token_type: 'Bearer', instance_url: 'https://org.example',
      nested: [{ client_secret: '[redacted]', Password: '[redacted]', apiKey: '[redacted]', name: 'kept' }],
      errors: [{ code: 'NotFound', message: 'No such record' }],
    });
  });

  it('finds secrets in a body that arrived as text: broken or cut-off JSON, a form-encoded grant', () => {
    expect(redactBody('{"access_token": "at-1", "instance_url": "https://org.example",')).toBe('{"access_token": "[redacted]", "instance_url": "https://org.example",');
    expect(redactBody('{"scope":"api","access_token":"at-1')).toBe('{"scope":"api","access_token":"[redacted]"');
    expect(redactBody('access_token=at-1&expires_in=3600&refresh_token=rt-1')).toBe('access_token=[redacted]&expires_in=3600&refresh_token=[redacted]');
  });

  it('hides a session id and keeps names that only look like secrets', () => {
    const body = { sessionId: '00D-s1', session_id: '00D-s2', next_page_token: 'p-2', tokens_used: 12, secretary: 'Ann', signature: 'Best regards', token_type: 'Bearer' };
    expect(redactBody(body)).toEqual({ sessionId: '[redacted]', session_id: '[redacted]', next_page_token: 'p-2', tokens_used: 12, secretary: 'Ann', signature: 'Best regards', token_type: 'Bearer' });
    expect(redactBody('{"sessionId":"00D-s1","session_id":"00D-s2","next_page_token":"p-2","tokens_used":12,"secretary":"Ann","signature":"Best","token_type":"Bearer"')).toBe(
      '{"sessionId":"[redacted]","session_id":"[redacted]","next_page_token":"p-2","tokens_used":12,"secretary":"Ann","signature":"Best","token_type":"Bearer"',
    );
    expect(redactBody('next_page_token=p-2&tokens_used=12&sessionid=00D-s3')).toBe('next_page_token=p-2&tokens_used=12&sessionid=[redacted]');
  });

  it('hides secret-named XML elements, whole or cut off, and keeps the others', () => {
    expect(redactBody('<grant><access_token>at-1</access_token><token_type>Bearer</token_type><ns:password a="1">pw-1</ns:password></grant>')).toBe(
      '<grant><access_token>[redacted]</access_token><token_type>Bearer</token_type><ns:password a="1">[redacted]</ns:password></grant>',
    );
    expect(redactBody('<creds><sessionId>00D-s1</sessionId><user>me</user></creds>')).toBe('<creds><sessionId>[redacted]</sessionId><user>me</user></creds>');
    expect(redactBody('<credentials><user>me</user><key>k-1</key></credentials><signature>Ann</signature>')).toBe('<credentials>[redacted]</credentials><signature>Ann</signature>');
    expect(redactBody('<grant><refresh_token>rt-1')).toBe('<grant><refresh_token>[redacted]');
  });

  it('hides the credential of an Authorization header or a Bearer / prm-key credential in text', () => {
    expect(redactBody('request was: GET /x\nAuthorization: Bearer eyJhbGciOi.J9.sig-1\nAccept: */*')).toBe('request was: GET /x\nAuthorization: Bearer [redacted]\nAccept: */*');
    expect(redactBody('rejected key prm-key pk_live_123 for partner 7')).toBe('rejected key prm-key [redacted] for partner 7');
    expect(redactBody('Authorization: Basic dXNlcjpwYXNz')).toBe('Authorization: Basic [redacted]');
    expect(redactBody('{"header": "Bearer AbC123=="}')).toBe('{"header": "Bearer [redacted]"}');
    // A challenge's parameters and prose about tokens are not credentials.
    expect(redactBody('Bearer realm="api", error="invalid_token"')).toBe('Bearer realm="api", error="invalid_token"');
    expect(redactBody('the bearer token expired; Basic authentication is off')).toBe('the bearer token expired; Basic authentication is off');
  });

  it('hides secrets in single-quoted (Python-style) JSON', () => {
    expect(redactBody("{'access_token': 'at-1', 'token_type': 'Bearer', 'session_id': 's-1'}")).toBe("{'access_token': '[redacted]', 'token_type': 'Bearer', 'session_id': '[redacted]'}");
    expect(redactBody("{'refresh_token': 'rt-1")).toBe("{'refresh_token': '[redacted]'");
  });

  it('hides a secret-named key holding an object whole, also when the text is cut off inside it', () => {
    expect(redactBody('{"credentials": {"client_id": "me", "client_secret": "cs-1')).toBe('{"credentials": "[redacted]"');
    expect(redactBody('{"credentials": {"client_id": "me", "scopes": ["a", "}"]}, "instance_url": "https://org.example",')).toBe(
      '{"credentials": "[redacted]", "instance_url": "https://org.example",',
    );
    expect(redactBody('{"tokens": [{"access_token": "at-1"}], "token_type": "Bearer"')).toBe('{"tokens": [{"access_token": "[redacted]"}], "token_type": "Bearer"');
  });

  it('ends a form-style secret at the end of its value, not at the next space', () => {
    expect(redactBody('{"next":"https://x.test/cb?code=1&access_token=at-1","n":1,')).toBe('{"next":"https://x.test/cb?code=1&access_token=[redacted]","n":1,');
    expect(redactBody('<auth token="t-1" mode="x"/>')).toBe('<auth token="[redacted]" mode="x"/>');
  });

  it('leaves prose and error codes alone', () => {
    expect(redactBody('invalid_token: the access token expired')).toBe('invalid_token: the access token expired');
    expect(redactBody([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }])).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    expect(redactBody(undefined)).toBeUndefined();
  });
});
