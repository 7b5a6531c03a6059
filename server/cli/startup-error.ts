/**
 * The message a user sees when the runtime refuses to start: the error's own message (which names
 * files, JSON paths or variables), without a stack trace unless it is a bug.
 */
export function describeStartupError(error: unknown): string {
  if (!(error instanceof Error)) return `partnerflow: cannot start: ${String(error)}`;
  const expected = ['ConfigError', 'RecipeLoadError', 'TableError', 'RecipeError'];
  if (expected.includes(error.name)) return `partnerflow: cannot start:\n${error.message}`;
  return `partnerflow: cannot start: ${error.stack ?? error.message}`;
}
