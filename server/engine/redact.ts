/**
 * Journals, logs and API output never carry secrets. Values under keys that name a secret are replaced,
 * and so is every value in `extraKeys` (an action's declared secret inputs).
 */
const SECRET_KEY = /(pass(word)?|secret|token|api[_-]?key|authorization|credential|private[_-]?key|session)/i;
export const REDACTED = '[redacted]';

export function redact(value: unknown, extraKeys: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v, extraKeys));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) || extraKeys.includes(key) ? REDACTED : redact(v, extraKeys);
    }
    return out;
  }
  return value;
}
