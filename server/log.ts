import pino from 'pino';
import type { Logger } from '../connectors/kit/define-connector.ts';
import { isSecretName } from '../connectors/kit/secret-names.ts';
import { redact, REDACTED } from './engine/redact.ts';

/**
 * The runtime's structured logger. Fields whose names say secret are censored wherever they appear,
 * by the same rule as the journal (`engine/redact.ts`), and request headers entirely: a second line
 * of defence, since code must not log secrets in the first place.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger & pino.Logger {
  return pino(
    {
      level,
      base: undefined,
      // Errors pass as they are: pino's serializer reads their non-enumerable message and stack.
      formatters: { log: (fields) => Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, censor(key, value)])) },
      redact: { paths: ['headers.*'], censor: '[redacted]' },
    },
    destination,
  );
}

/** One top-level field: by the journal's rule, except that an Error passes whole (pino serializes it). */
function censor(key: string, value: unknown): unknown {
  if (isSecretName(key)) return REDACTED;
  return value instanceof Error ? value : redact(value);
}
