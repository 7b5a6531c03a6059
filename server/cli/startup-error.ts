/** Errors of the user's files or settings, which name them: shown without a stack trace, they are not bugs. */
export function isExpectedStartupError(error: unknown): error is Error {
  return error instanceof Error && ['ConfigError', 'RecipeLoadError', 'TableError', 'RecipeError'].includes(error.name);
}

/**
 * The message a user sees when the runtime refuses to start: the error's own message (which names
 * files, JSON paths or variables), without a stack trace unless it is a bug.
 */
export function describeStartupError(error: unknown): string {
  if (isExpectedStartupError(error)) return `partnerflow: cannot start:\n${error.message}`;
  if (!(error instanceof Error)) return `partnerflow: cannot start: ${String(error)}`;
  return `partnerflow: cannot start: ${error.stack ?? error.message}`;
}
