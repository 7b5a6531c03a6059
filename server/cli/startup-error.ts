import type { StoreFileError } from '../store/sqlite-store.ts';

/** Errors of the user's files or settings, which name them: shown without a stack trace, they are not bugs. */
export function isExpectedStartupError(error: unknown): error is Error {
  return error instanceof Error && ['ConfigError', 'RecipeLoadError', 'TableError', 'RecipeError', 'StoreFileError', 'PostgresStoreError'].includes(error.name);
}

/**
 * The message a user sees when the runtime refuses to start: the error's own message (which names
 * files, JSON paths or variables), without a stack trace unless it is a bug. A store file that cannot
 * serve is one line naming the setting it came from: `dbSetting`, PARTNERFLOW_DB unless `--db` gave it.
 * A PostgreSQL store that cannot serve (a bad URL, a server unreachable) is one line naming
 * PARTNERFLOW_DATABASE_URL. A store mock mode refuses (not one of its own, or in use by another
 * process) is its message alone.
 */
export function describeStartupError(error: unknown, options: { dbSetting?: string } = {}): string {
  // By name, as above: this file must not load the store (and SQLite) for the commands that need neither.
  // Mock mode's store refusals say all there is to say (which file, what to do) in their own words.
  if (error instanceof Error && ['NotAMockStoreError', 'MockStoreInUseError'].includes(error.name)) return error.message;
  if (error instanceof Error && error.name === 'StoreFileError') return `partnerflow: cannot start: ${options.dbSetting ?? 'PARTNERFLOW_DB'}: ${(error as StoreFileError).message}`;
  // Its message shows the URL with the password left out (store/database-url.ts).
  if (error instanceof Error && error.name === 'PostgresStoreError') return `partnerflow: cannot start: PARTNERFLOW_DATABASE_URL: ${error.message}`;
  if (isExpectedStartupError(error)) return `partnerflow: cannot start:\n${error.message}`;
  if (!(error instanceof Error)) return `partnerflow: cannot start: ${String(error)}`;
  return `partnerflow: cannot start: ${error.stack ?? error.message}`;
}
