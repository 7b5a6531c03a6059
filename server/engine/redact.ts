/**
 * Journals, logs and API output never carry secrets. Values under keys that name a secret are replaced,
 * and so is every value in `extraKeys` (an action's declared secret inputs). Which names are secret is
 * decided in one place, shared with the connectors' HTTP errors: `connectors/kit/secret-names.ts`.
 */
import { isSecretName, REDACTED } from '../../connectors/kit/secret-names.ts';

export { REDACTED };

export function redact(value: unknown, extraKeys: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v, extraKeys));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] = isSecretName(key) || extraKeys.includes(key) ? REDACTED : redact(v, extraKeys);
    }
    return out;
  }
  return value;
}
