import { describe, expect, it } from 'vitest';
import { isSecretName, isSecretQueryParam, nameWords } from './secret-names.ts';

describe('isSecretName', () => {
  it('reads a name by its words, whatever its case and separators', () => {
    expect(nameWords('X-Api-Key')).toEqual(['x', 'api', 'key']);
    expect(nameWords('APIKey')).toEqual(['api', 'key']);
    expect(nameWords('next_page.token')).toEqual(['next', 'page', 'token']);
    expect(nameWords('ns:sessionID')).toEqual(['ns', 'session', 'id']);
  });

  it('knows the names of credentials', () => {
    const secret = [
      'access_token', 'refresh_token', 'id_token', 'accessToken', 'token', 'Token', 'oauth_token', 'X-Postmark-Server-Token', 'serverToken',
      'client_secret', 'clientSecret', 'secret', 'aws_secret_access_key', 'SecretString', 'password', 'Password', 'new_password', 'passwd', 'passphrase', 'pass', 'pwd',
      'api_key', 'apiKey', 'apikey', 'X-API-KEY', 'private_key', 'prm-key', 'authorization', 'Authorization', 'Proxy-Authorization', 'auth', 'basic_auth',
      'sessionId', 'session_id', 'sessionid', 'SESSION_ID', 'JSESSIONID', 'PHPSESSID', 'session', 'credentials', 'client_assertion', 'Set-Cookie', 'authorization_code',
    ];
    expect(secret.filter((name) => !isSecretName(name))).toEqual([]);
  });

  it('keeps names that only look like secrets', () => {
    const kept = [
      'token_type', 'next_page_token', 'nextPageToken', 'NextToken', '$skiptoken', 'nextSyncToken', 'tokens_used', 'max_tokens', 'expires_in', 'refresh_token_expires_in',
      'secretary', 'signature', 'key', 'code', 'author', 'oauth_version', 'passenger', 'bypass', 'compass', 'monkey', 'keyword', 'session_expires', 'instance_url',
      'accessKeyId', 'client_id', 'session_count',
    ];
    expect(kept.filter((name) => isSecretName(name))).toEqual([]);
  });
});

describe('isSecretQueryParam', () => {
  it("adds a URL's key, code and signatures to the shared names", () => {
    expect(['key', 'code', 'sig', 'signature', 'X-Amz-Signature', 'X-Amz-Security-Token', 'X-Amz-Credential', 'client_secret', 'access_token'].filter((name) => !isSecretQueryParam(name))).toEqual([]);
    expect(['next_page_token', 'token_type', 'author', 'monkey', 'fields', 'q', 'client_id', 'zip_code'].filter((name) => isSecretQueryParam(name))).toEqual([]);
  });
});
