import { z } from 'zod';
import type { ResponseContext } from '../kit/http-client.ts';
import { AuthError, RateLimitError, ValidationError, type HttpError } from '../kit/http-errors.ts';
import { SALESFORCE_ENV } from './salesforce-config.ts';

/** Salesforce's error body: `[ { message, errorCode, fields } ]`. */
const SalesforceErrorList = z.array(z.object({ message: z.string().optional(), errorCode: z.string().optional(), fields: z.array(z.string()).optional() }).loose()).min(1);

/** The OAuth endpoint's error body: `{ error, error_description }`. */
const OAuthError = z.object({ error: z.string(), error_description: z.string().optional() });

/**
 * Salesforce's own message: every error of the array with its code and fields
 * (`INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: bad value for restricted picklist field: Pending (Status)`).
 */
export function salesforceErrorMessage(body: unknown): { message?: string; code?: string } {
  const list = SalesforceErrorList.safeParse(body);
  if (list.success) {
    const message = list.data
      .map((e) => `${e.errorCode ? `${e.errorCode}: ` : ''}${e.message ?? 'error'}${e.fields && e.fields.length > 0 ? ` (${e.fields.join(', ')})` : ''}`)
      .join('; ');
    const code = list.data[0]?.errorCode;
    return { message, ...(code ? { code } : {}) };
  }
  const oauth = OAuthError.safeParse(body);
  if (oauth.success) return { message: oauth.data.error_description ?? oauth.data.error, code: oauth.data.error };
  return {};
}

/**
 * Failures the status alone does not name precisely: 300 (an upsert's external ID matched several
 * records: fix the data, do not retry) and 403 REQUEST_LIMIT_EXCEEDED (a rate limit, not a missing
 * permission). The same code covers the concurrent long-request limit, which clears in seconds, and the
 * daily allowance, which clears at the reset; only the message text tells them apart, and that is no
 * contract. Both are retried with backoff: bounded attempts cost little against a spent allowance,
 * and the run then fails with Salesforce's message.
 */
export function checkSalesforceResponse(response: ResponseContext, body: unknown): HttpError | undefined {
  const base = { ...response, body };
  if (response.status === 300) {
    const matches = Array.isArray(body) ? body.length : undefined;
    return new ValidationError({
      ...base,
      code: 'MULTIPLE_CHOICES',
      systemMessage: `the external ID matches ${matches ?? 'several'} records; make it unique in Salesforce`,
    });
  }
  if (response.status === 403) {
    const found = salesforceErrorMessage(body);
    if (found.code === 'REQUEST_LIMIT_EXCEEDED') return new RateLimitError({ ...base, systemMessage: found.message, code: found.code });
  }
  return undefined;
}

/**
 * The settings behind a refused grant (SALESFORCE_ENV): `invalid_client` is a wrong id
 * or secret, `invalid_grant` mostly a login URL that is not the org's My Domain or an app without a
 * client-credentials user.
 */
const SALESFORCE_CREDENTIALS_HINT = `check ${SALESFORCE_ENV.clientId} and ${SALESFORCE_ENV.clientSecret} (the connected app's consumer key and secret), and that ${SALESFORCE_ENV.loginUrl} is your org's My Domain`;

/** OAuth errors that mean the credentials themselves are wrong: a new grant with them will fail again. */
const CREDENTIAL_ERRORS = new Set(['invalid_client', 'invalid_client_id', 'invalid_grant', 'unauthorized_client']);

/**
 * The token endpoint refuses bad credentials with 400, not 401 (`invalid_client: invalid client
 * credentials`): that is an AuthError, not a ValidationError, and not one a token refresh can fix.
 */
export function checkOAuthResponse(response: ResponseContext, body: unknown): HttpError | undefined {
  if (response.status !== 400) return undefined;
  const oauth = OAuthError.safeParse(body);
  if (!oauth.success || !CREDENTIAL_ERRORS.has(oauth.data.error)) return undefined;
  return new AuthError(
    { ...response, body, systemMessage: oauth.data.error_description ?? oauth.data.error, code: oauth.data.error, hint: SALESFORCE_CREDENTIALS_HINT },
    { sessionExpired: false },
  );
}
