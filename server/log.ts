import pino from 'pino';
import type { Logger } from '../connectors/kit/define-connector.ts';

/**
 * The runtime's structured logger. Known secret-bearing fields are censored wherever they appear, as a
 * second line of defence: code must not log secrets in the first place.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger & pino.Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: ['*.authorization', '*.Authorization', '*.token', '*.apiKey', '*.api_key', '*.clientSecret', '*.serverToken', '*.password', 'headers.*'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
