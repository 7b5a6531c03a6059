import { z } from 'zod';
import type { Clock } from '../../server/engine/clock.ts';
import type { HttpClient } from '../kit/http-client.ts';
import { TokenCache } from '../kit/token-cache.ts';

const TokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().int().nonnegative(),
  scope: z.string().optional(),
});

/**
 * A token this close to its expiry is replaced before a call uses it: a call never starts with a token
 * that may expire on the way.
 */
export const TOKEN_REFRESH_MARGIN_MS = 20_000;

/**
 * Tokens from Marketo's identity service (`GET /identity/oauth/token?grant_type=client_credentials&client_id&client_secret`),
 * cached with their expiry (`expires_in`, 3,600 s) and replaced a little before it.
 *
 * Marketo's quirk: asked again before the token expires, the service hands back the SAME token with
 * the time it has left. So when the answer has less left than the margin (we asked in the last
 * seconds of its life), the token is waited out and asked for once more, which brings a new one;
 * otherwise every call in those seconds would ask again and get the same dying token.
 */
export function createMarketoTokenCache(options: { identity: HttpClient; clientId: string; clientSecret: string; clock: Clock }): TokenCache<string> {
  const { identity, clock } = options;
  const ask = async () => {
    const res = await identity.request({
      method: 'GET',
      path: 'identity/oauth/token',
      // The secret travels in the query, as Marketo wants it; the kit redacts `client_secret` in every URL it keeps or logs.
      query: { grant_type: 'client_credentials', client_id: options.clientId, client_secret: options.clientSecret },
      expect: TokenResponse,
    });
    return res.body;
  };
  return new TokenCache<string>({
    now: () => clock.now(),
    refreshMarginMs: TOKEN_REFRESH_MARGIN_MS,
    fetchToken: async () => {
      let token = await ask();
      if (token.expires_in * 1000 <= TOKEN_REFRESH_MARGIN_MS) {
        await clock.sleep(token.expires_in * 1000 + 1_000);
        token = await ask();
      }
      return { value: token.access_token, expiresAt: clock.now() + token.expires_in * 1000 };
    },
  });
}
