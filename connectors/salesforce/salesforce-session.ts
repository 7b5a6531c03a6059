import { z } from 'zod';
import type { HttpClient } from '../kit/http-client.ts';
import { TokenCache } from '../kit/token-cache.ts';

/** What the client-credentials grant gives: a bearer token and the org's own API host. */
export interface SalesforceSession {
  accessToken: string;
  /** e.g. https://acme.my.salesforce.com: API calls go here, not to the login host. */
  instanceUrl: string;
  /** The user the connected app runs as: the last part of the answer's identity URL `id` (…/id/<org>/<user>). */
  userId: string | null;
}

const TokenResponse = z.object({
  access_token: z.string().min(1),
  instance_url: z.url(),
  token_type: z.string().optional(),
  issued_at: z.string().optional(),
  id: z.string().optional(),
});

export interface SalesforceCredentials {
  loginUrl: string;
  clientId: string;
  clientSecret: string;
}

/**
 * Sessions from the OAuth 2.0 client-credentials flow, cached and shared. The grant returns no refresh
 * token and no expiry (the org's session timeout counts from the last use), so a session is kept until
 * Salesforce refuses it with 401 INVALID_SESSION_ID; then the grant runs again, once for all the calls
 * that were refused together.
 */
export function createSessionCache(credentials: SalesforceCredentials, login: HttpClient): TokenCache<SalesforceSession> {
  const tokenUrl = `${credentials.loginUrl.replace(/\/+$/, '')}/services/oauth2/token`;
  return new TokenCache<SalesforceSession>({
    fetchToken: async () => {
      const res = await login.request({
        method: 'POST',
        path: tokenUrl,
        form: { grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret },
        // Asking for a token twice is harmless: transient failures of the grant are retried.
        idempotent: true,
        expect: TokenResponse,
      });
      const userId = /\/id\/[A-Za-z0-9]+\/(005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)$/.exec(res.body.id ?? '')?.[1] ?? null;
      return { value: { accessToken: res.body.access_token, instanceUrl: res.body.instance_url.replace(/\/+$/, ''), userId }, expiresAt: null };
    },
  });
}
