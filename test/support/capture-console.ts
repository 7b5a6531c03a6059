import { vi } from 'vitest';

/**
 * Captures what a command prints, as the lines a user would read on stdout and stderr, so command tests
 * assert output rather than calls.
 */
export function captureConsole(): { out: string[]; err: string[]; restore(): void } {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void out.push(...args.map(String).join(' ').split('\n')));
  const error = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void err.push(...args.map(String).join(' ').split('\n')));
  return {
    out,
    err,
    restore() {
      log.mockRestore();
      error.mockRestore();
    },
  };
}
