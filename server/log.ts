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
      // ISO 8601 like the API's times, not epoch milliseconds.
      timestamp: pino.stdTimeFunctions.isoTime,
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

/**
 * The logger of `serve` and `run`: readable lines when the output is a terminal (pino-pretty, as a
 * synchronous stream in this thread, loaded only then), JSON lines otherwise (for stdout, pino's own
 * asynchronous writer, flushed at exit), so production never loads the pretty printer.
 */
export async function createConsoleLogger(level: string, out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Promise<Logger & pino.Logger> {
  if (!out.isTTY) return createLogger(level, out === process.stdout ? undefined : out);
  const { default: pretty } = await import('pino-pretty');
  return createLogger(level, pretty({ destination: out, sync: true, colorize: out === process.stdout, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o', ignore: 'pid,hostname', singleLine: true }));
}
