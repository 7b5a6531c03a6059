import type { z } from 'zod';

/** A JSON path as users read it: `steps[2].input.to`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** One line per zod issue, each with its JSON path (prefixed by `base` when the value sits deeper). */
export function formatIssues(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[] = []): string {
  return issues.map((issue) => `${formatPath([...base, ...issue.path])}: ${issue.message}`).join('; ');
}

/** A problem with one value, as the API and the engine report it. */
export interface Issue {
  path: string;
  message: string;
}

/**
 * zod issues as `{ path, message }` (paths prefixed by `base` when the value sits deeper: `data.amount`).
 * A field that is absent reads "required", also where it may take several forms (a PRM timestamp), rather
 * than zod's "Invalid input". Given the value that was parsed (`input`), a field of a fixed set of values
 * (an enum, a literal) that is absent reads "required" too, rather than "Invalid option: expected one of
 * …", which says a wrong value was sent when none was.
 */
export function issuesOf(error: z.ZodError, base: readonly PropertyKey[] = [], input?: unknown): Issue[] {
  return error.issues.map((issue) => {
    const path = [...base, ...issue.path];
    const absent = isAbsent(issue) || (input !== undefined && issue.code === 'invalid_value' && valueAt(input, issue.path) === undefined);
    return { path: path.length === 0 ? '$' : formatPath(path), message: absent ? 'required' : issue.message };
  });
}

/** The value at a zod path in a parsed value, undefined when any step of it is missing. */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/** zod's way of saying nothing was given: "received undefined", in every branch of a union. */
function isAbsent(issue: z.core.$ZodIssue): boolean {
  if (issue.code === 'invalid_type') return issue.message.endsWith('received undefined');
  if (issue.code === 'invalid_union') return issue.errors.length > 0 && issue.errors.every((branch) => branch.length > 0 && branch.every((i) => i.path.length === 0 && isAbsent(i)));
  return false;
}

/** Issues on one line: `path: message; path: message`. */
export function summarizeIssues(issues: readonly Issue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}
