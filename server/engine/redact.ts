/**
 * Journals, logs and API output never carry secrets. Values under keys that name a secret are replaced,
 * and so is every value in `extraKeys` (an action's declared secret inputs). Which names are secret is
 * decided in one place, shared with the connectors' HTTP errors: `connectors/kit/secret-names.ts`.
 */
import { isSecretName, REDACTED } from '../../connectors/kit/secret-names.ts';

export { REDACTED };

/**
 * The value with its secrets replaced. What holds no secret is answered as it is, not copied: a step's
 * 100 leads were copied twice per journal entry (the D23 digest: 1,000 partners, 300,000 objects of
 * garbage) to replace nothing. Objects other than plain ones (a Date) are copied as before.
 */
export function redact(value: unknown, extraKeys: readonly string[] = []): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const redacted = redact(item, extraKeys);
      if (out === null && redacted !== item) out = value.slice(0, i);
      if (out !== null) out.push(redacted);
    }
    return out ?? value;
  }
  const proto = Object.getPrototypeOf(value);
  const plain = proto === Object.prototype || proto === null;
  let out: Record<string, unknown> | null = plain ? null : {};
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const v = record[key];
    const redacted = isSecretName(key) || extraKeys.includes(key) ? REDACTED : redact(v, extraKeys);
    if (out === null && redacted !== v) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]!] = record[keys[j]!];
    }
    if (out !== null) out[key] = redacted;
  }
  return out ?? value;
}
