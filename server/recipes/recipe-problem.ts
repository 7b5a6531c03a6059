import { formatPath } from '../../schemas/format-issues.ts';

/**
 * One thing wrong with a recipe file: the file, the JSON path as users read it (`steps[3].input.to`;
 * empty when the whole file is at fault, e.g. it is not JSON) and what is wrong.
 */
export interface RecipeProblem {
  file: string;
  path: string;
  message: string;
  /** Where in the file, for a file that is not JSON (the path is then ''). */
  line?: number;
  column?: number;
}

/** A problem found inside one recipe, before it is tied to its file: the path is still a list. */
export interface Finding {
  path: readonly PropertyKey[];
  message: string;
}

/** Ties findings to their file, with their paths written the way users read them. */
export function toProblems(file: string, findings: readonly Finding[]): RecipeProblem[] {
  return findings.map((f) => ({ file, path: formatPath(f.path), message: f.message }));
}

/**
 * `<file>: <path>: <message>`: the line `partnerflow validate` prints and a refused start shows;
 * `<file>:<line>:<column>: <message>` for a file that is not JSON.
 */
export function formatProblem(problem: RecipeProblem): string {
  if (problem.line !== undefined) return `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`;
  return problem.path ? `${problem.file}: ${problem.path}: ${problem.message}` : `${problem.file}: ${problem.message}`;
}
