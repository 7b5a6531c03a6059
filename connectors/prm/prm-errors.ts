import type { ResponseContext } from '../kit/http-client.ts';
import { AuthError, ValidationError, type HttpError } from '../kit/http-errors.ts';
import { PRM_ENV } from './prm-config.ts';
import { PrmErrorEnvelope } from './prm-records.ts';

/**
 * The PRM's own message from its error envelope, every error joined, with the fields each one names:
 * `Status: 'Maybe' is not a valid value (Status)`.
 */
export function prmErrorMessage(body: unknown): { message?: string; code?: string } {
  const parsed = PrmErrorEnvelope.safeParse(body);
  if (!parsed.success || parsed.data.errors.length === 0) return {};
  const message = parsed.data.errors
    .map((e) => `${e.message ?? e.code ?? 'error'}${e.fields && e.fields.length > 0 ? ` (${e.fields.join(', ')})` : ''}`)
    .join('; ');
  const code = parsed.data.errors[0]?.code;
  return { message, ...(code ? { code } : {}) };
}

/** A `success: false` envelope that came back with a 2xx status is a failure all the same. */
export function checkPrmResponse(response: ResponseContext, body: unknown): HttpError | undefined {
  if (response.status < 200 || response.status >= 300) return undefined;
  if (!PrmErrorEnvelope.safeParse(body).success) return undefined;
  const found = prmErrorMessage(body);
  return new ValidationError({ ...response, body, systemMessage: found.message, code: found.code });
}

/**
 * 401 or 403: the PRM refused the key or the tenant of the configuration. The error names the settings
 * to check, never the key; a key is no session, so nothing is fetched again.
 */
export function checkPrmKeyRefused(response: ResponseContext, body: unknown): HttpError | undefined {
  if (response.status !== 401 && response.status !== 403) return undefined;
  const found = prmErrorMessage(body);
  return new AuthError(
    { ...response, body, systemMessage: found.message, code: found.code, hint: `check ${PRM_ENV.apiKey} and ${PRM_ENV.tenantId} (the PRM's API key and the tenant it belongs to)` },
    { sessionExpired: false },
  );
}
